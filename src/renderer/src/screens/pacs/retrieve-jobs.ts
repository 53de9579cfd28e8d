/**
 * The retrievals of this window: each `pacs.retrieve` call, the job id it returned and the latest `pacs.progress`
 * event for it. One list per API connection, outliving the PACS tab, so a retrieval keeps reporting while the reader
 * opens a case and comes back. `sync` asks the engine (`pacs.jobs`) for what this window missed: at start (after a
 * reload) and after a reconnect (events sent while the connection was down are lost). DOM-free (the Node tests drive
 * it with a fake API).
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
  /** Finished jobs the reader cleared. */
  private readonly cleared = new Set<number>();
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
      // `sync` may have listed this job already (as another window's): that entry, kept up to date since, gives way.
      const listed = this.jobs.find((j) => j.jobId === jobId && j.key !== key);
      const known = listed?.progress ?? this.early.get(jobId) ?? null;
      this.early.delete(jobId);
      if (listed) this.jobs = this.jobs.filter((j) => j !== listed);
      this.update(key, (j) => ({ ...j, jobId, progress: known ?? j.progress }));
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

  /** Removes finished (or never started) jobs from the list; the engine's own list does not bring them back. */
  clearFinished(): void {
    for (const j of this.jobs) if (j.jobId !== null && j.progress?.phase === 'finished') this.cleared.add(j.jobId);
    this.jobs = this.jobs.filter((j) => j.startError === null && j.progress?.phase !== 'finished');
    this.emit();
  }

  /**
   * Brings the list up to date with the engine's jobs: progress this window missed, and jobs it did not start (another
   * window, or before a reload), named by `labelOf`.
   */
  async sync(labelOf: (p: PacsProgress) => string = (p) => `Study ${p.studyInstanceUID}`): Promise<void> {
    let engineJobs: PacsProgress[];
    try {
      engineJobs = (await this.api.call('pacs.jobs', {})).jobs;
    } catch {
      return; // Not connected (again): the next reconnect tries once more.
    }
    let changed = false;
    const added: RetrieveJob[] = [];
    for (const p of engineJobs) {
      const mine = this.jobs.find((j) => j.jobId === p.jobId);
      if (mine) {
        // An event newer than the engine's answer may have landed meanwhile: never step back.
        const have = mine.progress;
        if (have?.phase !== 'finished' && (have === null || p.phase === 'finished' || p.done > have.done)) {
          this.jobs = this.jobs.map((j) =>
            j === mine ? { ...j, progress: p, cancelling: p.phase === 'finished' ? false : j.cancelling } : j,
          );
          changed = true;
        }
      } else if (!this.cleared.has(p.jobId)) {
        this.early.delete(p.jobId);
        added.push({
          key: this.nextKey++,
          jobId: p.jobId,
          node: p.name,
          request: { studyInstanceUID: p.studyInstanceUID },
          label: labelOf(p),
          progress: p,
          startError: null,
          cancelling: false,
          cancelError: null,
        });
      }
    }
    if (added.length > 0) {
      // Newest first, as the engine lists them; this window's pending calls stay on top.
      this.jobs = [...this.jobs, ...added].sort((a, b) => (b.jobId ?? Infinity) - (a.jobId ?? Infinity));
      changed = true;
    }
    if (changed) this.emit();
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
