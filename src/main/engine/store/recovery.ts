/**
 * Recovery when a data folder is opened: whatever a process that was killed left behind is collected, and
 * what was collected is written to the audit log.
 * - managed files without a row (killed between the rename and the commit): deleted
 * - scratch files of processes that are gone, and any other tmp/ entry older than a day: deleted
 * - training runs left queued or running by a process that is gone: marked interrupted
 * - rows whose file is missing: reported, never deleted (reviews and predictions hang on them)
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { DataPaths } from '../paths';
import type { AuditRepo } from './audit-repo';
import type { ImageFolder, ManagedFile } from './image-folder';
import type { ImageRepo } from './image-repo';
import { scratchOwner } from './scratch';
import { processIsAlive, type TrainingRunRepo } from './training-run-repo';

export interface RecoveryReport {
  orphanFiles: string[];
  scratchEntries: string[];
  missingFiles: number[];
  interruptedRuns: number[];
}

const STALE_FOREIGN_SCRATCH_MS = 24 * 60 * 60 * 1000;
const SAMPLE = 20;

export interface RecoveryDeps {
  db: Database.Database;
  paths: DataPaths;
  images: ImageRepo;
  folder: ImageFolder;
  runs: TrainingRunRepo;
  audit: AuditRepo;
  isAlive?: (pid: number) => boolean;
}

export function recover(deps: RecoveryDeps): RecoveryReport {
  const isAlive = deps.isAlive ?? processIsAlive;
  // Rows first, then the folder: a file that another process registers in between shows up as a candidate
  // orphan (re-checked under the lock), never as a row whose file is missing.
  const rows = deps.images.allFiles();
  const files = deps.folder.scan().files;
  const present = new Set(files.map((f) => f.relPath));
  const report: RecoveryReport = {
    orphanFiles: collectOrphans(deps, rows, files),
    scratchEntries: collectScratch(deps.paths.tmp, isAlive),
    missingFiles: rows.filter((r) => !present.has(r.relPath)).map((r) => r.id),
    interruptedRuns: deps.runs.interruptAbandoned(isAlive),
  };

  if (
    report.orphanFiles.length ||
    report.scratchEntries.length ||
    report.missingFiles.length ||
    report.interruptedRuns.length
  ) {
    deps.audit.record({
      actor: 'system',
      action: 'store.recover',
      detail: {
        orphanFiles: report.orphanFiles.length,
        orphanSample: report.orphanFiles.slice(0, SAMPLE),
        scratchEntries: report.scratchEntries.length,
        scratchSample: report.scratchEntries.slice(0, SAMPLE),
        missingFiles: report.missingFiles.length,
        missingImageIds: report.missingFiles.slice(0, SAMPLE),
        interruptedRuns: report.interruptedRuns,
      },
    });
  }
  return report;
}

/**
 * Candidates are listed without a lock, then re-checked under the write lock: an importer renames its file
 * into place inside its own write transaction, so a file still without a row under the lock is an orphan.
 */
function collectOrphans(
  { db, images, folder }: RecoveryDeps,
  rows: readonly { relPath: string }[],
  files: readonly ManagedFile[],
): string[] {
  const known = new Set(rows.map((r) => r.relPath));
  const candidates = files.filter((f) => !known.has(f.relPath));
  if (candidates.length === 0) return [];
  return db
    .transaction(() => {
      const removed: string[] = [];
      for (const f of candidates) {
        if (images.hasRelPath(f.relPath)) continue;
        folder.remove(f.relPath);
        removed.push(f.relPath);
      }
      return removed;
    })
    .immediate();
}

function collectScratch(tmpDir: string, isAlive: (pid: number) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    const path = join(tmpDir, name);
    const owner = scratchOwner(name);
    let stale: boolean;
    if (owner !== null) stale = !isAlive(owner);
    else {
      try {
        stale = now - statSync(path).mtimeMs > STALE_FOREIGN_SCRATCH_MS;
      } catch {
        stale = false;
      }
    }
    if (!stale) continue;
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Still in use or not ours to remove; the next open tries again.
    }
  }
  return removed;
}
