/**
 * The model jobs of this engine process: `models.fetch` (download, then build), `models.createDemo` and
 * `models.import` (build). Each call makes the checks that can be made at once (an error of the call), then answers
 * with a job id; the job reports `models.jobProgress` events (a few per second at most, and at every change of phase,
 * file or build step) and ends with one `finished` event; `models.jobCancel` stops it, and `models.jobs` lists the
 * jobs for a window that reconnects or reloads. A stopped or failed build leaves nothing under models/; a stopped
 * download keeps its partial files in the data folder's tmp, so the same fetch later resumes.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelBuildProgress, ModelJobKind, ModelJobProgress, ParsedParams } from '@shared/contract';
import { badInput, VipError } from '@shared/errors';
import type { EngineContext } from '../context';
import { checkRepoId, defaultIdFor, fetchFromHub } from './fetch';
import { readHuggingFaceFolder, writeHuggingFaceCheckpoint } from './import';
import { describeJobFailure } from './job-errors';
import { createDemoPackage, validatePackageId } from './package';

interface Job {
  /** Jobs belong to a data folder: tests and tools may open several engines in one process. */
  modelsDir: string;
  controller: AbortController;
  latest: ModelJobProgress;
}

const jobs = new Map<number, Job>();
let nextJobId = 1;
const EMIT_INTERVAL_MS = 150;
const KEEP_FINISHED = 20;

type Change = Pick<ModelJobProgress, 'phase'> & Partial<Omit<ModelJobProgress, 'jobId' | 'kind' | 'packageId'>>;

/** What a job's work gets: the signal to obey and a way to report. */
interface JobRun {
  signal: AbortSignal;
  /** `force` false lets the event wait for the emit interval (the job's latest state is updated anyway). */
  report(change: Change, force?: boolean): void;
  onBuild(progress: ModelBuildProgress): void;
}

interface JobSpec {
  kind: ModelJobKind;
  packageId: string;
  source: string;
  work(run: JobRun): Promise<unknown>;
  /** After the package is installed, before the finished event. */
  onCompleted?: () => void;
}

export type JobStarted = { jobId: number; packageId: string };

const running = (job: Job): boolean => job.latest.phase !== 'finished';

/** Refuses at once an id that is installed, or that a running job of this data folder is installing. */
function checkFree(ctx: EngineContext, packageId: string): void {
  if (existsSync(join(ctx.paths.models, packageId)))
    throw badInput(`A model package "${packageId}" is already installed; choose another id or remove it first`);
  const busy = [...jobs.values()].find(
    (j) => j.modelsDir === ctx.paths.models && j.latest.packageId === packageId && running(j),
  );
  if (busy) throw badInput(`"${packageId}" is already being ${busy.latest.kind === 'fetch' ? 'downloaded' : 'built'}`);
}

function startJob(ctx: EngineContext, spec: JobSpec): JobStarted {
  const jobId = nextJobId++;
  const controller = new AbortController();
  const base = { jobId, kind: spec.kind, packageId: spec.packageId, source: spec.source };
  const job: Job = {
    modelsDir: ctx.paths.models,
    controller,
    latest: { ...base, phase: spec.kind === 'fetch' ? 'download' : 'build', files: [] },
  };
  jobs.set(jobId, job);

  // The file list and the build's step carry over from event to event; `file` is about one event only.
  const kept: Pick<ModelJobProgress, 'files' | 'build'> = { files: [] };
  let last = 0;
  const report = (change: Change, force = true): void => {
    if (change.files) kept.files = change.files;
    if (change.build) kept.build = change.build;
    job.latest = { ...base, ...kept, ...change };
    const now = Date.now();
    if (!force && now - last < EMIT_INTERVAL_MS) return;
    last = now;
    ctx.events.emit('models.jobProgress', job.latest);
  };
  const onBuild = (progress: ModelBuildProgress): void => {
    const newStep = kept.build?.step !== progress.step;
    report({ phase: 'build', build: progress }, newStep);
  };

  // Started after this call has answered, so the caller knows the job id before its first event.
  setImmediate(() => {
    spec
      .work({ signal: controller.signal, report, onBuild })
      .then(() => {
        spec.onCompleted?.();
        report({ phase: 'finished', status: 'completed' });
      })
      .catch((err: unknown) => {
        const cancelled = controller.signal.aborted || (err instanceof VipError && err.code === 'cancelled');
        if (cancelled) report({ phase: 'finished', status: 'cancelled' });
        else report({ phase: 'finished', status: 'failed', error: describeJobFailure(spec.kind, err) });
      })
      .finally(forgetOldJobs);
  });
  return { jobId, packageId: spec.packageId };
}

