/**
 * Download a CLIP model from the Hugging Face Hub (`models.fetch`): repository, optional revision and package id;
 * then the download's progress per file (download, checksum, building the package), a Cancel button, and the outcome
 * in plain words with the technical detail one click away. The hub is the engine's: $HF_ENDPOINT, else huggingface.co.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { ModelFetchProgress } from '@shared/contract';
import { forgetFetch, modelFetches, shownFetch } from '../../api/model-fetches';
import { useModels } from '../../api/models-state';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes } from '../../lib/format';
import { freeId, packageIdProblem } from '../../lib/model-packages';
import { useStore } from '../../lib/store';

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** `owner/name` → the package id the engine proposes (lowercase name). */
function idFromRepo(repo: string): string {
  const name = repo.trim().split('/').pop() ?? '';
  return name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
}

function phaseLine(p: ModelFetchProgress): string {
  const index = p.file ? p.files.findIndex((f) => f.name === p.file) + 1 : 0;
  const of = index > 0 ? ` (file ${index} of ${p.files.length})` : '';
  if (p.phase === 'download') return `Downloading ${p.file ?? ''}${of}`;
  if (p.phase === 'verify') return `Checking ${p.file ?? 'the download'}${of}`;
  if (p.phase === 'convert') return 'Building the package (image and text towers)';
  return 'Finishing';
}

