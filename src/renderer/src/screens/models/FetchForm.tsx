/**
 * Download a CLIP model from the Hugging Face Hub (`models.fetch`): repository, optional revision and package id;
 * then the download's progress per file (download, checksum), the package build's steps, a Cancel button throughout,
 * and the outcome in plain words with the technical detail one click away. The hub is the engine's: $HF_ENDPOINT,
 * else huggingface.co.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { ModelJobProgress } from '@shared/contract';
import { useModels } from '../../api/models-state';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes } from '../../lib/format';
import { freeId, packageIdProblem } from '../../lib/model-packages';
import { BuildProgressView, JobOutcome, useModelJob } from './ModelJobView';

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** `owner/name` → the package id the engine proposes (lowercase name). */
function idFromRepo(repo: string): string {
  const name = repo.trim().split('/').pop() ?? '';
  return name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
}

function phaseLine(p: ModelJobProgress): string {
  const index = p.file ? p.files.findIndex((f) => f.name === p.file) + 1 : 0;
  const of = index > 0 ? ` (file ${index} of ${p.files.length})` : '';
  if (p.phase === 'verify') return `Checking ${p.file ?? 'the download'}${of}`;
  return `Downloading ${p.file ?? ''}${of}`;
}

function FetchProgressView(props: { p: ModelJobProgress; onCancel: () => void; cancelling: boolean }): ReactNode {
  const { p } = props;
  const known = p.files.filter((f) => f.total !== null);
  const total = known.reduce((n, f) => n + (f.total ?? 0), 0);
  const done = known.reduce((n, f) => n + Math.min(f.bytes, f.total ?? 0), 0);
  return (
    <div className="job-progress" role="group" aria-label={`Download of ${p.source}`}>
      <div className="job-progress__head">
        <span className="spinner" aria-hidden="true" />
        <span role="status" data-testid="fetch-phase">
          {phaseLine(p)}…
        </span>
        <button
          type="button"
          className="button button--small job-progress__cancel"
          disabled={props.cancelling}
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

export function FetchForm(props: { taken: readonly string[] }): ReactNode {
  const api = useVip();
  const { view } = useModels();
  const job = useModelJob('fetch');
  const [repo, setRepo] = useState('');
  const [revision, setRevision] = useState('');
  const [idDraft, setIdDraft] = useState<string | null>(null);

  const proposed = idFromRepo(repo);
  const id = idDraft ?? (proposed === '' ? '' : freeId(proposed, props.taken));
  const trimmed = repo.trim();
  const repoProblem =
    trimmed !== '' && !REPO_RE.test(trimmed) ? 'Use owner/name, e.g. openai/clip-vit-base-patch32.' : null;
  const idProblem = trimmed === '' && idDraft === null ? null : packageIdProblem(id.trim(), props.taken);
  const { progress, active } = job;
  const blocked = job.starting || active;
  const finished = progress?.phase === 'finished' ? progress : null;

  // An installed model is done with: clear the form for the next one.
  const completedJob = finished?.status === 'completed' ? finished.jobId : null;
  const [clearedFor, setClearedFor] = useState<number | null>(null);
  if (completedJob !== null && completedJob !== clearedFor) {
    setClearedFor(completedJob);
    setRepo('');
    setRevision('');
    setIdDraft(null);
  }

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (blocked || trimmed === '' || repoProblem || idProblem) return;
    await job.start(() =>
      api.call('models.fetch', {
        repo: trimmed,
        id: id.trim(),
        ...(revision.trim() ? { revision: revision.trim() } : {}),
      }),
    );
  };

  return (
    <form className="form model-form" onSubmit={(e) => void submit(e)} aria-labelledby="fetch-model-title">
      <h2 id="fetch-model-title">Download from the Hugging Face Hub</h2>
      <p className="muted">
        Downloads a CLIP checkpoint (<code>config.json</code>, tokenizer, <code>model.safetensors</code>), checks each
        file and builds the package. Needs internet access on the engine&apos;s machine; an interrupted download
        resumes.
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
          {job.starting ? 'Starting…' : active ? 'Downloading…' : 'Download model'}
        </button>
      </div>
      {job.startError ? <ErrorNotice title="Could not start the download" error={job.startError} /> : null}
      {active && progress?.phase === 'build' ? (
        <BuildProgressView
          kind="fetch"
          packageId={progress.packageId}
          progress={progress}
          cancelling={job.cancelling}
          onCancel={job.cancel}
          cancelLabel="Cancel download"
        />
      ) : active && progress ? (
        <FetchProgressView p={progress} onCancel={job.cancel} cancelling={job.cancelling} />
      ) : active ? (
        <p className="muted" role="status">
          Contacting the server…
        </p>
      ) : null}
      {finished ? <JobOutcome p={finished} packages={view.list?.packages ?? []} onDismiss={job.dismiss} /> : null}
    </form>
  );
}
