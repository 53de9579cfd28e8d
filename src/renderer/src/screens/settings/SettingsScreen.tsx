/**
 * Reviewer name and the LLM endpoint (`settings.update`), the PACS nodes, the data folder shown read-only, and the
 * compute backends (the Models screen's panel).
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { AppInfo, Settings } from '@shared/contract';
import { useOnReconnect, useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ComputePanel } from '../models/ComputePanel';
import { PacsNodesSection } from './PacsNodesSection';

type Loaded = { settings: Settings; info: AppInfo };

export function SettingsScreen(): ReactNode {
  const api = useVip();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useOnReconnect(() => setAttempt((a) => a + 1));

  useEffect(() => {
    let live = true;
    Promise.all([api.call('settings.get', {}), api.call('app.info', {})]).then(
      ([settings, info]) => {
        if (!live) return;
        setLoaded({ settings, info });
        setLoadError(null);
      },
      (err: unknown) => live && setLoadError(err),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);

  return (
    <section className="screen screen--narrow" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      {loadError ? (
        <ErrorNotice title="Could not load the settings" error={loadError} onRetry={() => setAttempt((a) => a + 1)} />
      ) : null}
      {loaded ? (
        <SettingsForm key={JSON.stringify(loaded.settings)} initial={loaded.settings} />
      ) : loadError ? null : (
        <p className="muted">Loading…</p>
      )}
      <PacsNodesSection />
      {loaded ? <InstallationFacts info={loaded.info} /> : null}
      <ComputePanel />
    </section>
  );
}

function SettingsForm(props: { initial: Settings }): ReactNode {
  const api = useVip();
  const [saved, setSaved] = useState<Settings>(props.initial);
  const [draft, setDraft] = useState<Settings>(props.initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const dirty =
    draft.reviewerName !== saved.reviewerName ||
    draft.llmBaseUrl !== saved.llmBaseUrl ||
    draft.llmModel !== saved.llmModel;

  const urlProblem =
    draft.llmBaseUrl.trim() === '' || /^https?:\/\/\S+$/i.test(draft.llmBaseUrl.trim())
      ? null
      : 'Use an http:// or https:// address.';

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (urlProblem) return;
    setSaving(true);
    setError(null);
    setMessage('');
    try {
      const next = await api.call('settings.update', {
        reviewerName: draft.reviewerName.trim(),
        llmBaseUrl: draft.llmBaseUrl.trim(),
        llmModel: draft.llmModel.trim(),
      });
      setSaved(next);
      setDraft(next);
      setMessage('Saved.');
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const field = (key: keyof Settings) => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => {
      const value = e.target.value;
      setDraft((d) => ({ ...d, [key]: value }));
      setMessage('');
    },
  });

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-describedby="settings-status">
      <fieldset>
        <legend>Reviewer</legend>
        <label className="field">
          <span>Reviewer name</span>
          <input type="text" maxLength={200} autoComplete="name" {...field('reviewerName')} />
          <small className="muted">Recorded in the audit log with each review.</small>
        </label>
      </fieldset>
      <fieldset>
        <legend>Language model for visual symptoms</legend>
        <label className="field">
          <span>LLM base URL</span>
          <input
            type="url"
            maxLength={2000}
            placeholder="http://127.0.0.1:11434/v1"
            aria-invalid={urlProblem ? true : undefined}
            aria-describedby={urlProblem ? 'llm-url-problem' : undefined}
            {...field('llmBaseUrl')}
          />
          {urlProblem ? (
            <small id="llm-url-problem" className="field__problem">
              {urlProblem}
            </small>
          ) : (
            <small className="muted">An OpenAI-compatible endpoint; leave empty when none is available.</small>
          )}
        </label>
        <label className="field">
          <span>LLM model</span>
          <input type="text" maxLength={200} {...field('llmModel')} />
        </label>
      </fieldset>
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={!dirty || saving || urlProblem !== null}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button" disabled={!dirty || saving} onClick={() => setDraft(saved)}>
          Discard changes
        </button>
        <span id="settings-status" role="status" className="muted">
          {message}
        </span>
      </div>
      {error ? <ErrorNotice title="Could not save the settings" error={error} /> : null}
    </form>
  );
}

function InstallationFacts(props: { info: AppInfo }): ReactNode {
  return (
    <div className="form">
      <fieldset>
        <legend>This installation</legend>
        <label className="field">
          <span>Data folder</span>
          <input type="text" readOnly value={props.info.dataDir} />
          <small className="muted">
            Chosen when the app starts (--data or VIP_DATA_DIR); it cannot be changed here.
          </small>
        </label>
        <dl className="facts">
          <dt>Version</dt>
          <dd>{props.info.version}</dd>
          <dt>Database schema</dt>
          <dd>{props.info.schemaVersion}</dd>
          <dt>Platform</dt>
          <dd>
            {props.info.platform}, {props.info.cpuCount} CPU cores
          </dd>
        </dl>
      </fieldset>
    </div>
  );
}
