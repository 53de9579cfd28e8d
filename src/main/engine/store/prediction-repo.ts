/**
 * Rows of predictions and reviews. Inserting one updates the case's worklist columns through the
 * triggers in the schema, so every writer keeps the worklist right.
 */
import type Database from 'better-sqlite3';
import { nowIso } from './clock';
import { fromJsonColumn, toJsonColumn } from './json-column';

export interface NewPrediction {
  imageId: number;
  mode: string;
  modelVersionId?: number | null;
  modelPackageId?: string | null;
  symptomSetVersionId?: number | null;
  probabilities: Record<string, number>;
  evidence?: unknown;
  predictedClass: string;
  probability: number;
  actor?: string | null;
}

export interface Prediction extends Required<Omit<NewPrediction, 'evidence'>> {
  id: number;
  evidence: unknown;
  createdAt: string;
}

export interface NewReview {
  caseId: number;
  imageId?: number | null;
  predictionId?: number | null;
  label: string;
  agreesWithModel?: boolean | null;
  note?: string | null;
  reviewer: string;
}

export interface Review extends Required<NewReview> {
  id: number;
  createdAt: string;
}

export interface PredictionRepo {
  insert(p: NewPrediction): number;
  latestForImage(imageId: number): Prediction | null;
}

export interface ReviewRepo {
  insert(r: NewReview): number;
  listForCase(caseId: number): Review[];
}

interface PredictionRow {
  id: number;
  image_id: number;
  mode: string;
  model_version_id: number | null;
  model_package_id: string | null;
  symptom_set_version_id: number | null;
  probabilities_json: string;
  evidence_json: string | null;
  predicted_class: string;
  probability: number;
  actor: string | null;
  created_at: string;
}

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

export function predictionRepo(db: Database.Database): PredictionRepo {
  const insert = db.prepare(
    `INSERT INTO predictions (image_id, mode, model_version_id, model_package_id, symptom_set_version_id,
       probabilities_json, evidence_json, predicted_class, probability, actor, created_at)
     VALUES (@imageId, @mode, @modelVersionId, @modelPackageId, @symptomSetVersionId,
       @probabilitiesJson, @evidenceJson, @predictedClass, @probability, @actor, @createdAt)`,
  );
  const latest = db.prepare<[number], PredictionRow>(
    'SELECT * FROM predictions WHERE image_id = ? ORDER BY id DESC LIMIT 1',
  );
  return {
    insert(p) {
      return Number(
        insert.run({
          imageId: p.imageId,
          mode: p.mode,
          modelVersionId: p.modelVersionId ?? null,
          modelPackageId: p.modelPackageId ?? null,
          symptomSetVersionId: p.symptomSetVersionId ?? null,
          probabilitiesJson: JSON.stringify(p.probabilities),
          evidenceJson: toJsonColumn(p.evidence),
          predictedClass: p.predictedClass,
          probability: p.probability,
          actor: p.actor ?? null,
          createdAt: nowIso(),
        }).lastInsertRowid,
      );
    },
    latestForImage(imageId) {
      const r = latest.get(imageId);
      if (!r) return null;
      const probabilities = fromJsonColumn(r.probabilities_json);
      return {
        id: r.id,
        imageId: r.image_id,
        mode: r.mode,
        modelVersionId: r.model_version_id,
        modelPackageId: r.model_package_id,
        symptomSetVersionId: r.symptom_set_version_id,
        probabilities:
          probabilities !== null && typeof probabilities === 'object' ? (probabilities as Record<string, number>) : {},
        evidence: fromJsonColumn(r.evidence_json),
        predictedClass: r.predicted_class,
        probability: r.probability,
        actor: r.actor,
        createdAt: r.created_at,
      };
    },
  };
}

export function reviewRepo(db: Database.Database): ReviewRepo {
  const insert = db.prepare(
    `INSERT INTO reviews (case_id, image_id, prediction_id, label, agrees_with_model, note, reviewer, created_at)
     VALUES (@caseId, @imageId, @predictionId, @label, @agrees, @note, @reviewer, @createdAt)`,
  );
  const byCase = db.prepare<[number], ReviewRow>('SELECT * FROM reviews WHERE case_id = ? ORDER BY id');
  return {
    insert(r) {
      const agrees = r.agreesWithModel === undefined || r.agreesWithModel === null ? null : r.agreesWithModel ? 1 : 0;
      return Number(
        insert.run({
          caseId: r.caseId,
          imageId: r.imageId ?? null,
          predictionId: r.predictionId ?? null,
          label: r.label,
          agrees,
          note: r.note ?? null,
          reviewer: r.reviewer,
          createdAt: nowIso(),
        }).lastInsertRowid,
      );
    },
    listForCase: (caseId) =>
      byCase.all(caseId).map((r) => ({
        id: r.id,
        caseId: r.case_id,
        imageId: r.image_id,
        predictionId: r.prediction_id,
        label: r.label,
        agreesWithModel: r.agrees_with_model === null ? null : r.agrees_with_model === 1,
        note: r.note,
        reviewer: r.reviewer,
        createdAt: r.created_at,
      })),
  };
}
