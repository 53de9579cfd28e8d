/**
 * What the three model forms share about their engine job (`models.createDemo`, `models.import`, `models.fetch`):
 * starting it, the package build's steps in plain words with a progress bar and a Cancel button, and how it ended
 * (installed, cancelled, or the failure in plain words with the technical detail under "Details").
 */
import { useState, type ReactNode } from 'react';
import {
  ModelBuildStep,
  type ModelBuildProgress,
  type ModelJobKind,
  type ModelJobProgress,
  type ModelPackageInfo,
} from '@shared/contract';
import { modelJobs, showJob, shownJobs } from '../../api/model-jobs';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../lib/store';

export interface ModelJobState {
  jobId: number | null;
  /** The job's latest event; null before the first one. */
  progress: ModelJobProgress | null;
  /** Started and not finished. */
  active: boolean;
  starting: boolean;
  startError: unknown;
  cancelling: boolean;
  /** Runs the call that starts a job and shows that job; false when the call was refused (see startError). */
  start(call: () => Promise<{ jobId: number }>): Promise<boolean>;
  cancel(): void;
  /** Hides the finished job's outcome. */
  dismiss(): void;
}

/** The job a form shows (kept outside the form, so it survives leaving the screen), and the form's part in it. */
export function useModelJob(kind: ModelJobKind): ModelJobState {
  const api = useVip();
  const jobs = useStore(modelJobs);
  const jobId = useStore(shownJobs)[kind];
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const [cancelling, setCancelling] = useState<number | null>(null);
  const progress = jobId !== null ? (jobs.get(jobId) ?? null) : null;
  const active = jobId !== null && progress?.phase !== 'finished';

  const start = async (call: () => Promise<{ jobId: number }>): Promise<boolean> => {
    if (starting || active) return false;
    setStarting(true);
    setStartError(null);
    try {
      showJob(kind, (await call()).jobId);
      return true;
    } catch (err) {
      setStartError(err);
      return false;
    } finally {
      setStarting(false);
    }
  };

  const cancel = (): void => {
    if (jobId === null) return;
    setCancelling(jobId);
    setStartError(null);
    api.call('models.jobCancel', { jobId }).then(
      () => undefined,
      (err: unknown) => {
        setCancelling(null);
        setStartError(err);
      },
    );
  };

  return {
    jobId,
    progress,
    active,
    starting,
    startError,
    cancelling: cancelling !== null && cancelling === jobId,
    start,
    cancel,
    dismiss: () => showJob(kind, null),
  };
}

const STEP_NAMES: Record<ModelBuildStep, string> = {
  tokenizer: 'Configuration and tokenizer',
  'text-weights': 'Text tower weights',
  'text-tower': 'Text tower',
  'image-weights': 'Image tower weights',
  'image-tower': 'Image tower',
  checksums: 'Checksums',
};

/** The step under way, as a sentence. The demo's weights are generated; the others' are read from files. */
export function buildStepLine(kind: ModelJobKind, step: ModelBuildStep): string {
  const weights = kind === 'create-demo' ? 'Generating' : 'Reading';
  switch (step) {
    case 'tokenizer':
      return 'Writing the configuration and the tokenizer';
    case 'text-weights':
      return `${weights} the text tower's weights`;
    case 'text-tower':
      return 'Building the text tower';
    case 'image-weights':
      return `${weights} the image tower's weights`;
    case 'image-tower':
      return 'Building the image tower';
    case 'checksums':
      return 'Checking the written files';
  }
}

function StepList(props: { build: ModelBuildProgress }): ReactNode {
  const { build } = props;
  return (
    <ol className="build-steps" aria-label="Steps">
      {ModelBuildStep.options.map((step, i) => {
        const state = i + 1 < build.stepIndex ? 'done' : i + 1 === build.stepIndex ? 'current' : 'todo';
        const bytes =
          state === 'current' && build.done !== undefined && build.total ? (
            <span className="build-steps__bytes">
              {formatBytes(build.done)} of {formatBytes(build.total)}
            </span>
          ) : null;
        return (
          <li
            key={step}
            className={`build-steps__step build-steps__step--${state}`}
            aria-current={state === 'current' ? 'step' : undefined}
          >
            <span className="build-steps__mark" aria-hidden="true">
              {state === 'done' ? '✓' : state === 'current' ? '●' : '○'}
            </span>
            <span>{STEP_NAMES[step]}</span>
            {state === 'done' ? <span className="visually-hidden"> (done)</span> : null}
            {bytes}
          </li>
        );
      })}
    </ol>
  );
}

