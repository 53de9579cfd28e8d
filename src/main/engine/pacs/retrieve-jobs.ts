/** The retrieve jobs running in this process: started in the background, cancellable, each ending with one event. */
import type { PacsProgress } from '@shared/contract';
import type { EngineContext } from '../context';
import { remember } from './job-progress';
import { requireNode } from './node-service';
import { pacsClient } from './pacs-client';
import { runRetrieve, type RetrieveRequest } from './retrieve-job';
import { DEFAULT_RETRY, type RetryPolicy } from './retry';

const running = new Map<number, { cancel(): void }>();
let nextJobId = 1;
let retryPolicy: RetryPolicy = DEFAULT_RETRY;

/** Tests shorten the backoff; the default waits 0.5, 1 and 2 s. */
export function setRetryPolicy(policy: RetryPolicy): void {
  retryPolicy = policy;
}

export function startRetrieve(ctx: EngineContext, params: Omit<RetrieveRequest, 'jobId'>): number {
  const node = requireNode(ctx.store.db, params.name);
  // Built before the job starts, so a missing secret is the caller's error, not a failed job.
  const client = pacsClient(node);
  const jobId = nextJobId++;
  let cancelled = false;
  running.set(jobId, {
    cancel: () => {
      cancelled = true;
      client.cancel();
    },
  });
  const actor = ctx.actor();
  const emit = (p: PacsProgress): void => {
    remember(p);
    ctx.events.emit('pacs.progress', p);
  };
  remember({
    jobId,
    name: node.name,
    studyInstanceUID: params.studyInstanceUID,
    phase: 'listing',
    done: 0,
    total: 0,
    imported: 0,
    alreadyStored: 0,
    caseIds: [],
  });
  // Started on the next turn, so the caller has the job id before the first event.
  setImmediate(() => {
    void runRetrieve(
      {
        store: ctx.store,
        events: ctx.events,
        actor,
        client,
        retry: retryPolicy,
        isCancelled: () => cancelled,
        onProgress: emit,
      },
      { ...params, name: node.name, jobId },
    )
      .catch((err: unknown) => ({
        jobId,
        name: node.name,
        studyInstanceUID: params.studyInstanceUID,
        phase: 'finished' as const,
        done: 0,
        total: 0,
        imported: 0,
        alreadyStored: 0,
        caseIds: [],
        status: 'failed' as const,
        landed: [],
        error: err instanceof Error ? err.message : String(err),
      }))
      .then((final) => {
        running.delete(jobId);
        ctx.store.audit.record({
          actor,
          action: 'pacs.retrieve',
          entity: 'pacs',
          entityId: node.name,
          detail: {
            url: node.url,
            studyInstanceUID: params.studyInstanceUID,
            seriesInstanceUID: params.seriesInstanceUID ?? null,
            status: final.status,
            instances: final.total,
            imported: final.imported,
            alreadyStored: final.alreadyStored,
            caseIds: final.caseIds,
            error: final.error ?? null,
          },
        });
        emit(final);
      });
  });
  return jobId;
}

export function cancelRetrieve(jobId: number): boolean {
  const job = running.get(jobId);
  if (!job) return false;
  job.cancel();
  return true;
}