function FetchProgressView(props: { p: ModelFetchProgress; onCancel: () => void; cancelling: boolean }): ReactNode {
  const { p } = props;
  const known = p.files.filter((f) => f.total !== null);
  const total = known.reduce((n, f) => n + (f.total ?? 0), 0);
  const done = known.reduce((n, f) => n + Math.min(f.bytes, f.total ?? 0), 0);
  return (
    <div className="fetch-progress" role="group" aria-label={`Download of ${p.repo}`}>
      <div className="fetch-progress__head">
        <span className="spinner" aria-hidden="true" />
        <span role="status" data-testid="fetch-phase">
          {phaseLine(p)}…
        </span>
        <button
          type="button"
          className="button button--small fetch-progress__cancel"
          // Building the package is short and cannot stop halfway; the download can.
          disabled={props.cancelling || p.phase === 'convert'}
          title={p.phase === 'convert' ? 'The package is being built; this step cannot be stopped' : undefined}
          onClick={props.onCancel}
        >
          {props.cancelling ? 'Cancelling…' : 'Cancel download'}
        </button>
      </div>
      <progress max={total || 1} value={done} aria-label="Downloaded so far" />
      <ul className="fetch-files" aria-label="Files">
        {p.files.map((f) => (
          <li key={f.name} className={f.name === p.file ? 'fetch-files__current' : undefined}>
            <code>{f.name}</code>
            <span className="fetch-files__bytes" data-testid={`fetch-file-${f.name}`}>
              {f.total !== null ? `${formatBytes(f.bytes)} of ${formatBytes(f.total)}` : formatBytes(f.bytes)}
              {f.total !== null && f.bytes >= f.total ? ' ✓' : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function FetchOutcome(props: { p: ModelFetchProgress; onDismiss: () => void }): ReactNode {
  const { p } = props;
  if (p.status === 'failed')
    return (
      <div className="fetch-outcome">
        <ErrorNotice
          title="Could not download the model"
          error={p.error ?? { message: 'The download stopped without saying why.' }}
        />
        <button type="button" className="button button--small" onClick={props.onDismiss}>
          Dismiss
        </button>
      </div>
    );
  return (
    <div className={p.status === 'completed' ? 'model-done' : 'model-done model-done--stopped'} role="status">
      <span>
        {p.status === 'completed'
          ? `Installed "${p.packageId}" from ${p.repo}.`
          : `Download of ${p.repo} cancelled. Starting it again resumes where it stopped.`}
      </span>
      <button type="button" className="button button--small" onClick={props.onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

export function FetchForm(props: { taken: readonly string[] }): ReactNode {
  const api = useVip();
  const { view } = useModels();
  const fetches = useStore(modelFetches);
  const jobId = useStore(shownFetch);
  const [repo, setRepo] = useState('');
  const [revision, setRevision] = useState('');
  const [idDraft, setIdDraft] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const [cancelling, setCancelling] = useState<number | null>(null);

  const proposed = idFromRepo(repo);
  const id = idDraft ?? (proposed === '' ? '' : freeId(proposed, props.taken));
  const trimmed = repo.trim();
  const repoProblem = trimmed !== '' && !REPO_RE.test(trimmed) ? 'Use owner/name, e.g. openai/clip-vit-base-patch32.' : null;
  const idProblem = trimmed === '' && idDraft === null ? null : packageIdProblem(id.trim(), props.taken);
  const progress = jobId !== null ? (fetches.get(jobId) ?? null) : null;
  const active = jobId !== null && (progress === null || progress.phase !== 'finished');
  const blocked = starting || active || view.task !== null;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (blocked || trimmed === '' || repoProblem || idProblem) return;
    setStarting(true);
    setStartError(null);
    try {
      const started = await api.call('models.fetch', {
        repo: trimmed,
        id: id.trim(),
        ...(revision.trim() ? { revision: revision.trim() } : {}),
      });
      if (jobId !== null) forgetFetch(jobId);
      shownFetch.set(started.jobId);
    } catch (err) {
      setStartError(err);
    } finally {
      setStarting(false);
    }
  };

  const cancel = (): void => {
    if (jobId === null) return;
    setCancelling(jobId);
    api.call('models.fetchCancel', { jobId }).then(
      () => undefined,
      (err: unknown) => setStartError(err),
    );
  };

  const dismiss = (): void => {
    if (jobId !== null) forgetFetch(jobId);
    shownFetch.set(null);
    if (progress?.status === 'completed') {
      setRepo('');
      setRevision('');
      setIdDraft(null);
    }
  };

  return (
    <form className="form model-form" onSubmit={(e) => void submit(e)} aria-labelledby="fetch-model-title">
      <h2 id="fetch-model-title">Download from the Hugging Face Hub</h2>
      <p className="muted">
        Downloads a CLIP checkpoint (<code>config.json</code>, tokenizer, <code>model.safetensors</code>), checks each
        file and builds the package. Needs internet access on the engine&apos;s machine; an interrupted download resumes.
      </p>
      <fieldset className="model-form__fields" disabled={blocked}>
        <label className="field">
          <span>Repository (owner/name)</span>
          <input
            type="text"
            value={repo}
            maxLength={200}
            spellCheck={false}
            placeholder="openai/clip-vit-base-patch32"
            aria-invalid={repoProblem ? true : undefined}
            aria-describedby={repoProblem ? 'fetch-repo-problem' : undefined}
            onChange={(e) => setRepo(e.target.value)}
          />
          {repoProblem ? (
            <small id="fetch-repo-problem" className="field__problem">
              {repoProblem}
            </small>
          ) : null}
        </label>
        <div className="model-form__row">
          <label className="field">
            <span>Package id</span>
            <input
              type="text"
              value={id}
              maxLength={64}
              spellCheck={false}
              placeholder="proposed from the repository"
              aria-invalid={idProblem ? true : undefined}
              aria-describedby={idProblem ? 'fetch-id-problem' : undefined}
              onChange={(e) => setIdDraft(e.target.value)}
            />
            {idProblem ? (
              <small id="fetch-id-problem" className="field__problem">
                {idProblem}
              </small>
            ) : null}
          </label>
          <label className="field">
            <span>Revision</span>
            <input
              type="text"
              value={revision}
              maxLength={200}
              spellCheck={false}
              placeholder="main"
              onChange={(e) => setRevision(e.target.value)}
            />
          </label>
        </div>
      </fieldset>
      <div className="form__actions">
        <button
          type="submit"
          className="button button--primary"
          disabled={blocked || trimmed === '' || !!repoProblem || !!idProblem}
        >
          {starting ? 'Starting…' : active ? 'Downloading…' : 'Download model'}
        </button>
      </div>
      {startError ? <ErrorNotice title="Could not start the download" error={startError} /> : null}
      {active && progress ? (
        <FetchProgressView p={progress} onCancel={cancel} cancelling={cancelling === jobId} />
      ) : active ? (
        <p className="muted" role="status">
          Contacting the server…
        </p>
      ) : null}
      {progress && progress.phase === 'finished' ? <FetchOutcome p={progress} onDismiss={dismiss} /> : null}
    </form>
  );
}
