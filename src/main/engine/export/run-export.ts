/**
 * One export run: resolve the cases (ids, or every case matching worklist filters), check them all before writing
 * anything, then per case read its record and original files, build the de-identified (or, when asked, identified)
 * document, validate it against the schema, and write case.json, the evidence PNGs, the optional PDF report and
 * DICOM SRs; finally summary.csv, manifest.json (every file with its sha256), the schema and a README, and commit the
 * target (folder or zip) in one rename. The audit log gets an entry when the export starts (so an identified export
 * is on record even if the process dies), and one when it completes, fails or is cancelled. A cancel is seen before
 * each case, before each file and while zipping, and leaves nothing at the destination.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { badInput, notFound, VipError } from '@shared/errors';
import type { CaseListQuery } from '../store/case-repo';
import { nowIso } from '../store/clock';
import type { StoredImage } from '../store/image-repo';
import type { Store } from '../store/store';
import { DICOM_MEDIA_TYPE } from '../imaging/formats';
import { caseReader } from './case-record';
import { buildCaseDocument, DISCLAIMER, latestOf, newExportInfo, type CaseExportDocument } from './case-document';
import type { CsvValue } from './csv';
import { deidentifier } from './deidentify';
import { evidencePng, renderForExport, type RenderOutcome } from './evidence-image';
import { exportCancelled, fsIo, openTarget, type ExportIo, type ExportTarget, type TargetKind } from './export-target';
import { emptyIdentity, mergeIdentities, readPatientIdentity, type PatientIdentity } from './patient-identity';
import { buildPdfReport } from './pdf-report';
import { assertValidCaseDocument, SCHEMA_FILE_NAME, schemaText } from './schema';
import { buildStructuredReport, srReference } from './structured-report';
import { summaryCsv, summaryRows } from './summary-csv';

export interface ExportFilter {
  search?: string;
  reviewStatus?: 'reviewed' | 'unreviewed';
  modality?: string;
  predictedClass?: string;
  disagreement?: boolean;
  /** Case date bounds (study date, else import day), YYYY-MM-DD inclusive. */
  dateFrom?: string;
  dateTo?: string;
}

export interface ExportRequest {
  caseIds?: number[];
  filter?: ExportFilter;
  /** Absolute path of the folder to create, or of a .zip file. */
  out: string;
  pdf: boolean;
  dicomSr: boolean;
  identified: boolean;
  /** The caller's id for this export (else a new one). */
  exportId?: string;
}

export interface ExportSummary {
  exportId: string;
  path: string;
  format: TargetKind;
  cases: number;
  images: number;
  files: number;
  bytes: number;
  identified: boolean;
  pdfReports: number;
  structuredReports: number;
  casesWithoutPredictions: number[];
  warnings: string[];
}

export interface ExportProgress {
  exportId: string;
  done: number;
  total: number;
  caseId: number | null;
}

export interface ExportContext {
  store: Store;
  actor: string;
}

export interface ExportOptions {
  io?: ExportIo;
  onProgress?: (p: ExportProgress) => void;
  cancellation?: ExportCancellation;
}

/**
 * Stops an export from outside. Cancelling works until the export reaches the rename that makes it appear at its
 * destination; from then on `cancel()` answers false, so a caller is never told "cancelled" about an export that
 * then completes.
 */
export class ExportCancellation {
  private readonly controller = new AbortController();
  private sealed = false;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(): boolean {
    if (this.sealed) return false;
    this.controller.abort();
    return true;
  }

  /** True when the export may complete; false when it was cancelled. */
  seal(): boolean {
    if (this.controller.signal.aborted) return false;
    this.sealed = true;
    return true;
  }
}

/** Bounds the manifest's and audit entry's warning lists (each case's own list is in its case.json). */
const MAX_LISTED_WARNINGS = 200;
const PAGE = 1000;

