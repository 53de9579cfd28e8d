/**
 * The JSON document written per case (`case.json`), the shape `resources/schemas/case-export.schema.json` describes:
 * the case, its images' metadata, every prediction with its per-symptom evidence, the model versions, packages and
 * symptom sets behind them (provenance), and the reviews. De-identification is applied here, once, so every other
 * output (CSV, PNG, PDF, SR) renders from this document and cannot show more than it holds.
 */
import { APP_VERSION } from '../version';
import { parseSymptomSetText } from '../vip/symptom-set';
import { latestPrediction, type CaseRecord, type StoredPrediction } from './case-record';
import type { DeidentificationRecord, Deidentifier } from './deidentify';
import { predictionEvidence, type ClassEvidence } from './evidence';
import { readableName, type PatientIdentity } from './patient-identity';

export const FORMAT = 'vip-case-export';
export const FORMAT_VERSION = 1;
export const DISCLAIMER =
  'RESEARCH USE ONLY. Not for diagnostic use. Predictions come from an experimental model (CLIP with visual ' +
  'symptoms, ViP) and have not been cleared or approved for clinical decisions; they must be confirmed by a ' +
  'qualified clinician.';

export type PredictionStatus = 'predicted' | 'partial' | 'none';

export interface ExportInfo {
  id: string;
  createdAt: string;
  software: { name: string; version: string };
  identified: boolean;
  deidentification: DeidentificationRecord | null;
  disclaimer: string;
}

export interface PatientDoc {
  /** "Patient 1" within this export when de-identified; the salted patient key (or case-N) when identified. */
  pseudonym: string;
  /** Identified exports only (null otherwise). */
  patientKey: string | null;
  name: string | null;
  id: string | null;
  birthDate: string | null;
  sex: string | null;
}

export interface PredictionDoc {
  predictionId: number;
  createdAt: string;
  mode: string;
  modelVersionId: number | null;
  modelPackageId: string | null;
  symptomSetVersionId: number | null;
  predictedClass: string;
  probability: number;
  probabilities: Record<string, number>;
  evidenceKind: string | null;
  /** One entry per class in the model's order: probability, logit, prototype term, symptoms. */
  classes: ClassEvidence[];
  actor: string | null;
}

export interface ImageDoc {
  index: number;
  imageId: number;
  /** The original file name when identified; `image-<n>.<ext>` otherwise (names often carry patient names). */
  fileName: string;
  /** Identified exports only: a fingerprint of the original file, which holds the identifiers. */
  sha256: string | null;
  mediaType: string;
  width: number;
  height: number;
  frameCount: number;
  sizeBytes: number;
  importedAt: string;
  dicom: Record<string, unknown> | null;
  predictions: PredictionDoc[];
  latestPredictionId: number | null;
  files: { evidencePng: string | null; structuredReport: string | null };
}

export interface ReviewDoc {
  reviewId: number;
  createdAt: string;
  imageId: number | null;
  predictionId: number | null;
  label: string;
  agreesWithModel: boolean | null;
  note: string | null;
  reviewer: string | null;
}

export interface ModelVersionDoc {
  id: number;
  name: string;
  task: string;
  modelPackageId: string;
  symptomSetVersionId: number;
  trainingRunId: number | null;
  promptSha256: string | null;
  active: boolean;
  createdAt: string;
  metrics: Record<string, unknown> | null;
}

export interface ModelPackageDoc {
  id: string;
  name: string;
  source: string;
  randomWeights: boolean;
}

export interface SymptomSetDoc {
  id: number;
  name: string;
  task: string;
  version: number;
  approved: boolean;
  approvedBy: string | null;
  approvedAt: string | null;
  createdAt: string;
  provenance: Record<string, unknown> | null;
  classes: { name: string; symptoms: string[] }[];
}

