/**
 * Starts the visual symptom generator: the task's modality and classes, optional images for stage 2 (a folder on the
 * engine's machine, or the reviewed cases), k, and the LLM endpoint (the settings' unless changed here). The API key
 * is handed to the main process, which keeps it; it is never shown again. Progress arrives as events; Cancel stops it.
 */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { LlmStatus, SymptomProgress } from '@shared/contract';
import { useVip, useVipEvent } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';

interface Job {
  jobId: number;
  last: SymptomProgress | null;
  retry: string | null;
}

function classList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

function finishedMessage(e: SymptomProgress): string {
  switch (e.status) {
    case 'complete':
      return 'Done: the new version is open below. Review it, then approve it.';
    case 'partial':
      return 'Done, but some class got fewer valid symptoms than asked for: the new version is marked partial.';
    case 'cancelled':
      return 'Cancelled: nothing was stored.';
    default:
      return `Failed: ${e.error ?? 'unknown error'}`;
  }
}

function ApiKeyField(props: { status: LlmStatus | null; onStatus: (s: LlmStatus) => void }): ReactNode {
  const api = useVip();
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const save = async (value: string): Promise<void> => {
    setError(null);
    try {
      props.onStatus(await api.call('symptoms.setApiKey', { apiKey: value }));
      setKey('');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="field">
      <span>API key</span>
      <div className="symptom-add">
        <input
          type="password"
          autoComplete="off"
          value={key}
          placeholder={props.status?.hasApiKey ? 'A key is set (hidden)' : 'Only if the endpoint needs one'}
          aria-label="API key"
          onChange={(e) => setKey(e.target.value)}
        />
        <button
          type="button"
          className="button button--small"
          disabled={key.trim() === ''}
          onClick={() => void save(key)}
        >
          Keep key
        </button>
        {props.status?.hasApiKey ? (
          <button type="button" className="button button--small button--quiet" onClick={() => void save('')}>
            Forget key
          </button>
        ) : null}
      </div>
      <small className="muted">
        {props.status ? `Kept by the app: ${props.status.keyStorage}. It is never shown or logged.` : ''}
      </small>
      {error ? <ErrorNotice title="Could not keep the key" error={error} /> : null}
    </div>
  );
}

export function GeneratePanel(props: { onFinished: (versionId: number | null) => void }): ReactNode {
  const api = useVip();
  const [status, setStatus] = useState<LlmStatus | null>(null);
  const [name, setName] = useState('');
  const [modality, setModality] = useState('chest X-ray');
  const [classes, setClasses] = useState('normal lung, pneumonia');
  const [k, setK] = useState('4');
  const [imagesDir, setImagesDir] = useState('');
  const [fromReviews, setFromReviews] = useState(false);
  const [baseUrl, setBaseUrl] = useState<string | null>(null);
  const [model, setModel] = useState<string | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [outcome, setOutcome] = useState<SymptomProgress | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  // Events of a job whose id the start call has not returned yet.
  const early = useRef(new Map<number, SymptomProgress[]>());
  const current = useRef<number | null>(null);

  useEffect(() => {
    let live = true;
    api.call('symptoms.llmStatus', {}).then(
      (s) => live && setStatus(s),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const apply = (e: SymptomProgress): void => {
    if (e.phase === 'finished') {
      current.current = null;
      setJob(null);
      setOutcome(e);
      props.onFinished(e.versionId ?? null);
      return;
    }
    setJob((j) =>
      j && j.jobId === e.jobId
        ? e.phase === 'retry'
          ? { ...j, retry: e.message ?? null }
          : { ...j, last: e, retry: null }
        : j,
    );
  };

  useVipEvent('symptoms.progress', (e) => {
    if (e.jobId === current.current) apply(e);
    else early.current.set(e.jobId, [...(early.current.get(e.jobId) ?? []), e]);
  });

  const classNames = classList(classes);
  const kNumber = Number(k);
  const kProblem = /^\d{1,2}$/.test(k.trim()) && kNumber >= 1 && kNumber <= 32 ? null : 'Use 1 to 32.';
  const endpoint = (baseUrl ?? status?.baseUrl ?? '').trim();
  const modelName = (model ?? status?.model ?? '').trim();
  const problem =
    classNames.length < 2
      ? 'Give at least two classes, separated by commas.'
      : modality.trim() === ''
        ? 'Say what the images are.'
        : endpoint === ''
          ? 'Give the LLM address (or set it in Settings).'
          : modelName === ''
            ? 'Give the LLM model name.'
            : kProblem;

  const start = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (problem || job || starting) return;
    setStarting(true);
    setError(null);
    setOutcome(null);
    try {
      const { jobId } = await api.call('symptoms.generate', {
        name: name.trim() || `${modality.trim()} (generated)`,
        modality: modality.trim(),
        classes: classNames,
        k: kNumber,
        ...(imagesDir.trim() ? { imagesDir: imagesDir.trim() } : {}),
        fromReviews,
        llmBaseUrl: endpoint,
        llmModel: modelName,
      });
      current.current = jobId;
      setJob({ jobId, last: null, retry: null });
      for (const ev of early.current.get(jobId) ?? []) apply(ev);
      early.current.clear();
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };

  const cancel = (): void => {
    if (job) void api.call('symptoms.cancel', { jobId: job.jobId }).catch((err: unknown) => setError(err));
  };

  const busy = job !== null || starting;
  const last = job?.last;
  return (
    <form className="form symptom-generate" onSubmit={(e) => void start(e)} aria-labelledby="generate-title">
      <h2 id="generate-title">Generate with the LLM</h2>
      <p className="muted">
        Stage 1 asks the LLM, per class, which visual features help the diagnosis, in plain words. With images, stage 2
        shows it 4×4 grids of each class and keeps the features that recur and agree with stage 1. The result is stored
        as a new, unapproved version.
      </p>
      <div className="symptom-generate__grid">
        <label className="field">
          <span>Set name</span>
          <input
            type="text"
            value={name}
            maxLength={200}
            placeholder={`${modality.trim()} (generated)`}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Modality</span>
          <input type="text" value={modality} maxLength={200} onChange={(e) => setModality(e.target.value)} />
        </label>
        <label className="field">
          <span>Classes (in label order, separated by commas)</span>
          <input type="text" value={classes} onChange={(e) => setClasses(e.target.value)} />
        </label>
        <label className="field">
          <span>Symptoms per class (k)</span>
          <input
            type="text"
            inputMode="numeric"
            value={k}
            aria-invalid={kProblem ? true : undefined}
            onChange={(e) => setK(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Images for stage 2 (optional): a folder on the engine&apos;s machine with a folder per class</span>
          <input type="text" value={imagesDir} disabled={fromReviews} onChange={(e) => setImagesDir(e.target.value)} />
        </label>
        <label className="check symptom-generate__check">
          <input
            type="checkbox"
            checked={fromReviews}
            disabled={imagesDir.trim() !== ''}
            onChange={(e) => setFromReviews(e.target.checked)}
          />
          Use the reviewed cases as stage 2 images
        </label>
        <label className="field">
          <span>LLM base URL (OpenAI-compatible)</span>
          <input
            type="url"
            value={baseUrl ?? status?.baseUrl ?? ''}
            placeholder="http://127.0.0.1:11434/v1"
            onChange={(e) => setBaseUrl(e.target.value)}
          />
        </label>
        <label className="field">
          <span>LLM model</span>
          <input type="text" value={model ?? status?.model ?? ''} onChange={(e) => setModel(e.target.value)} />
        </label>
      </div>
      <ApiKeyField status={status} onStatus={setStatus} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={busy || problem !== null}>
          {busy ? 'Generating…' : 'Generate'}
        </button>
        {job ? (
          <button type="button" className="button" onClick={cancel}>
            Cancel
          </button>
        ) : null}
        <span className="muted">{!busy && problem ? problem : ''}</span>
      </div>
      {job ? (
        <div className="symptom-progress" role="status" data-testid="symptom-progress">
          <span className="spinner" aria-hidden="true" />
          <span>{last?.message ?? 'Starting…'}</span>
          {last?.total ? <progress max={last.total} value={last.done ?? 0} /> : null}
          {job.retry ? <span className="muted">{job.retry}</span> : null}
        </div>
      ) : null}
      {outcome ? (
        <p
          className={outcome.status === 'failed' ? 'field__problem' : 'notice'}
          role={outcome.status === 'failed' ? 'alert' : 'status'}
          data-testid="symptom-outcome"
        >
          {finishedMessage(outcome)}
        </p>
      ) : null}
      {error ? <ErrorNotice title="Could not start the generator" error={error} /> : null}
    </form>
  );
}
