/**
 * The database schema as an ordered list of migrations. The applied version lives in `PRAGMA user_version`.
 * Rules for later issues: never edit a migration that has shipped; append a new one with the next version.
 * A migration that rebuilds a table must say so (`rebuildsTables`), because SQLite only lets foreign keys be
 * switched off outside a transaction.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Run with foreign_keys OFF (then checked with foreign_key_check before commit). */
  readonly rebuildsTables?: boolean;
}

const initialSchema = `
-- Internal values of this data folder (patient key salt, ...). Not user settings.
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- User settings: one row per key, the value as JSON.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL
) STRICT;

CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- DICOM images of one study join one case; NULL for cases of ordinary images.
  study_instance_uid TEXT UNIQUE,
  study_date TEXT,               -- YYYY-MM-DD
  modality TEXT,
  body_part TEXT,
  patient_key TEXT,              -- salted hash of the patient ID, never the ID itself
  description TEXT,
  notes TEXT,
  -- Kept current by the triggers below so the worklist filters and sorts on indexed columns.
  predicted_class TEXT,
  predicted_probability REAL,
  review_status TEXT NOT NULL DEFAULT 'unreviewed' CHECK (review_status IN ('unreviewed', 'reviewed')),
  review_label TEXT
) STRICT;
CREATE INDEX cases_created ON cases (created_at, id);
CREATE INDEX cases_study_date ON cases (study_date, id);
CREATE INDEX cases_modality ON cases (modality, created_at);
CREATE INDEX cases_review ON cases (review_status, created_at);
CREATE INDEX cases_predicted ON cases (predicted_class, predicted_probability);
CREATE INDEX cases_probability ON cases (predicted_probability);
CREATE INDEX cases_patient ON cases (patient_key);

CREATE TABLE images (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases (id),
  sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
  rel_path TEXT NOT NULL UNIQUE,  -- inside the managed image folder: <aa>/<sha256>.<ext>
  original_name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  width INTEGER NOT NULL CHECK (width > 0),
  height INTEGER NOT NULL CHECK (height > 0),
  frame_count INTEGER NOT NULL DEFAULT 1 CHECK (frame_count > 0),
  size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
  orientation INTEGER,            -- EXIF orientation 1..8 of ordinary images
  sop_instance_uid TEXT,
  series_instance_uid TEXT,
  dicom_json TEXT,                -- kept DICOM attributes (no patient name or ID)
  import_batch TEXT,
  imported_at TEXT NOT NULL
) STRICT;
CREATE INDEX images_case ON images (case_id, id);
CREATE INDEX images_sop ON images (sop_instance_uid) WHERE sop_instance_uid IS NOT NULL;
CREATE INDEX images_batch ON images (import_batch);

CREATE TABLE model_packages (
  id TEXT PRIMARY KEY,            -- folder name under models/
  name TEXT NOT NULL,
  source TEXT NOT NULL,
  random_weights INTEGER NOT NULL CHECK (random_weights IN (0, 1)),
  manifest_json TEXT NOT NULL,
  installed_at TEXT NOT NULL
) STRICT;

CREATE TABLE symptom_sets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  task TEXT NOT NULL,
  description TEXT,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE symptom_set_versions (
  id INTEGER PRIMARY KEY,
  symptom_set_id INTEGER NOT NULL REFERENCES symptom_sets (id),
  version INTEGER NOT NULL CHECK (version > 0),
  classes_json TEXT NOT NULL,
  approved INTEGER NOT NULL DEFAULT 0 CHECK (approved IN (0, 1)),
  approved_by TEXT,
  approved_at TEXT,
  provenance_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (symptom_set_id, version)
) STRICT;

CREATE TABLE training_runs (
  id INTEGER PRIMARY KEY,
  model_package_id TEXT REFERENCES model_packages (id),
  symptom_set_version_id INTEGER REFERENCES symptom_set_versions (id),
  config_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
  epochs_json TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  error TEXT,
  -- The engine process that owns a queued or running run; recovery only interrupts runs whose owner is gone.
  owner_pid INTEGER,
  owner_host TEXT
) STRICT;
CREATE INDEX training_runs_status ON training_runs (status);

CREATE TABLE model_versions (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  task TEXT NOT NULL,
  model_package_id TEXT NOT NULL REFERENCES model_packages (id),
  symptom_set_version_id INTEGER NOT NULL REFERENCES symptom_set_versions (id),
  training_run_id INTEGER REFERENCES training_runs (id),
  prompt_path TEXT NOT NULL,      -- relative to the data folder
  prompt_sha256 TEXT,
  config_json TEXT NOT NULL,
  metrics_json TEXT,
  active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  created_at TEXT NOT NULL
) STRICT;
-- One active version per task.
CREATE UNIQUE INDEX model_versions_active ON model_versions (task) WHERE active = 1;
CREATE INDEX model_versions_task ON model_versions (task, created_at);
-- Versions are immutable: only the active flag and the metrics may change.
CREATE TRIGGER model_versions_immutable
BEFORE UPDATE OF name, task, model_package_id, symptom_set_version_id, training_run_id, prompt_path, prompt_sha256, config_json, created_at
ON model_versions
BEGIN
  SELECT RAISE(ABORT, 'model versions are immutable');
END;

CREATE TABLE predictions (
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images (id),
  mode TEXT NOT NULL,             -- 'zero-shot' | 'vip' | what later issues add
  model_version_id INTEGER REFERENCES model_versions (id),
  model_package_id TEXT REFERENCES model_packages (id),
  symptom_set_version_id INTEGER REFERENCES symptom_set_versions (id),
  probabilities_json TEXT NOT NULL,
  evidence_json TEXT,
  predicted_class TEXT NOT NULL,
  probability REAL NOT NULL CHECK (probability >= 0 AND probability <= 1),
  actor TEXT,
  created_at TEXT NOT NULL,
  CHECK (mode <> 'vip' OR model_version_id IS NOT NULL)
) STRICT;
CREATE INDEX predictions_image ON predictions (image_id, id);
CREATE INDEX predictions_version ON predictions (model_version_id);
CREATE TRIGGER predictions_to_case AFTER INSERT ON predictions
BEGIN
  UPDATE cases
  SET predicted_class = NEW.predicted_class, predicted_probability = NEW.probability, updated_at = NEW.created_at
  WHERE id = (SELECT case_id FROM images WHERE id = NEW.image_id);
END;

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases (id),
  image_id INTEGER REFERENCES images (id),
  prediction_id INTEGER REFERENCES predictions (id),
  label TEXT NOT NULL,
  agrees_with_model INTEGER CHECK (agrees_with_model IN (0, 1)),
  note TEXT,
  reviewer TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX reviews_case ON reviews (case_id, id);
CREATE TRIGGER reviews_to_case AFTER INSERT ON reviews
BEGIN
  UPDATE cases SET review_status = 'reviewed', review_label = NEW.label, updated_at = NEW.created_at
  WHERE id = NEW.case_id;
END;

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT,
  entity_id TEXT,
  detail_json TEXT
) STRICT;
CREATE INDEX audit_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_action ON audit_log (action, id);
-- The audit log is append-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
`;

