/**
 * One import of user-picked files through `cases.importFiles`, a few files per call so progress shows early, memory
 * stays bounded and one bad file only costs its own chunk. Per-file status comes from the `import.progress` events while
 * a chunk is in flight and is settled from the ImportReport when the chunk returns.
 */
import type { ImportOutcome, ImportReport } from '@shared/contract';
import type { VipApi } from '@shared/protocol';
import { toDisplayError } from '../../lib/errors';
import { chunkFiles, type PickedFile } from '../../lib/picked-files';

export type FileStatus = 'queued' | 'uploading' | 'imported' | 'duplicate' | 'error' | 'cancelled';

export interface ImportItem {
  readonly index: number;
  readonly name: string;
  readonly size: number;
  readonly status: FileStatus;
  readonly message: string | null;
  readonly caseId: number | null;
}

export interface ImportSnapshot {
  /** Changes on every update; the items array itself is reused (it can hold many thousand files). */
  readonly version: number;
  readonly items: readonly ImportItem[];
  readonly counts: Readonly<Record<FileStatus, number>>;
  readonly finished: boolean;
  readonly cancelRequested: boolean;
}

/** The contract's per-file upload limit (contract.ts UploadedFile). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const CHUNK_FILES = 4;
const CHUNK_BYTES = 24 * 1024 * 1024;

const emptyCounts = (): Record<FileStatus, number> => ({
  queued: 0,
  uploading: 0,
  imported: 0,
  duplicate: 0,
  error: 0,
  cancelled: 0,
});

export class ImportRun {
  private readonly items: ImportItem[];
  private readonly files: PickedFile[];
  private snapshot: ImportSnapshot;
  private readonly listeners = new Set<() => void>();
  private notifyTimer: ReturnType<typeof setTimeout> | null = null;
  private cancelRequested = false;
  private finished = false;
  /** Indexes of the chunk now in flight, for matching import.progress events. */
  private inFlight: number[] = [];

  constructor(
    private readonly api: VipApi,
    files: PickedFile[],
    private readonly onImported: (caseIds: number[]) => void,
  ) {
    this.files = files;
    this.items = files.map((f, index) => ({
      index,
      name: f.name,
      size: f.file.size,
      status: 'queued',
      message: null,
      caseId: null,
    }));
    this.snapshot = this.buildSnapshot(0);
  }

  getSnapshot = (): ImportSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Stops after the chunk in flight; files not yet sent are marked cancelled. */
  cancel(): void {
    this.cancelRequested = true;
    this.changed(true);
  }

  async start(): Promise<void> {
    const off = this.api.on('import.progress', (p) => this.onProgress(p.index, p.total, p.outcome));
    try {
      const sendable: Array<{ index: number; file: File }> = [];
      for (const [index, f] of this.files.entries()) {
        if (f.file.size > MAX_UPLOAD_BYTES) this.update(index, 'error', 'larger than the 512 MiB upload limit', null);
        else sendable.push({ index, file: f.file });
      }
      for (const chunk of chunkFiles(sendable, CHUNK_FILES, CHUNK_BYTES)) {
        if (this.cancelRequested) break;
        const stop = await this.sendChunk(chunk.map((c) => c.index));
        if (stop) break;
      }
    } finally {
      off();
      this.inFlight = [];
      for (const item of this.items) {
        if (item.status === 'queued' || item.status === 'uploading') {
          this.update(
            item.index,
            'cancelled',
            this.cancelRequested ? 'cancelled before it was sent' : 'not sent',
            null,
          );
        }
      }
      this.finished = true;
      this.changed(true);
    }
  }

  /** Returns true when the run cannot go on (the connection is gone). */
  private async sendChunk(indexes: number[]): Promise<boolean> {
    const files: Array<{ name: string; data: Uint8Array }> = [];
    const sent: number[] = [];
    for (const index of indexes) {
      const picked = this.files[index];
      if (!picked) continue;
      try {
        files.push({ name: picked.name, data: new Uint8Array(await picked.file.arrayBuffer()) });
        sent.push(index);
        this.update(index, 'uploading', null, null);
      } catch (err) {
        this.update(index, 'error', `could not read the file: ${toDisplayError(err).message}`, null);
      }
    }
    if (files.length === 0) return false;
    this.inFlight = sent;
    try {
      const report = await this.api.call('cases.importFiles', { files });
      this.settle(sent, report);
      return false;
    } catch (err) {
      const shown = toDisplayError(err);
      for (const index of sent) this.update(index, 'error', shown.message, null);
      return shown.code === 'unavailable';
    } finally {
      this.inFlight = [];
    }
  }

  private settle(sent: number[], report: ImportReport): void {
    const byIndex = report.outcomes.length === sent.length;
    const imported: number[] = [];
    for (const [i, index] of sent.entries()) {
      const item = this.items[index];
      if (!item) continue;
      const outcome = byIndex ? report.outcomes[i] : report.outcomes.find((o) => pathMatches(o.path, item.name));
      if (!outcome) {
        this.update(index, 'error', 'the server reported no outcome for this file', null);
        continue;
      }
      this.applyOutcome(index, outcome);
      if (outcome.status === 'imported') imported.push(outcome.caseId);
    }
    if (imported.length > 0) this.onImported(imported);
  }

  private onProgress(eventIndex: number, total: number, outcome: ImportOutcome): void {
    const candidates = this.inFlight;
    if (candidates.length === 0) return;
    // Prefer the position within the batch; fall back to the name (events of another client's import are ignored).
    const atIndex = total === candidates.length ? candidates[eventIndex] : undefined;
    const byPosition = atIndex !== undefined && pathMatches(outcome.path, this.items[atIndex]?.name ?? '');
    const index = byPosition
      ? atIndex
      : candidates.find(
          (c) => this.items[c]?.status === 'uploading' && pathMatches(outcome.path, this.items[c]?.name ?? ''),
        );
    if (index !== undefined) this.applyOutcome(index, outcome);
  }

  private applyOutcome(index: number, outcome: ImportOutcome): void {
    if (outcome.status === 'error') this.update(index, 'error', outcome.error, null);
    else if (outcome.status === 'duplicate') this.update(index, 'duplicate', 'already in the library', outcome.caseId);
    else this.update(index, 'imported', null, outcome.caseId);
  }

  private update(index: number, status: FileStatus, message: string | null, caseId: number | null): void {
    const item = this.items[index];
    if (!item) return;
    this.items[index] = { ...item, status, message, caseId };
    this.changed(false);
  }

  private buildSnapshot(version: number): ImportSnapshot {
    const counts = emptyCounts();
    for (const item of this.items) counts[item.status]++;
    return {
      version,
      items: this.items,
      counts,
      finished: this.finished,
      cancelRequested: this.cancelRequested,
    };
  }

  /** Coalesces updates: a thousand progress events become a few renders. */
  private changed(now: boolean): void {
    const publish = (): void => {
      this.notifyTimer = null;
      this.snapshot = this.buildSnapshot(this.snapshot.version + 1);
      for (const l of [...this.listeners]) l();
    };
    if (now) {
      if (this.notifyTimer) clearTimeout(this.notifyTimer);
      publish();
    } else if (!this.notifyTimer) {
      this.notifyTimer = setTimeout(publish, 60);
    }
  }
}

/** The engine may report an uploaded file's path as given or with a folder prefix. */
function pathMatches(path: string, name: string): boolean {
  return path === name || path.endsWith(`/${name}`) || name.endsWith(`/${path}`);
}