export interface CaseExportDocument {
  format: typeof FORMAT;
  formatVersion: typeof FORMAT_VERSION;
  export: ExportInfo;
  case: {
    caseId: number;
    folder: string;
    createdAt: string;
    updatedAt: string;
    studyInstanceUid: string | null;
    studyDate: string | null;
    modality: string | null;
    bodyPart: string | null;
    description: string | null;
    notes: string | null;
    patient: PatientDoc;
    worklist: {
      predictedClass: string | null;
      predictedProbability: number | null;
      reviewStatus: 'unreviewed' | 'reviewed';
      reviewLabel: string | null;
    };
  };
  predictionStatus: PredictionStatus;
  images: ImageDoc[];
  reviews: ReviewDoc[];
  modelVersions: ModelVersionDoc[];
  modelPackages: ModelPackageDoc[];
  symptomSets: SymptomSetDoc[];
  files: { report: string | null };
  warnings: string[];
}

export interface DocumentInput {
  record: CaseRecord;
  exportInfo: ExportInfo;
  deid: Deidentifier;
  /** Read from the case's DICOM files (empty for ordinary images). */
  identity: PatientIdentity;
  folder: string;
}

function imageExt(mediaType: string, originalName: string): string {
  const fromType: Record<string, string> = {
    'application/dicom': 'dcm',
    'image/png': 'png',
    'image/jpeg': 'jpg',
    'image/tiff': 'tif',
    'image/webp': 'webp',
  };
  return fromType[mediaType] ?? /\.([a-z0-9]{1,8})$/i.exec(originalName)?.[1]?.toLowerCase() ?? 'bin';
}

function symptomClasses(json: string): { name: string; symptoms: string[] }[] {
  try {
    return parseSymptomSetText(json).classes.map((c) => ({ name: c.name, symptoms: [...c.symptoms] }));
  } catch {
    return [];
  }
}

/** Provenance of a symptom set: who imported it is a person, and a file path can name one (a home folder). */
function provenanceFor(provenance: Record<string, unknown> | null, deid: Deidentifier): Record<string, unknown> | null {
  if (provenance === null || deid.identified) return provenance;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(provenance)) {
    if (k === 'importedBy' || k === 'approvedBy') out[k] = typeof v === 'string' ? deid.person(v) : null;
    else if (typeof v === 'string' && /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(v)) out[k] = v.split(/[\\/]/).pop() ?? null;
    else out[k] = v;
  }
  return out;
}

/** The headline metrics of a version (best epoch, validation and test scores, counts); not its training log. */
function metricsSummary(metrics: unknown): Record<string, unknown> | null {
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) return null;
  const m = metrics as Record<string, unknown>;
  const kept = ['bestEpoch', 'val', 'test', 'counts'].filter((k) => m[k] !== undefined);
  return Object.fromEntries(kept.map((k) => [k, m[k]]));
}

function predictionDoc(p: StoredPrediction, deid: Deidentifier): PredictionDoc {
  const evidence = predictionEvidence(p);
  return {
    predictionId: p.id,
    createdAt: p.createdAt,
    mode: p.mode,
    modelVersionId: p.modelVersionId,
    modelPackageId: p.modelPackageId,
    symptomSetVersionId: p.symptomSetVersionId,
    predictedClass: p.predictedClass,
    probability: p.probability,
    probabilities: p.probabilities,
    evidenceKind: evidence.kind,
    classes: evidence.classes,
    actor: deid.person(p.actor),
  };
}

