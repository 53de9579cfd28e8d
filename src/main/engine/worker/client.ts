/**
 * Runs a training job off the calling thread: in the bundled app and CLI, a worker thread running out/main/worker.js
 * (found next to the calling bundle or one folder up, as shared chunks live in out/main/chunks/); from TypeScript
 * sources (the tests), where no bundled worker exists, in-process. The caller sees the same promise, progress callback
 * and AbortSignal either way.
 */
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { VipError } from '@shared/errors';
import type { JobHooks } from '../training/job';
import type { TrainingJobResult, TrainingJobSpec } from '../training/job-spec';
import { fromWorkerSchema, type ToWorker } from './messages';

export type JobRunner = 'worker' | 'in-process';

/** The bundled worker script, or null when running from sources. */
export function locateWorkerScript(from: string = import.meta.url): string | null {
  const here = fileURLToPath(from);
  if (extname(here) !== '.js') return null;
  const dir = dirname(here);
  for (const candidate of [join(dir, 'worker.js'), join(dir, '..', 'worker.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export interface RunJobOptions extends JobHooks {
  /** Default: a worker thread when the bundled worker exists, else in-process. */
  runner?: JobRunner;
}

export async function runJob(
  spec: TrainingJobSpec,
  options: RunJobOptions = {},
): Promise<{ result: TrainingJobResult; runner: JobRunner }> {
  const script = locateWorkerScript();
  const runner = options.runner ?? (script ? 'worker' : 'in-process');
  if (runner === 'in-process') {
    const { runTrainingJob } = await import('../training/job');
    return { result: await runTrainingJob(spec, options), runner };
  }
  if (!script) throw new VipError('internal', 'the training worker (worker.js) is missing from the build');
  return { result: await runInWorker(script, spec, options), runner };
}

function runInWorker(script: string, spec: TrainingJobSpec, hooks: JobHooks): Promise<TrainingJobResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script);
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const post = (message: ToWorker): void => worker.postMessage(message);
    const onAbort = (): void => post({ type: 'cancel' });
    hooks.signal?.addEventListener('abort', onAbort);
    worker.on('message', (raw: unknown) => {
      const parsed = fromWorkerSchema.safeParse(raw);
      if (!parsed.success) {
        finish(() =>
          reject(
            new VipError(
              'internal',
              `training worker sent a bad message (${parsed.error.issues[0]?.message ?? 'invalid'})`,
            ),
          ),
        );
        return;
      }
      const m = parsed.data;
      if (m.type === 'progress') hooks.onProgress?.(m.progress);
      else if (m.type === 'done') finish(() => resolve(m.result));
      else finish(() => reject(new VipError(m.error.code, m.error.message, m.error.detail)));
    });
    worker.on('error', (err) =>
      finish(() => reject(new VipError('internal', `training worker failed: ${err.message}`, err.stack))),
    );
    worker.on('exit', (code) =>
      finish(() => reject(new VipError('internal', `training worker stopped (exit code ${code}) before it finished`))),
    );
    post({ type: 'start', spec });
    if (hooks.signal?.aborted) onAbort();
  });
}
