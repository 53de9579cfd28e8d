/**
 * The retrievals started from this window: each `pacs.retrieve` call, the job id it returned and the latest
 * `pacs.progress` event for it. One list per API connection, outliving the PACS tab, so a retrieval keeps reporting
 * while the reader opens a case and comes back. DOM-free (the Node tests drive it with a fake API).
 */
import type { PacsProgress } from '@shared/contract';
import type { VipApi } from '@shared/protocol';
import type { RetrieveRequest } from './pacs-logic';

export interface RetrieveJob {
  /** This list's own key (the engine's job id arrives only once the call returns). */
  readonly key: number;
  readonly jobId: number | null;
  readonly node: string;
  readonly request: RetrieveRequest;
  /** What the reader picked, in words (patient, date, study; the series when one was picked). */
  readonly label: string;
  readonly progress: PacsProgress | null;
  /** `pacs.retrieve` itself failed (nothing started). */
  readonly startError: unknown;
  readonly cancelling: boolean;
  readonly cancelError: unknown;
}

type Listener = () => void;

export class RetrieveJobs {
  private jobs: readonly RetrieveJob[] = [];
  /** Events for job ids not known yet: the engine may report before `pacs.retrieve` has answered. */
  private readonly early = new Map<number, PacsProgress>();
  private readonly listeners = new Set<Listener>();
  private nextKey = 1;

  constructor(private readonly api: Pick<VipApi, 'call' | 'on'>) {
    api.on('pacs.progress', (p) => this.onProgress(p));
  }

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): readonly RetrieveJob[] => this.jobs;

  /** Jobs still running (started, not finished, not failed to start). */
  running(): number {
    return this.jobs.filter((j) => j.startError === null && j.progress?.phase !== 'finished').length;
  }

  async start(node: string, request: RetrieveRequest, label: string): Promise<void> {
    const key = this.nextKey++;
    this.jobs = [
      {
        key,
        jobId: null,
        node,
        request,
        label,
        progress: null,
        startError: null,
        cancelling: false,
        cancelError: null,
      },
      ...this.jobs,
    ];
    this.emit();
    try {
      const { jobId } = await this.api.call('pacs.retrieve', { name: node, ...request });
      const early = this.early.get(jobId) ?? null;
      this.early.delete(jobId);
      this.update(key, (j) => ({ ...j, jobId, progress: early ?? j.progress }));
    } catch (err) {
      this.update(key, (j) => ({ ...j, startError: err }));
    }
  }

  async cancel(key: number): Promise<void> {
    const job = this.jobs.find((j) => j.key === key);
    if (!job || job.jobId === null || job.progress?.phase === 'finished') return;
    this.update(key, (j) => ({ ...j, cancelling: true, cancelError: null }));
    try {
      await this.api.call('pacs.cancel', { jobId: job.jobId });
      // The job's own `finished` event (status cancelled) ends it; nothing more to do here.
    } catch (err) {
      this.update(key, (j) => ({ ...j, cancelling: false, cancelError: err }));
    }
  }

  /** Removes finished (or never started) jobs from the list. */
  clearFinished(): void {
    this.jobs = this.jobs.filter((j) => j.startError === null && j.progress?.phase !== 'finished');
    this.emit();
  }

  private onProgress(p: PacsProgress): void {
    const job = this.jobs.find((j) => j.jobId === p.jobId);
    if (!job) {
      // A job of another window (or one whose call has not answered yet): keep its latest state for a while.
      const known = this.early.get(p.jobId);
      if (known?.phase !== 'finished') this.early.set(p.jobId, p);
      if (this.early.size > 200) this.early.delete(this.early.keys().next().value as number);
      return;
    }
    // A finished job stays finished (events of one job arrive in order; this only guards a late duplicate).
    if (job.progress?.phase === 'finished') return;
    this.update(job.key, (j) => ({ ...j, progress: p, cancelling: p.phase === 'finished' ? false : j.cancelling }));
  }

  private update(key: number, change: (job: RetrieveJob) => RetrieveJob): void {
    this.jobs = this.jobs.map((j) => (j.key === key ? change(j) : j));
    this.emit();
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

const perApi = new WeakMap<object, RetrieveJobs>();

/** The one job list of a connection. */
export function retrieveJobsFor(api: Pick<VipApi, 'call' | 'on'>): RetrieveJobs {
  let jobs = perApi.get(api);
  if (!jobs) {
    jobs = new RetrieveJobs(api);
    perApi.set(api, jobs);
  }
  return jobs;
}
