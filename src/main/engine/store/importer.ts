/**
 * The import pipeline: read, hash, skip what is already stored, probe, write a durable scratch copy, then
 * in one write transaction rename it into the managed folder and register it (case + image row).
 * One file failing never stops the batch; each file gets an outcome and an `import.progress` event.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ImportOutcome, ImportReport } from '@shared/contract';
import type { EngineEvents } from '../events';
import { probeImage, type ImageProbe } from '../imaging/probe';
import { nowIso } from './clock';
import { sha256Hex } from './image-folder';
import type { SourceEntry, ImportSource } from './import-sources';
import type { Store } from './store';

export interface ImportOptions {
  /** Put every image into this case instead of one case per image (or per DICOM study). */
  caseId?: number;
  actor: string;
  events: EngineEvents;
  /** Recorded in the audit entry: where the files came from. */
  origin: 'paths' | 'upload' | 'pacs';
  /** Called after each file with its outcome (the PACS retrieve reports its own progress from these). */
  onOutcome?: (outcome: ImportOutcome, index: number) => void;
}

const AUDIT_ERROR_SAMPLE = 20;

export async function importBatch(
  store: Store,
  entries: readonly SourceEntry[],
  opts: ImportOptions,
): Promise<ImportReport> {
  const batchId = randomUUID();
  // Written first, so a batch cut short by a crash still shows in the log (its images carry the batch id).
  store.audit.record({
    actor: opts.actor,
    action: 'cases.import.start',
    entity: 'import_batch',
    entityId: batchId,
    detail: {
      origin: opts.origin,
      files: entries.length,
      ...(opts.caseId !== undefined ? { targetCaseId: opts.caseId } : {}),
    },
  });
  const outcomes: ImportOutcome[] = [];
  for (const [index, entry] of entries.entries()) {
    const outcome =
      'source' in entry
        ? await importOneSafely(store, entry.source, batchId, opts.caseId)
        : errorOutcome(entry.label, entry.error);
    outcomes.push(outcome);
    opts.events.emit('import.progress', { batchId, index, total: entries.length, outcome });
    opts.onOutcome?.(outcome, index);
  }
  const report: ImportReport = {
    batchId,
    outcomes,
    imported: outcomes.filter((o) => o.status === 'imported').length,
    duplicates: outcomes.filter((o) => o.status === 'duplicate').length,
    errors: outcomes.filter((o) => o.status === 'error').length,
  };
  const caseIds = [...new Set(outcomes.flatMap((o) => (o.status === 'imported' ? [o.caseId] : [])))];
  store.audit.record({
    actor: opts.actor,
    action: 'cases.import',
    entity: 'import_batch',
    entityId: batchId,
    detail: {
      origin: opts.origin,
      files: outcomes.length,
      imported: report.imported,
      duplicates: report.duplicates,
      errors: report.errors,
      caseIds,
      ...(opts.caseId !== undefined ? { targetCaseId: opts.caseId } : {}),
      errorSample: outcomes
        .flatMap((o) => (o.status === 'error' ? [{ path: o.path, error: o.error }] : []))
        .slice(0, AUDIT_ERROR_SAMPLE),
    },
  });
  if (caseIds.length) opts.events.emit('cases.changed', { caseIds });
  return report;
}

const errorOutcome = (path: string, error: string): ImportOutcome => ({ status: 'error', path, error });

async function importOneSafely(
  store: Store,
  source: ImportSource,
  batchId: string,
  caseId: number | undefined,
): Promise<ImportOutcome> {
  try {
    return await importOne(store, source, batchId, caseId);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return errorOutcome(source.label, message.replace(/\s*\n\s*/g, ' '));
  }
}

async function importOne(
  store: Store,
  source: ImportSource,
  batchId: string,
  caseId: number | undefined,
): Promise<ImportOutcome> {
  const bytes = await source.read();
  const path = source.label;
  const sha256 = sha256Hex(bytes);
  const existing = store.images.findBySha(sha256);
  if (existing) {
    if (!existsSync(store.imageFiles.absPath(existing.relPath))) await restoreFile(store, existing.relPath, bytes);
    return { status: 'duplicate', path, caseId: existing.caseId, imageId: existing.id };
  }

  const probe = await probeImage(bytes);
  const patientKey = store.patientKey(probe.patientId);
  const relPath = store.imageFiles.relPathFor(sha256, probe.ext);
  const scratch = await store.imageFiles.writeScratch(bytes);
  try {
    return store.transaction((): ImportOutcome => {
      // Another process may have stored the same content since the check above.
      const raced = store.images.findBySha(sha256);
      if (raced) return { status: 'duplicate', path, caseId: raced.caseId, imageId: raced.id };
      const at = nowIso();
      const targetCase = resolveCase(store, probe, caseId, patientKey, source.originalName, at);
      store.imageFiles.place(scratch, relPath);
      const imageId = store.images.insert({
        caseId: targetCase,
        sha256,
        relPath,
        originalName: source.originalName,
        mediaType: probe.mediaType,
        width: probe.width,
        height: probe.height,
        frameCount: probe.frameCount,
        sizeBytes: bytes.length,
        orientation: probe.orientation,
        sopInstanceUid: probe.dicom?.sopInstanceUid ?? null,
        seriesInstanceUid: probe.dicom?.seriesInstanceUid ?? null,
        dicom: probe.dicom ? { ...probe.dicom } : null,
        importBatch: batchId,
        importedAt: at,
      });
      return { status: 'imported', path, caseId: targetCase, imageId };
    });
  } catch (err) {
    removeIfUnregistered(store, relPath);
    throw err;
  } finally {
    await rm(scratch, { force: true }); // already gone when it was renamed into place
  }
}

/** Importing the same content again puts back a managed file that went missing (same bytes: same hash). */
async function restoreFile(store: Store, relPath: string, bytes: Uint8Array): Promise<void> {
  const scratch = await store.imageFiles.writeScratch(bytes);
  try {
    store.transaction(() => {
      if (!existsSync(store.imageFiles.absPath(relPath))) store.imageFiles.place(scratch, relPath);
    });
  } finally {
    await rm(scratch, { force: true });
  }
  store.audit.record({ actor: 'system', action: 'image.file_restored', entity: 'image_file', entityId: relPath });
}

/** The file may have been renamed into place before the transaction failed; remove it under the lock if no row owns it. */
function removeIfUnregistered(store: Store, relPath: string): void {
  try {
    store.transaction(() => {
      if (!store.images.hasRelPath(relPath)) store.imageFiles.remove(relPath);
    });
  } catch {
    // Recovery collects it on the next open.
  }
}

/** The given case, else the case of this DICOM study, else a new case. Runs inside the import transaction. */
function resolveCase(
  store: Store,
  probe: ImageProbe,
  caseId: number | undefined,
  patientKey: string | null,
  originalName: string,
  at: string,
): number {
  const d = probe.dicom;
  const facts = d
    ? {
        studyDate: d.studyDate,
        modality: d.modality,
        bodyPart: d.bodyPartExamined,
        patientKey,
        description: d.studyDescription ?? d.seriesDescription,
      }
    : { description: originalName };
  if (caseId !== undefined) {
    store.cases.addFacts(caseId, d ? facts : {}, at);
    return caseId;
  }
  if (d?.studyInstanceUid) {
    const study = store.cases.findByStudyUid(d.studyInstanceUid);
    if (study !== null) {
      store.cases.addFacts(study, facts, at);
      return study;
    }
    return store.cases.create({ createdAt: at, studyInstanceUid: d.studyInstanceUid, ...facts });
  }
  return store.cases.create({ createdAt: at, ...facts });
}