/** The package build under way: the step in words, the share done, the steps, and Cancel. */
export function BuildProgressView(props: {
  kind: ModelJobKind;
  packageId: string;
  progress: ModelJobProgress | null;
  cancelling: boolean;
  onCancel(): void;
  cancelLabel?: string;
}): ReactNode {
  const build = props.progress?.build;
  const percent = build ? Math.floor(build.fraction * 100) : 0;
  return (
    <div className="job-progress" role="group" aria-label={`Building ${props.packageId}`}>
      <div className="job-progress__head">
        <span className="spinner" aria-hidden="true" />
        <span role="status" data-testid="build-step">
          {build
            ? `${buildStepLine(props.kind, build.step)} (step ${build.stepIndex} of ${build.stepCount})…`
            : 'Preparing the build…'}
        </span>
        <button
          type="button"
          className="button button--small job-progress__cancel"
          disabled={props.cancelling}
          onClick={props.onCancel}
        >
          {props.cancelling ? 'Cancelling…' : (props.cancelLabel ?? 'Cancel')}
        </button>
      </div>
      <div className="job-progress__bar">
        <progress max={100} value={percent} aria-label="Package built so far" />
        <span className="job-progress__percent" data-testid="build-percent">
          {percent} %
        </span>
      </div>
      {build ? <StepList build={build} /> : null}
      <p className="muted job-progress__hint">
        You can use other screens meanwhile. Cancelling removes everything written so far.
      </p>
    </div>
  );
}

const FAIL_TITLES: Record<ModelJobKind, string> = {
  fetch: 'Could not download the model',
  'create-demo': 'Could not create the demo package',
  import: 'Could not import the folder',
};

function completedLine(p: ModelJobProgress, info: ModelPackageInfo | undefined): string {
  const facts = info ? `: ${info.architecture ?? 'CLIP'}, ${formatBytes(info.sizeBytes)}` : '';
  if (p.kind === 'fetch') return `Installed "${p.packageId}" from ${p.source}${facts}.`;
  if (p.kind === 'import') return `Imported "${p.packageId}"${facts}.`;
  return `Created "${p.packageId}"${facts}.`;
}

function cancelledLine(p: ModelJobProgress): string {
  if (p.kind === 'fetch') {
    return p.build
      ? `Download of ${p.source} cancelled while the package was being built. Nothing was installed; downloading it again starts over.`
      : `Download of ${p.source} cancelled. Starting it again resumes where it stopped.`;
  }
  const what = p.kind === 'import' ? 'Importing' : 'Creating';
  return `${what} "${p.packageId}" was cancelled. Nothing was installed and nothing was left behind.`;
}

/** How a finished job ended, with Dismiss. */
export function JobOutcome(props: {
  p: ModelJobProgress;
  packages: readonly ModelPackageInfo[];
  onDismiss(): void;
}): ReactNode {
  const { p } = props;
  const dismiss = (
    <button type="button" className="button button--small" onClick={props.onDismiss}>
      Dismiss
    </button>
  );
  if (p.status === 'failed') {
    return (
      <div className="job-outcome">
        <ErrorNotice title={FAIL_TITLES[p.kind]} error={p.error ?? { message: 'It stopped without saying why.' }} />
        {dismiss}
      </div>
    );
  }
  const completed = p.status === 'completed';
  return (
    <div className={completed ? 'model-done' : 'model-done model-done--stopped'} role="status">
      <span>
        {completed
          ? completedLine(
              p,
              props.packages.find((i) => i.id === p.packageId),
            )
          : cancelledLine(p)}
      </span>
      {dismiss}
    </div>
  );
}
