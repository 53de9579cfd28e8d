/**
 * Symptom sets: every version with its approval, the selected one's symptoms (editable into a new version), its
 * provenance, approval by a clinician, and the LLM generator. Training accepts approved versions only, so this is
 * where a person vouches for what the model will be taught.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { SymptomSetVersionDetail, SymptomSetVersionSummary } from '@shared/contract';
import { useOnReconnect, useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { GeneratePanel } from './GeneratePanel';
import { KnowledgeCheck } from './KnowledgeCheck';
import { ProvenancePanel } from './ProvenancePanel';
import { SymptomEditor } from './SymptomEditor';
import { VersionList } from './VersionList';
import './symptoms.css';

function ApproveBar(props: {
  version: SymptomSetVersionDetail;
  blocked: boolean;
  onApproved: (v: SymptomSetVersionDetail) => void;
}): ReactNode {
  const api = useVip();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const v = props.version;
  if (v.approved) {
    return (
      <p className="symptom-approval symptom-approval--ok" data-testid="approval">
        Approved by <strong>{v.approvedBy}</strong> on {new Date(v.approvedAt ?? '').toLocaleString()}. Training can use
        this version.
      </p>
    );
  }
  const approve = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      props.onApproved(await api.call('symptoms.approve', { id: v.id }));
      setConfirming(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="symptom-approval" data-testid="approval">
      <p>
        <strong>Not approved.</strong> Training refuses this version until a clinician approves it.
        {v.partial ? ' The generator found fewer valid symptoms than asked for in some class.' : ''}
      </p>
      {confirming ? (
        <div role="group" aria-label={`Confirm approving ${v.name} v${v.version}`} className="form__actions">
          <span>
            Approve {v.name} v{v.version} as reviewed? Your name from Settings is recorded.
          </span>
          <button type="button" className="button button--primary" disabled={busy} onClick={() => void approve()}>
            {busy ? 'Approving…' : 'Approve'}
          </button>
          {/* The safe choice takes the focus. */}
          <button type="button" className="button" autoFocus onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="form__actions">
          <button
            type="button"
            className="button button--primary"
            disabled={props.blocked}
            onClick={() => setConfirming(true)}
          >
            Approve this version…
          </button>
          {props.blocked ? <span className="muted">Save or discard your changes first.</span> : null}
        </div>
      )}
      {error ? <ErrorNotice title="Could not approve" error={error} /> : null}
    </div>
  );
}

function VersionView(props: { id: number; onChanged: (selectId: number) => void; reloadKey: number }): ReactNode {
  const api = useVip();
  const [version, setVersion] = useState<SymptomSetVersionDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [dirty, setDirty] = useState(false);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    let live = true;
    api.call('symptoms.get', { id: props.id }).then(
      (v) => {
        if (!live) return;
        setVersion(v);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, props.id, props.reloadKey]);

  if (error) return <ErrorNotice title="Could not load the version" error={error} />;
  if (!version || version.id !== props.id) return <p className="muted">Loading…</p>;
  return (
    <article className="symptom-version" aria-labelledby="version-title">
      <header className="symptom-version__head">
        <h2 id="version-title" className="symptom-version__title">
          {version.name} v{version.version}
        </h2>
        <span className="muted">
          task {version.task} · {version.origin}
          {version.parentVersionId ? ` from version #${version.parentVersionId}` : ''} · #{version.id}
        </span>
      </header>
      <ApproveBar
        version={version}
        blocked={dirty}
        onApproved={(v) => {
          setVersion(v);
          setNotice('');
          props.onChanged(v.id);
        }}
      />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <SymptomEditor
        key={`editor:${version.id}`}
        version={version}
        onDirtyChange={setDirty}
        onSaved={(saved, created) => {
          setNotice(
            created
              ? `Saved as ${saved.name} v${saved.version}: it needs approval before training can use it.`
              : `These symptoms are already ${saved.name} v${saved.version}.`,
          );
          props.onChanged(saved.id);
        }}
      />
      <ProvenancePanel version={version} />
      <KnowledgeCheck key={`check:${version.id}`} versionId={version.id} />
    </article>
  );
}

export function SymptomsScreen(): ReactNode {
  const api = useVip();
  const [versions, setVersions] = useState<SymptomSetVersionSummary[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const [showGenerate, setShowGenerate] = useState(false);
  useOnReconnect(() => setAttempt((a) => a + 1));

  useEffect(() => {
    let live = true;
    api.call('symptoms.list', {}).then(
      (r) => {
        if (!live) return;
        setVersions(r.versions);
        setLoadError(null);
        setSelected((s) => s ?? r.versions[0]?.id ?? null);
      },
      (err: unknown) => live && setLoadError(err),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);

  const changed = (id: number): void => {
    setSelected(id);
    setAttempt((a) => a + 1);
  };

  return (
    <section className="screen screen--symptoms" aria-labelledby="symptoms-title">
      <div className="symptoms-head">
        <h1 id="symptoms-title">Symptoms</h1>
        <button
          type="button"
          className="button"
          aria-expanded={showGenerate}
          onClick={() => setShowGenerate((s) => !s)}
        >
          {showGenerate ? 'Hide the generator' : 'Generate with the LLM…'}
        </button>
      </div>
      <p className="muted symptoms-intro">
        Visual symptoms are short, plain descriptions of what each class looks like; the model compares images with
        them. Edits make new versions, and training uses approved versions only.
      </p>
      {showGenerate ? (
        <GeneratePanel onFinished={(id) => (id !== null ? changed(id) : setAttempt((a) => a + 1))} />
      ) : null}
      {loadError ? (
        <ErrorNotice
          title="Could not list the symptom sets"
          error={loadError}
          onRetry={() => setAttempt((a) => a + 1)}
        />
      ) : null}
      {versions === null ? (
        loadError ? null : (
          <p className="muted">Loading…</p>
        )
      ) : (
        <div className="symptoms-layout">
          <VersionList versions={versions} selectedId={selected} onSelect={setSelected} />
          <div className="symptoms-main">
            {selected !== null ? (
              <VersionView id={selected} reloadKey={attempt} onChanged={changed} />
            ) : (
              <p className="notice">No symptom set yet. Generate one, or import a file with `vip symptoms import`.</p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
