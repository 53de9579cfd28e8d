/**
 * summary.csv: one row per exported image (a case without images gets one row of its own), built from the case
 * documents, so it holds exactly what they hold. Identifying columns exist only in identified exports.
 */
import { latestOf, latestReview, type CaseExportDocument, type ImageDoc } from './case-document';
import { csvDocument, type CsvValue } from './csv';
import { topSymptoms } from './evidence';

const BASE_COLUMNS = [
  'case_id',
  'case_folder',
  'patient',
  'modality',
  'body_part',
  'image_index',
  'image_file',
  'sop_instance_uid',
  'prediction_status',
  'predicted_class',
  'probability',
  'probabilities',
  'mode',
  'model_version_id',
  'model_version',
  'model_package',
  'random_weights',
  'symptom_set',
  'symptom_set_approved',
  'top_symptom',
  'top_symptom_contribution',
  'review_label',
  'review_agrees_with_model',
  'reviewer',
  'reviewed_at',
  'evidence_png',
  'report_pdf',
  'structured_report',
] as const;

const IDENTIFIED_COLUMNS = ['patient_name', 'patient_id', 'patient_birth_date', 'study_date'] as const;

export function summaryHeader(identified: boolean): string[] {
  const base: string[] = [...BASE_COLUMNS];
  if (identified) base.splice(3, 0, ...IDENTIFIED_COLUMNS);
  return base;
}

const round = (v: number): number => Number(v.toFixed(6));

function imageCells(doc: CaseExportDocument, image: ImageDoc | null): CsvValue[] {
  const p = image ? latestOf(image) : null;
  const version = p?.modelVersionId ? doc.modelVersions.find((v) => v.id === p.modelVersionId) : undefined;
  const pkg = p?.modelPackageId ? doc.modelPackages.find((m) => m.id === p.modelPackageId) : undefined;
  const set = p?.symptomSetVersionId ? doc.symptomSets.find((s) => s.id === p.symptomSetVersionId) : undefined;
  const top = p ? topSymptoms({ kind: p.evidenceKind, classes: p.classes }, p.predictedClass, 1)[0] : undefined;
  const review = latestReview(doc);
  const sop = image?.dicom?.['sopInstanceUid'];
  return [
    image?.index ?? null,
    image?.fileName ?? null,
    typeof sop === 'string' ? sop : null,
    image === null ? 'no images' : p ? 'predicted' : 'no prediction',
    p?.predictedClass,
    p ? round(p.probability) : null,
    p
      ? p.classes.map((c) => `${c.className}=${round(c.probability)}`).join('; ') ||
        Object.entries(p.probabilities)
          .map(([k, v]) => `${k}=${round(v)}`)
          .join('; ')
      : null,
    p?.mode,
    p?.modelVersionId,
    version?.name,
    pkg ? `${pkg.id} (${pkg.name})` : (p?.modelPackageId ?? null),
    pkg?.randomWeights,
    set ? `${set.name} v${set.version}` : null,
    set?.approved,
    top?.text,
    top ? round(top.contribution) : null,
    review?.label,
    review?.agreesWithModel,
    review?.reviewer,
    review?.createdAt,
    image?.files.evidencePng,
    doc.files.report,
    image?.files.structuredReport,
  ];
}

export function summaryRows(doc: CaseExportDocument): CsvValue[][] {
  const identified = doc.export.identified;
  const head = (): CsvValue[] => {
    const cells: CsvValue[] = [doc.case.caseId, doc.case.folder, doc.case.patient.pseudonym];
    if (identified)
      cells.push(doc.case.patient.name, doc.case.patient.id, doc.case.patient.birthDate, doc.case.studyDate);
    cells.push(doc.case.modality, doc.case.bodyPart);
    return cells;
  };
  const images: (ImageDoc | null)[] = doc.images.length > 0 ? doc.images : [null];
  return images.map((image) => [...head(), ...imageCells(doc, image)]);
}

export function summaryCsv(identified: boolean, rows: readonly (readonly CsvValue[])[]): string {
  return csvDocument(summaryHeader(identified), rows);
}