export function buildCaseDocument(input: DocumentInput): CaseExportDocument {
  const { record, deid, identity, folder } = input;
  const d = record.detail;
  const scrubList = [
    identity.patientName,
    readableName(identity.patientName),
    identity.patientId,
    identity.birthDate,
    identity.accessionNumber,
    identity.referringPhysicianName,
    readableName(identity.referringPhysicianName),
  ];
  const warnings: string[] = [];

  const images: ImageDoc[] = record.images.map((img, i) => {
    const predictions = (record.predictions.get(img.id) ?? []).map((p) => predictionDoc(p, deid));
    const ext = imageExt(img.mediaType, img.originalName);
    return {
      index: i + 1,
      imageId: img.id,
      fileName: deid.identified ? img.originalName : `image-${i + 1}.${ext}`,
      sha256: deid.identified ? img.sha256 : null,
      mediaType: img.mediaType,
      width: img.width,
      height: img.height,
      frameCount: img.frameCount,
      sizeBytes: img.sizeBytes,
      importedAt: img.importedAt,
      dicom: deid.dicomAttributes(img.dicom),
      predictions,
      latestPredictionId: latestPrediction(record, img.id)?.id ?? null,
      files: { evidencePng: null, structuredReport: null },
    };
  });

  const predicted = images.filter((i) => i.predictions.length > 0).length;
  const predictionStatus: PredictionStatus =
    predicted === 0 ? 'none' : predicted === images.length ? 'predicted' : 'partial';
  if (images.length === 0) warnings.push('The case has no images.');
  if (predictionStatus === 'none') warnings.push('The case has no predictions; it is exported without them.');
  if (predictionStatus === 'partial')
    warnings.push(`${images.length - predicted} of ${images.length} images have no prediction.`);
  for (const pkg of record.modelPackages) {
    if (pkg.randomWeights)
      warnings.push(`Model package "${pkg.id}" has random weights (demo model): its predictions mean nothing.`);
  }

  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    export: input.exportInfo,
    case: {
      caseId: d.id,
      folder,
      createdAt: d.createdAt,
      updatedAt: record.updatedAt,
      studyInstanceUid: deid.uid(record.studyInstanceUid),
      studyDate: deid.identified ? d.studyDate : null,
      modality: d.modality,
      bodyPart: d.bodyPart,
      description: deid.identified ? d.description : null,
      notes: deid.scrub(d.notes, scrubList),
      patient: {
        pseudonym: deid.patient(d.patientKey, d.id),
        patientKey: deid.identified ? d.patientKey : null,
        name: deid.identified ? identity.patientName : null,
        id: deid.identified ? identity.patientId : null,
        birthDate: deid.identified ? identity.birthDate : null,
        sex: deid.identified ? identity.sex : null,
      },
      worklist: {
        predictedClass: d.predictedClass,
        predictedProbability: d.predictedProbability,
        reviewStatus: d.reviewStatus,
        reviewLabel: d.reviewLabel,
      },
    },
    predictionStatus,
    images,
    reviews: record.reviews.map((r) => ({
      reviewId: r.id,
      createdAt: r.createdAt,
      imageId: r.imageId,
      predictionId: r.predictionId,
      label: r.label,
      agreesWithModel: r.agreesWithModel,
      note: deid.scrub(r.note, scrubList),
      reviewer: deid.person(r.reviewer),
    })),
    modelVersions: record.modelVersions.map((v) => ({
      id: v.id,
      name: v.name,
      task: v.task,
      modelPackageId: v.modelPackageId,
      symptomSetVersionId: v.symptomSetVersionId,
      trainingRunId: v.trainingRunId,
      promptSha256: v.promptSha256,
      active: v.active,
      createdAt: v.createdAt,
      metrics: metricsSummary(v.metrics),
    })),
    modelPackages: record.modelPackages.map((p) => ({
      id: p.id,
      name: p.name,
      source: p.source,
      randomWeights: p.randomWeights,
    })),
    symptomSets: record.symptomSetVersions.map((s) => ({
      id: s.id,
      name: s.name,
      task: s.task,
      version: s.version,
      approved: s.approved,
      approvedBy: deid.person(s.approvedBy),
      approvedAt: s.approvedAt,
      createdAt: s.createdAt,
      provenance: provenanceFor(s.provenance, deid),
      classes: symptomClasses(s.classesJson),
    })),
    files: { report: null },
    warnings,
  };
}

export function newExportInfo(id: string, createdAt: string, deid: Deidentifier): ExportInfo {
  return {
    id,
    createdAt,
    software: { name: 'ViP Workstation', version: APP_VERSION },
    identified: deid.identified,
    deidentification: deid.record(),
    disclaimer: DISCLAIMER,
  };
}

/** The latest prediction of an image in the document, or null. */
export function latestOf(image: ImageDoc): PredictionDoc | null {
  return image.predictions.find((p) => p.predictionId === image.latestPredictionId) ?? null;
}

/** The latest review of the case (what the PDF and CSV show), or null. */
export function latestReview(doc: CaseExportDocument): ReviewDoc | null {
  return doc.reviews[doc.reviews.length - 1] ?? null;
}
