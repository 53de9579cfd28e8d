/**
 * Model downloads (`models.fetch`) as the window knows them: the latest `models.fetchProgress` event of each job,
 * kept by ModelsProvider (always mounted) so a download's progress and outcome survive leaving the Models screen.
 */
import type { ModelFetchProgress } from '@shared/contract';
import { createStore } from '../lib/store';

export const modelFetches = createStore<ReadonlyMap<number, ModelFetchProgress>>(new Map());

export function recordFetchProgress(e: ModelFetchProgress): void {
  modelFetches.set((m) => new Map(m).set(e.jobId, e));
}

export function forgetFetch(jobId: number): void {
  modelFetches.set((m) => {
    const next = new Map(m);
    next.delete(jobId);
    return next;
  });
}

/** The download the Models screen's form started last (shown there until dismissed). */
export const shownFetch = createStore<number | null>(null);