function forgetOldJobs(): void {
  const finished = [...jobs].filter(([, j]) => !running(j));
  for (const [id] of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) jobs.delete(id);
}

export function startFetch(params: ParsedParams<'models.fetch'>, ctx: EngineContext): JobStarted {
  const repo = checkRepoId(params.repo);
  const packageId = validatePackageId(params.id ?? defaultIdFor(repo));
  checkFree(ctx, packageId);
  const files = new Map<string, { bytes: number; total: number | null }>();
  const listed = () => [...files].map(([name, f]) => ({ name, bytes: f.bytes, total: f.total }));
  return startJob(ctx, {
    kind: 'fetch',
    packageId,
    source: repo,
    work: (run) =>
      fetchFromHub(repo, {
        id: packageId,
        modelsDir: ctx.paths.models,
        tmpDir: ctx.paths.tmp,
        signal: run.signal,
        ...(params.revision ? { revision: params.revision } : {}),
        onProgress: (p) => {
          const known = files.get(p.file);
          files.set(p.file, { bytes: p.bytes, total: p.totalBytes });
          const done = p.totalBytes !== null && p.bytes === p.totalBytes;
          run.report({ phase: 'download', file: p.file, files: listed() }, !known || done);
        },
        onPhase: (phase, file) => run.report({ phase, ...(file ? { file } : {}) }),
        onBuild: run.onBuild,
      }),
    onCompleted: () =>
      ctx.store.audit.record({
        actor: ctx.actor(),
        action: 'models.fetch',
        entity: 'model_package',
        entityId: packageId,
        detail: { repo, revision: params.revision ?? 'main' },
      }),
  });
}

export function startCreateDemo(params: ParsedParams<'models.createDemo'>, ctx: EngineContext): JobStarted {
  const { preset, seed } = params;
  const packageId = validatePackageId(params.id);
  checkFree(ctx, packageId);
  return startJob(ctx, {
    kind: 'create-demo',
    packageId,
    source: `demo:${preset}:${seed}`,
    work: (run) =>
      createDemoPackage(ctx.paths.models, { id: packageId, preset, seed, signal: run.signal, onProgress: run.onBuild }),
  });
}

export function startImport(params: ParsedParams<'models.import'>, ctx: EngineContext): JobStarted {
  const packageId = validatePackageId(params.id);
  checkFree(ctx, packageId);
  const folder = resolve(params.folder);
  // Everything but the tensor data is read and checked here, so a folder that is not a CLIP is refused at once.
  const checkpoint = readHuggingFaceFolder(folder);
  return startJob(ctx, {
    kind: 'import',
    packageId,
    source: folder,
    work: (run) =>
      writeHuggingFaceCheckpoint(checkpoint, folder, ctx.paths.models, {
        id: packageId,
        signal: run.signal,
        onProgress: run.onBuild,
      }),
  });
}

/** True when the job was running and has been told to stop (its finished event says whether it stopped in time). */
export function cancelModelJob(jobId: number, ctx: EngineContext): boolean {
  const job = jobs.get(jobId);
  if (!job || job.modelsDir !== ctx.paths.models || !running(job)) return false;
  job.controller.abort();
  return true;
}

/** Newest first. */
export function listModelJobs(ctx: EngineContext): ModelJobProgress[] {
  return [...jobs.values()]
    .filter((j) => j.modelsDir === ctx.paths.models)
    .map((j) => j.latest)
    .sort((a, b) => b.jobId - a.jobId);
}
