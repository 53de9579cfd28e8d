/**
 * Rows of model_versions (trained ViP heads) and the model_packages rows they point at. Versions are immutable (a
 * trigger refuses edits); only the active flag changes, and at most one version per task is active (a unique index).
 */
import type Database from 'better-sqlite3';
import { nowIso } from './clock';
import { fromJsonColumn } from './json-column';

export interface ModelVersionRow {
  id: number;
  name: string;
  task: string;
  modelPackageId: string;
  symptomSetVersionId: number;
  trainingRunId: number | null;
  /** Relative to the data folder. */
  promptPath: string;
  promptSha256: string | null;
  config: unknown;
  metrics: unknown;
  active: boolean;
  createdAt: string;
}

export interface NewModelVersion {
  name: string;
  task: string;
  modelPackageId: string;
  symptomSetVersionId: number;
  trainingRunId: number | null;
  promptPath: string;
  promptSha256: string;
  config: unknown;
  metrics: unknown;
}

interface Row {
  id: number;
  name: string;
  task: string;
  model_package_id: string;
  symptom_set_version_id: number;
  training_run_id: number | null;
  prompt_path: string;
  prompt_sha256: string | null;
  config_json: string;
  metrics_json: string | null;
  active: number;
  created_at: string;
}

const toVersion = (r: Row): ModelVersionRow => ({
  id: r.id,
  name: r.name,
  task: r.task,
  modelPackageId: r.model_package_id,
  symptomSetVersionId: r.symptom_set_version_id,
  trainingRunId: r.training_run_id,
  promptPath: r.prompt_path,
  promptSha256: r.prompt_sha256,
  config: fromJsonColumn(r.config_json),
  metrics: fromJsonColumn(r.metrics_json),
  active: r.active === 1,
  createdAt: r.created_at,
});

/** The package row a version refers to (inserted on first use, its description refreshed after). */
export function upsertModelPackage(
  db: Database.Database,
  p: { id: string; name: string; source: string; randomWeights: boolean; manifest: unknown },
): void {
  db.prepare(
    `INSERT INTO model_packages (id, name, source, random_weights, manifest_json, installed_at)
     VALUES (@id, @name, @source, @randomWeights, @manifest, @at)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, source = excluded.source,
       random_weights = excluded.random_weights, manifest_json = excluded.manifest_json`,
  ).run({
    id: p.id,
    name: p.name,
    source: p.source,
    randomWeights: p.randomWeights ? 1 : 0,
    manifest: JSON.stringify(p.manifest),
    at: nowIso(),
  });
}

/** The id the next inserted version will get (SQLite's rowid rule without AUTOINCREMENT: max + 1). */
export function nextModelVersionId(db: Database.Database): number {
  const row = db.prepare<[], { m: number | null }>('SELECT max(id) AS m FROM model_versions').get();
  return (row?.m ?? 0) + 1;
}

export function insertModelVersion(db: Database.Database, v: NewModelVersion & { id: number }): number {
  db.prepare(
    `INSERT INTO model_versions (id, name, task, model_package_id, symptom_set_version_id, training_run_id, prompt_path,
       prompt_sha256, config_json, metrics_json, active, created_at)
     VALUES (@id, @name, @task, @modelPackageId, @symptomSetVersionId, @trainingRunId, @promptPath, @promptSha256,
       @config, @metrics, 0, @at)`,
  ).run({
    id: v.id,
    name: v.name,
    task: v.task,
    modelPackageId: v.modelPackageId,
    symptomSetVersionId: v.symptomSetVersionId,
    trainingRunId: v.trainingRunId,
    promptPath: v.promptPath,
    promptSha256: v.promptSha256,
    config: JSON.stringify(v.config),
    metrics: JSON.stringify(v.metrics),
    at: nowIso(),
  });
  return v.id;
}

export function getModelVersion(db: Database.Database, id: number): ModelVersionRow | null {
  const row = db.prepare<[number], Row>('SELECT * FROM model_versions WHERE id = ?').get(id);
  return row ? toVersion(row) : null;
}

/** Newest first. */
export function listModelVersions(db: Database.Database): ModelVersionRow[] {
  return db.prepare<[], Row>('SELECT * FROM model_versions ORDER BY id DESC').all().map(toVersion);
}

/** The active version of each task. */
export function activeModelVersions(db: Database.Database): ModelVersionRow[] {
  return db.prepare<[], Row>('SELECT * FROM model_versions WHERE active = 1 ORDER BY id DESC').all().map(toVersion);
}

/** Makes `id` the active version of its task (the previous one is deactivated first). Call inside a transaction. */
export function setActiveModelVersion(db: Database.Database, id: number): { previous: number | null } {
  const v = getModelVersion(db, id);
  if (!v) throw new Error(`model version ${id} does not exist`);
  const prev = db
    .prepare<[string], { id: number }>('SELECT id FROM model_versions WHERE task = ? AND active = 1')
    .get(v.task);
  if (prev?.id === id) return { previous: id };
  db.prepare('UPDATE model_versions SET active = 0 WHERE task = ? AND active = 1').run(v.task);
  db.prepare('UPDATE model_versions SET active = 1 WHERE id = ?').run(id);
  return { previous: prev?.id ?? null };
}
