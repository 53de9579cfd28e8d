/**
 * The worklist's rows, fetched a page at a time with `cases.list` offset/limit as the user scrolls. Only pages near the
 * visible range are requested; on refresh the old rows stay on screen until the new ones arrive, so nothing flickers.
 */
import type { CaseSummary } from '@shared/contract';
import type { VipApi } from '@shared/protocol';
import type { WorklistQuery } from './worklist-query';
import { toListParams } from './worklist-query';

export const PAGE_SIZE = 200;

export interface PagerSnapshot {
  readonly version: number;
  /** null until the first page answered. */
  readonly total: number | null;
  readonly error: unknown;
  readonly loading: boolean;
}

export class CasePager {
  private readonly pages = new Map<number, readonly CaseSummary[]>();
  /** Pages whose rows are from before the last refresh: shown, but fetched again when visible. */
  private readonly stale = new Set<number>();
  private readonly inFlight = new Set<number>();
  private generation = 0;
  private range: { start: number; end: number } = { start: 0, end: 0 };
  private snapshot: PagerSnapshot = { version: 0, total: null, error: null, loading: false };
  private readonly listeners = new Set<() => void>();
  private disposed = false;

  constructor(
    private readonly api: VipApi,
    private readonly query: WorklistQuery,
  ) {}

  getSnapshot = (): PagerSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  row(index: number): CaseSummary | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Makes sure the rows start..end (inclusive) are loaded or loading. */
  ensure(start: number, end: number): void {
    this.range = { start, end };
    const first = Math.floor(Math.max(0, start) / PAGE_SIZE);
    const last = Math.floor(Math.max(0, end) / PAGE_SIZE);
    for (let page = first; page <= last; page++) {
      if ((!this.pages.has(page) || this.stale.has(page)) && !this.inFlight.has(page)) void this.load(page);
    }
  }

  /** The data changed on the server: reload what is visible, forget the rest. */
  refresh(): void {
    this.generation++;
    this.inFlight.clear();
    const first = Math.floor(this.range.start / PAGE_SIZE);
    const last = Math.floor(this.range.end / PAGE_SIZE);
    for (const page of [...this.pages.keys()]) {
      if (page < first || page > last) this.pages.delete(page);
      else this.stale.add(page);
    }
    this.ensure(this.range.start, this.range.end);
    if (this.pages.size === 0 && this.inFlight.size === 0) void this.load(0);
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    this.inFlight.add(page);
    this.publish({ loading: true });
    try {
      const result = await this.api.call('cases.list', {
        ...toListParams(this.query),
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      if (this.disposed || generation !== this.generation) return;
      this.pages.set(page, result.cases);
      this.stale.delete(page);
      this.inFlight.delete(page);
      // The total can shrink under us; rows past it are gone.
      for (const p of [...this.pages.keys()]) if (p * PAGE_SIZE >= result.total && p !== 0) this.pages.delete(p);
      this.publish({ total: result.total, error: null, loading: this.inFlight.size > 0 });
    } catch (err) {
      if (this.disposed || generation !== this.generation) return;
      this.inFlight.delete(page);
      this.publish({ error: err, loading: this.inFlight.size > 0 });
    }
  }

  private publish(change: Partial<Omit<PagerSnapshot, 'version'>>): void {
    if (this.disposed) return;
    this.snapshot = { ...this.snapshot, ...change, version: this.snapshot.version + 1 };
    for (const l of [...this.listeners]) l();
  }
}