/** The ids to export, every one checked to exist; filters read the worklist in import order. */
export function resolveCases(store: Store, req: Pick<ExportRequest, 'caseIds' | 'filter'>): number[] {
  if (req.caseIds && req.filter) throw badInput('Give either case ids or a filter, not both');
  if (req.caseIds) {
    const ids = [...new Set(req.caseIds)];
    if (ids.length === 0) throw badInput('Give at least one case to export');
    const missing = ids.filter((id) => !store.cases.exists(id));
    if (missing.length === 1) throw notFound(`Case ${missing[0]} does not exist`);
    if (missing.length > 1)
      throw notFound(
        `Cases ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} do not exist`,
      );
    return ids;
  }
  const f = req.filter ?? {};
  const ids: number[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const query: CaseListQuery = {
      sort: 'created_asc',
      offset,
      limit: PAGE,
      ...(f.search ? { search: f.search } : {}),
      ...(f.reviewStatus ? { reviewStatus: f.reviewStatus } : {}),
      ...(f.modality ? { modality: f.modality } : {}),
      ...(f.predictedClass ? { predictedClass: f.predictedClass } : {}),
      ...(f.disagreement ? { disagreement: true } : {}),
      ...(f.dateFrom ? { dateFrom: f.dateFrom } : {}),
      ...(f.dateTo ? { dateTo: f.dateTo } : {}),
    };
    const page = store.cases.list(query);
    ids.push(...page.cases.map((c) => c.id));
    if (page.cases.length < PAGE || ids.length >= page.total) break;
  }
  if (ids.length === 0) throw badInput('No case matches the filter; nothing to export');
  return ids;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

interface CaseFiles {
  doc: CaseExportDocument;
  rows: CsvValue[][];
  pdf: boolean;
  srs: number;
}

interface ImageInputs {
  bytes: Buffer | null;
  readProblem: string | null;
}

async function readOriginal(store: Store, image: StoredImage): Promise<ImageInputs> {
  try {
    return { bytes: await readFile(store.imageFiles.absPath(image.relPath)), readProblem: null };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { bytes: null, readProblem: `its file is missing from the managed image folder (${code})` };
  }
}

export async function runExport(
  ctx: ExportContext,
  req: ExportRequest,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const { store } = ctx;
  const caseIds = resolveCases(store, req);
  const target = await openTarget(req.out, options.io ?? fsIo);
  const exportId = req.exportId ?? randomUUID();
  const createdAt = nowIso();
  const auditBase = {
    out: req.out,
    format: target.kind,
    identified: req.identified,
    pdf: req.pdf,
    dicomSr: req.dicomSr,
    caseIds,
    ...(req.filter ? { filter: req.filter } : {}),
  };
  try {
    store.audit.record({
      actor: ctx.actor,
      action: 'cases.export.start',
      entity: 'export',
      entityId: exportId,
      detail: auditBase,
    });
  } catch (err) {
    await target.abort();
    throw err;
  }
  const written: number[] = [];
  try {
    const summary = await writeExport(ctx, req, caseIds, target, exportId, createdAt, options, written);
    store.audit.record({
      actor: ctx.actor,
      action: 'cases.export',
      entity: 'export',
      entityId: exportId,
      detail: {
        ...auditBase,
        files: summary.files,
        bytes: summary.bytes,
        casesWithoutPredictions: summary.casesWithoutPredictions,
      },
    });
    return summary;
  } catch (err) {
    await target.abort();
    const cancelled = err instanceof VipError && err.code === 'cancelled';
    try {
      store.audit.record({
        actor: ctx.actor,
        action: cancelled ? 'cases.export.cancelled' : 'cases.export.failed',
        entity: 'export',
        entityId: exportId,
        detail: cancelled
          ? { ...auditBase, casesWritten: written }
          : { ...auditBase, error: err instanceof Error ? err.message : String(err) },
      });
    } catch {
      // The original error is the one to report.
    }
    throw err;
  }
}

async function writeExport(
  ctx: ExportContext,
  req: ExportRequest,
  caseIds: readonly number[],
  target: ExportTarget,
  exportId: string,
  createdAt: string,
  options: ExportOptions,
  written: number[],
): Promise<ExportSummary> {
  const { store } = ctx;
  const deid = deidentifier(req.identified);
  const exportInfo = newExportInfo(exportId, createdAt, deid);
  const reader = caseReader(store);
  const checksums: Record<string, string> = {};
  const signal = options.cancellation?.signal;
  const stopIfCancelled = (): void => {
    if (signal?.aborted) throw exportCancelled(target.path);
  };
  const add = async (rel: string, data: Uint8Array | string): Promise<void> => {
    stopIfCancelled();
    checksums[rel] = sha256(data);
    await target.add(rel, data);
  };
  // One SR series per exported study, and one device UID for the whole export.
  const srSeries = new Map<string, string>();
  const deviceUid = deid.freshUid();
  const rows: CsvValue[][] = [];
  const manifestCases: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  const withoutPredictions: number[] = [];
  let images = 0;
  let pdfReports = 0;
  let structuredReports = 0;

  options.onProgress?.({ exportId, done: 0, total: caseIds.length, caseId: null });
  for (const [n, caseId] of caseIds.entries()) {
    stopIfCancelled();
    const out = await exportCase(ctx, req, caseId, {
      add,
      deid,
      exportInfo,
      reader,
      srSeries,
      deviceUid,
    });
    rows.push(...out.rows);
    images += out.doc.images.length;
    if (out.pdf) pdfReports++;
    structuredReports += out.srs;
    if (out.doc.predictionStatus === 'none') withoutPredictions.push(caseId);
    for (const w of out.doc.warnings) warnings.push(`Case ${caseId}: ${w}`);
    manifestCases.push({
      caseId,
      folder: out.doc.case.folder,
      images: out.doc.images.length,
      predictionStatus: out.doc.predictionStatus,
      report: out.doc.files.report,
      warnings: out.doc.warnings,
    });
    written.push(caseId);
    options.onProgress?.({ exportId, done: n + 1, total: caseIds.length, caseId });
  }

  await add('summary.csv', summaryCsv(req.identified, rows));
  await add(SCHEMA_FILE_NAME, schemaText());
  await add('README.txt', readme(exportInfo.identified, createdAt));
  const manifest = {
    format: 'vip-export-manifest',
    formatVersion: 1,
    export: exportInfo,
    options: { pdf: req.pdf, dicomSr: req.dicomSr, identified: req.identified, filter: req.filter ?? null },
    schema: SCHEMA_FILE_NAME,
    cases: manifestCases,
    warnings: warnings.slice(0, MAX_LISTED_WARNINGS),
    warningsLeftOut: Math.max(0, warnings.length - MAX_LISTED_WARNINGS),
    files: Object.entries(checksums)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, hash]) => ({ path, sha256: hash })),
  };
  await target.add('manifest.json', JSON.stringify(manifest, null, 2) + '\n');
  const committed = await target.commit(options.cancellation);
  return {
    exportId,
    path: target.path,
    format: target.kind,
    cases: caseIds.length,
    images,
    files: committed.files.length,
    bytes: committed.bytes,
    identified: req.identified,
    pdfReports,
    structuredReports,
    casesWithoutPredictions: withoutPredictions,
    warnings: warnings.slice(0, MAX_LISTED_WARNINGS),
  };
}

