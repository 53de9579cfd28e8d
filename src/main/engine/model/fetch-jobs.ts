/**
 * `models.fetch` as a background job: the call answers with a job id at once, the download reports
 * `models.fetchProgress` events (a few per second at most, and at every change of file or phase), and
 * `models.fetchCancel` stops it. Partial files stay in the data folder's tmp, so the same fetch later resumes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFetchProgress, ParsedParams } from '@shared/contract';
import { badInput, VipError } from '@shared/errors';
import type { EngineContext } from '../context';
import { checkRepoId, defaultIdFor, fetchFromHub } from './fetch';
import { describeFetchFailure } from './fetch-errors';
import { validatePackageId } from './package';

const running = new Map<number, { controller: AbortController; packageId: string }>();
let nextJobId = 1;
const EMIT_INTERVAL_MS = 150;

export function startFetch(
  params: ParsedParams<'models.fetch'>,
  ctx: EngineContext,
): { jobId: number; packageId: string } {
  const repo = checkRepoId(params.repo);
  const packageId = validatePackageId(params.id ?? defaultIdFor(repo));
  // What can be told at once is told at once, as an error of this call rather than of the job.
  if (existsSync(join(ctx.paths.models, packageId)))
    throw badInput(`A model package "${packageId}" is already installed; choose another id or remove it first`);
  if ([...running.values()].some((j) => j.packageId === packageId))
    throw badInput(`"${packageId}" is already being downloaded`);
  const jobId = nextJobId++;
  const controller = new AbortController();
  running.set(jobId, { controller, packageId });

  const files = new Map<string, { bytes: number; total: number | null }>();
  let last = 0;
  const emit = (change: Partial<ModelFetchProgress> & Pick<ModelFetchProgress, 'phase'>, force = true): void => {
    const now = Date.now();
    if (!force && now - last < EMIT_INTERVAL_MS) return;
    last = now;
    ctx.events.emit('models.fetchProgress', {
      jobId,
      packageId,
      repo,
      files: [...files].map(([name, f]) => ({ name, bytes: f.bytes, total: f.total })),
      ...change,
    });
  };

  // Started after this call has answered, so the caller knows the job id before its first event.
  setImmediate(() => {
    fetchFromHub(repo, {
      id: packageId,
      modelsDir: ctx.paths.models,
      tmpDir: ctx.paths.tmp,
      signal: controller.signal,
      ...(params.revision ? { revision: params.revision } : {}),
      onProgress: (p) => {
        const known = files.get(p.file);
        files.set(p.file, { bytes: p.bytes, total: p.totalBytes });
        const done = p.totalBytes !== null && p.bytes === p.totalBytes;
        emit({ phase: 'download', file: p.file }, !known || done);
      },
      onPhase: (phase, file) => emit({ phase, ...(file ? { file } : {}) }),
      onFile: (name) => emit({ phase: 'convert', file: name }, false),
    })
      .then(() => {
        ctx.store.audit.record({
          actor: ctx.actor(),
          action: 'models.fetch',
          entity: 'model_package',
          entityId: packageId,
          detail: { repo, revision: params.revision ?? 'main' },
        });
        emit({ phase: 'finished', status: 'completed' });
      })
      .catch((err: unknown) => {
        const cancelled = controller.signal.aborted || (err instanceof VipError && err.code === 'cancelled');
        if (cancelled) emit({ phase: 'finished', status: 'cancelled' });
        else emit({ phase: 'finished', status: 'failed', error: describeFetchFailure(err) });
      })
      .finally(() => running.delete(jobId));
  });
  return { jobId, packageId };
}

export function cancelFetch(jobId: number): boolean {
  const job = running.get(jobId);
  if (!job) return false;
  job.controller.abort();
  return true;
}
