/**
 * Everything the store holds about one case, read in one go for an export: the case, its images, every prediction of
 * every image (oldest first, not only the latest the worklist shows), its reviews, and the model versions, packages and
 * symptom set versions those predictions name. Read-only; nothing here is de-identified yet.
 */
import type Database from 'better-sqlite3';
import type { CaseDetail } from '@shared/contract';
import { notFound } from '@shared/errors';
import type { StoredImage } from '../store/image-repo';
import { fromJsonColumn, objectFromJsonColumn } from '../store/json-column';
import { getModelVersion, type ModelVersionRow } from '../store/model-version-repo';
import type { Review } from '../store/prediction-repo';
import type { Store } from '../store/store';
import { getSymptomSetVersion, type SymptomSetVersionRow } from '../store/symptom-set-repo';

export interface StoredPrediction {
  id: number;
  imageId: number;
  mode: string;
  modelVersionId: number | null;
  modelPackageId: string | null;
  symptomSetVersionId: number | null;
  probabilities: Record<string, number>;
  /** As saved by cases.predict: {kind, classes, logits, prototype_contribution, symptoms}; null when absent or damaged. */
  evidence: Record<string, unknown> | null;
  predictedClass: string;
  probability: number;
  actor: string | null;
  createdAt: string;
}

export interface ModelPackageRow {
  id: string;
  name: string;
  source: string;
  randomWeights: boolean;
  installedAt: string;
}

export interface CaseRecord {
  detail: CaseDetail;
  studyInstanceUid: string | null;
  updatedAt: string;
  images: StoredImage[];
  /** Per image id, oldest first. */
  predictions: Map<number, StoredPrediction[]>;
  reviews: Review[];
  modelVersions: ModelVersionRow[];
  modelPackages: ModelPackageRow[];
  symptomSetVersions: SymptomSetVersionRow[];
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

interface PackageRow {
  id: string;
  name: string;
  source: string;
  random_weights: number;
  installed_at: string;
}

function numberRecord(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'),
  );
}

const toPrediction = (r: PredictionRow): StoredPrediction => ({
  id: r.id,
  imageId: r.image_id,
  mode: r.mode,
  modelVersionId: r.model_version_id,
  modelPackageId: r.model_package_id,
  symptomSetVersionId: r.symptom_set_version_id,
  probabilities: numberRecord(fromJsonColumn(r.probabilities_json)),
  evidence: objectFromJsonColumn(r.evidence_json),
  predictedClass: r.predicted_class,
  probability: r.probability,
  actor: r.actor,
  createdAt: r.created_at,
});

export interface CaseReader {
  read(caseId: number): CaseRecord;
}

/** Statements prepared once per export, then one `read` per case. */
export function caseReader(store: Store): CaseReader {
  const db: Database.Database = store.db;
  const caseRow = db.prepare<[number], { study_instance_uid: string | null; updated_at: string }>(
    'SELECT study_instance_uid, updated_at FROM cases WHERE id = ?',
  );
  const predictions = db.prepare<[number], PredictionRow>(
    `SELECT p.* FROM predictions p JOIN images i ON i.id = p.image_id WHERE i.case_id = ? ORDER BY p.id`,
  );
  const pkg = db.prepare<[string], PackageRow>(
    'SELECT id, name, source, random_weights, installed_at FROM model_packages WHERE id = ?',
  );
  return {
    read(caseId) {
      const detail = store.cases.detail(caseId);
      const row = caseRow.get(caseId);
      if (!detail || !row) throw notFound(`Case ${caseId} does not exist`);
      const images = store.images.listForCase(caseId);
      const byImage = new Map<number, StoredPrediction[]>(images.map((i) => [i.id, []]));
      for (const p of predictions.all(caseId).map(toPrediction)) byImage.get(p.imageId)?.push(p);
      const all = [...byImage.values()].flat();
      const versionIds = unique(all.map((p) => p.modelVersionId));
      const modelVersions = versionIds.flatMap((id) => getModelVersion(db, id) ?? []);
      const packageIds = unique([...all.map((p) => p.modelPackageId), ...modelVersions.map((v) => v.modelPackageId)]);
      const modelPackages = packageIds.flatMap((id) => {
        const r = pkg.get(id);
        return r
          ? [
              {
                id: r.id,
                name: r.name,
                source: r.source,
                randomWeights: r.random_weights === 1,
                installedAt: r.installed_at,
              },
            ]
          : [];
      });
      const setIds = unique([
        ...all.map((p) => p.symptomSetVersionId),
        ...modelVersions.map((v) => v.symptomSetVersionId),
      ]);
      return {
        detail,
        studyInstanceUid: row.study_instance_uid,
        updatedAt: row.updated_at,
        images,
        predictions: byImage,
        reviews: store.reviews.listForCase(caseId),
        modelVersions,
        modelPackages,
        symptomSetVersions: setIds.flatMap((id) => getSymptomSetVersion(db, id) ?? []),
      };
    },
  };
}

function unique<T>(values: readonly (T | null)[]): T[] {
  return [...new Set(values.filter((v): v is T => v !== null))];
}

/** The latest prediction of an image (what the viewer, CSV, PNG and PDF show), or null. */
export function latestPrediction(record: CaseRecord, imageId: number): StoredPrediction | null {
  const list = record.predictions.get(imageId) ?? [];
  return list[list.length - 1] ?? null;
}