interface CaseDeps {
  add(rel: string, data: Uint8Array | string): Promise<void>;
  deid: ReturnType<typeof deidentifier>;
  exportInfo: ReturnType<typeof newExportInfo>;
  reader: ReturnType<typeof caseReader>;
  srSeries: Map<string, string>;
  deviceUid: string;
}

async function exportCase(ctx: ExportContext, req: ExportRequest, caseId: number, deps: CaseDeps): Promise<CaseFiles> {
  const { store } = ctx;
  const record = deps.reader.read(caseId);
  const folder = `cases/case-${caseId}`;
  const originals = new Map<number, ImageInputs>();
  const identities: PatientIdentity[] = [];
  const burnedIn = new Set<number>();
  for (const image of record.images) {
    const input = await readOriginal(store, image);
    originals.set(image.id, input);
    if (input.bytes && image.mediaType === DICOM_MEDIA_TYPE) {
      const identity = readPatientIdentity(input.bytes);
      identities.push(identity);
      if (identity.burnedInAnnotation === 'YES') burnedIn.add(image.id);
    }
  }
  const identity = identities.length > 0 ? mergeIdentities(identities) : emptyIdentity;
  const doc = buildCaseDocument({ record, exportInfo: deps.exportInfo, deid: deps.deid, identity, folder });

  const renders = new Map<number, RenderOutcome>();
  for (const [i, image] of record.images.entries()) {
    const input = originals.get(image.id);
    // Text burned into the pixels cannot be de-identified by removing attributes: such images are not drawn.
    const render: RenderOutcome =
      !req.identified && burnedIn.has(image.id)
        ? { ok: false, problem: 'its DICOM file declares burned-in annotation, which may identify the patient' }
        : input?.bytes
          ? await renderForExport(image, input.bytes)
          : { ok: false, problem: input?.readProblem ?? 'its file could not be read' };
    renders.set(image.id, render);
    if (!render.ok) doc.warnings.push(`Image ${i + 1} could not be rendered: ${render.problem}`);
  }

  // File names are decided before the document is validated and written, so it can point at them.
  let srs = 0;
  const srPlans: { index: number; rel: string; instanceNumber: number }[] = [];
  for (const [i, image] of doc.images.entries()) {
    image.files.evidencePng = `${folder}/image-${image.index}-evidence.png`;
    if (!req.dicomSr) continue;
    if (image.mediaType !== DICOM_MEDIA_TYPE) {
      doc.warnings.push(`Image ${image.index} is not DICOM: no structured report.`);
    } else if (!latestOf(image)) {
      doc.warnings.push(`Image ${image.index} has no prediction: no structured report.`);
    } else if (!srReference(image)) {
      doc.warnings.push(`Image ${image.index} lacks study, series or instance UIDs: no structured report.`);
    } else {
      const rel = `${folder}/sr/image-${image.index}-sr.dcm`;
      image.files.structuredReport = rel;
      srPlans.push({ index: i, rel, instanceNumber: srPlans.length + 1 });
    }
  }
  if (req.pdf) doc.files.report = `${folder}/report.pdf`;

  assertValidCaseDocument(doc, `case ${caseId}`);
  await deps.add(`${folder}/case.json`, JSON.stringify(doc, null, 2) + '\n');
  for (const image of doc.images) {
    const render = renders.get(image.imageId) ?? { ok: false, problem: 'not rendered' };
    if (image.files.evidencePng) await deps.add(image.files.evidencePng, await evidencePng(doc, image, render));
  }
  if (doc.files.report) await deps.add(doc.files.report, await buildPdfReport(doc, renders));
  for (const plan of srPlans) {
    const image = doc.images[plan.index];
    const ref = image ? srReference(image) : null;
    if (!image || !ref) continue;
    let series = deps.srSeries.get(ref.studyInstanceUid);
    if (series === undefined) {
      series = deps.deid.freshUid();
      deps.srSeries.set(ref.studyInstanceUid, series);
    }
    const sr = buildStructuredReport({
      doc,
      image,
      identity,
      srSeriesUid: series,
      srInstanceUid: deps.deid.freshUid(),
      instanceNumber: plan.instanceNumber,
      deviceUid: deps.deviceUid,
    });
    await deps.add(plan.rel, sr);
    srs++;
  }
  return { doc, rows: summaryRows(doc), pdf: doc.files.report !== null, srs };
}

function readme(identified: boolean, createdAt: string): string {
  return [
    'ViP Workstation export',
    '======================',
    '',
    `Created ${createdAt}. ${identified ? 'IDENTIFIED: this export contains patient names, IDs and birth dates.' : 'De-identified (DICOM PS3.15 Basic Application Level Confidentiality Profile; UIDs replaced consistently within this export).'}`,
    '',
    DISCLAIMER,
    '',
    'Contents',
    '  manifest.json                 what this export holds, with the sha256 of every file',
    '  summary.csv                   one row per image: prediction, top symptom, review',
    `  ${SCHEMA_FILE_NAME}    the JSON Schema of each case.json`,
    '  cases/case-<id>/case.json     the case, its images, every prediction with per-symptom evidence, reviews,',
    '                                model versions and symptom sets',
    '  cases/case-<id>/image-<n>-evidence.png   the image beside its evidence panel',
    '  cases/case-<id>/report.pdf    the case report (when asked for)',
    '  cases/case-<id>/sr/*.dcm      DICOM Comprehensive SR per analysed DICOM image (when asked for)',
    '',
  ].join('\r\n');
}
