/**
 * Model jobs (`models.fetch`, `models.createDemo`, `models.import`) as the window knows them: the latest
 * `models.jobProgress` event of each job, kept by ModelsProvider (always mounted) so a job's progress and outcome
 * survive leaving the Models screen, and the job each form shows. `syncModelJobs` takes the engine's list
 * (`models.jobs`) after a reload or a reconnect, when events were missed or the window is new.
 */
import type { ModelJobKind, ModelJobProgress } from '@shared/contract';
import { createStore } from '../lib/store';

export const modelJobs = createStore<ReadonlyMap<number, ModelJobProgress>>(new Map());

/** The job each form shows (the one it started last, or one the engine was running when the window caught up). */
export const shownJobs = createStore<Readonly<Record<ModelJobKind, number | null>>>({
  fetch: null,
  'create-demo': null,
  import: null,
});

export function recordJobProgress(e: ModelJobProgress): void {
  // A finished job stays finished: a late list answer must not bring it back to life.
  modelJobs.set((m) => (m.get(e.jobId)?.phase === 'finished' ? m : new Map(m).set(e.jobId, e)));
}

export function showJob(kind: ModelJobKind, jobId: number | null): void {
  const previous = shownJobs.get()[kind];
  if (previous !== null && previous !== jobId) forgetJob(previous);
  shownJobs.set((s) => ({ ...s, [kind]: jobId }));
}

function forgetJob(jobId: number): void {
  modelJobs.set((m) => {
    const next = new Map(m);
    next.delete(jobId);
    return next;
  });
}

/**
 * Brings the window up to date with the engine's jobs (newest first): progress it missed, and running jobs it did not
 * know (started before a reload, or by another window), shown by their form when that form shows nothing running.
 */
export function syncModelJobs(jobs: readonly ModelJobProgress[]): void {
  const known = modelJobs.get();
  for (const p of [...jobs].reverse()) {
    if (!known.has(p.jobId) && p.phase === 'finished') continue;
    recordJobProgress(p);
    const shown = shownJobs.get()[p.kind];
    const shownRunning = shown !== null && modelJobs.get().get(shown)?.phase !== 'finished';
    if (p.phase !== 'finished' && shown !== p.jobId && !shownRunning) showJob(p.kind, p.jobId);
  }
}