// PACS nodes (DICOMweb). Never a password or token here: secrets live in the SecretStore or the environment.
const pacsNodes = `
CREATE TABLE pacs_nodes (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  url TEXT NOT NULL,
  auth TEXT NOT NULL CHECK (auth IN ('none', 'basic', 'bearer')),
  username TEXT,
  timeout_seconds REAL NOT NULL CHECK (timeout_seconds > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
`;

export const migrations: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: initialSchema },
  { version: 2, name: 'pacs nodes', sql: pacsNodes },
];

export const LATEST_SCHEMA_VERSION: number = migrations[migrations.length - 1]?.version ?? 0;

export function readSchemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Apply every migration above the database's version, each in its own transaction together with the
 * new user_version, so a crash leaves the database at the last complete version.
 */
export function migrate(db: Database.Database, list: readonly Migration[] = migrations): { from: number; to: number } {
  assertOrdered(list);
  const from = readSchemaVersion(db);
  for (const m of list) {
    if (m.version <= from) continue;
    if (m.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(m.sql);
        if (m.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0)
            throw new Error(`migration ${m.version} (${m.name}) breaks ${broken.length} foreign keys`);
        }
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } finally {
      if (m.rebuildsTables) db.pragma('foreign_keys = ON');
    }
  }
  return { from, to: readSchemaVersion(db) };
}

/** Versions must be 1, 2, 3, ...: a gap or a reordering is a programming error caught by the tests. */
export function assertOrdered(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}; expected ${i + 1}`);
  });
}
