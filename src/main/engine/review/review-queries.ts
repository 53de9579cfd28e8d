/**
 * Read queries of the clinical UI over the store: reviews of a case, the prediction a review refers to, and the
 * latest prediction of each image with what produced it (version, package, symptom set).
 */
import type Database from 'better-sqlite3';
import type { ReviewInfo } from '@shared/contract';
import { fromJsonColumn } from '../store/json-column';

interface ReviewRow {
  id: number;
  case_id: number;
  image_id: number | null;
  prediction_id: number | null;
  label: string;
  agrees_with_model: number | null;
  note: string | null;
  reviewer: string;
  created_at: string;
}

const toReview = (r: ReviewRow): ReviewInfo => ({
  id: r.id,
  caseId: r.case_id,
  imageId: r.image_id,
  predictionId: r.prediction_id,
  label: r.label,
  agreesWithModel: r.agrees_with_model === null ? null : r.agrees_with_model === 1,
  note: r.note,
  reviewer: r.reviewer,
  createdAt: r.created_at,
});

export function reviewsOfCase(db: Database.Database, caseId: number): ReviewInfo[] {
  return db
    .prepare<[number], ReviewRow>('SELECT * FROM reviews WHERE case_id = ? ORDER BY id DESC')
    .all(caseId)
    .map(toReview);
}

export function reviewById(db: Database.Database, id: number): ReviewInfo | null {
  const row = db.prepare<[number], ReviewRow>('SELECT * FROM reviews WHERE id = ?').get(id);
  return row ? toReview(row) : null;
}

/**
 * The prediction a reviewer of this case (or image) sees: the image's latest, or for the whole case the one the
 * worklist shows (the last inserted among its images, which the schema's trigger copied to the case row).
 */
export function referencedPrediction(
  db: Database.Database,
  caseId: number,
  imageId: number | null,
): { id: number; predictedClass: string } | null {
  const row =
    imageId !== null
      ? db
          .prepare<[number], { id: number; predicted_class: string }>(
            'SELECT id, predicted_class FROM predictions WHERE image_id = ? ORDER BY id DESC LIMIT 1',
          )
          .get(imageId)
      : db
          .prepare<[number], { id: number; predicted_class: string }>(
            `SELECT p.id, p.predicted_class FROM predictions p JOIN images i ON i.id = p.image_id
             WHERE i.case_id = ? ORDER BY p.id DESC LIMIT 1`,
          )
          .get(caseId);
  return row ? { id: row.id, predictedClass: row.predicted_class } : null;
}

export interface PredictionWithSource {
  id: number;
  imageId: number;
  mode: string;
  versionId: number | null;
  versionName: string | null;
  modelPackageId: string | null;
  randomWeights: boolean | null;
  symptomSetVersionId: number | null;
  symptomSetName: string | null;
  symptomSetVersion: number | null;
  symptomSetApproved: boolean | null;
  probabilities: Record<string, number>;
  evidence: unknown;
  predictedClass: string;
  probability: number;
  actor: string | null;
  createdAt: string;
}

interface PredictionRow {
  id: number;
  image_id: number;
  mode: string;
  model_version_id: number | null;
  version_name: string | null;
  model_package_id: string | null;
  random_weights: number | null;
  symptom_set_version_id: number | null;
  symptom_set_name: string | null;
  symptom_set_version: number | null;
  symptom_set_approved: number | null;
  probabilities_json: string;
  evidence_json: string | null;
  predicted_class: string;
  probability: number;
  actor: string | null;
  created_at: string;
}

/** The latest prediction of each image of the case, in image order. */
export function latestPredictionsOfCase(db: Database.Database, caseId: number): PredictionWithSource[] {
  const rows = db
    .prepare<[number], PredictionRow>(
      `SELECT p.*, v.name AS version_name, mp.random_weights, s.name AS symptom_set_name,
         ssv.version AS symptom_set_version, ssv.approved AS symptom_set_approved
       FROM images i
       JOIN predictions p ON p.id = (SELECT max(p2.id) FROM predictions p2 WHERE p2.image_id = i.id)
       LEFT JOIN model_versions v ON v.id = p.model_version_id
       LEFT JOIN model_packages mp ON mp.id = p.model_package_id
       LEFT JOIN symptom_set_versions ssv ON ssv.id = p.symptom_set_version_id
       LEFT JOIN symptom_sets s ON s.id = ssv.symptom_set_id
       WHERE i.case_id = ?
       ORDER BY i.id`,
    )
    .all(caseId);
  return rows.map((r) => {
    const probabilities = fromJsonColumn(r.probabilities_json);
    return {
      id: r.id,
      imageId: r.image_id,
      mode: r.mode,
      versionId: r.model_version_id,
      versionName: r.version_name,
      modelPackageId: r.model_package_id,
      randomWeights: r.random_weights === null ? null : r.random_weights === 1,
      symptomSetVersionId: r.symptom_set_version_id,
      symptomSetName: r.symptom_set_name,
      symptomSetVersion: r.symptom_set_version,
      symptomSetApproved: r.symptom_set_approved === null ? null : r.symptom_set_approved === 1,
      probabilities:
        probabilities !== null && typeof probabilities === 'object' ? (probabilities as Record<string, number>) : {},
      evidence: fromJsonColumn(r.evidence_json),
      predictedClass: r.predicted_class,
      probability: r.probability,
      actor: r.actor,
      createdAt: r.created_at,
    };
  });
}
