/**
 * Rows of symptom_sets and symptom_set_versions. A set has a unique name and a task; each change of its classes is a
 * new numbered version, never an edit. Importing the same classes again returns the existing version. The approval
 * flag says whether a person vouched for the symptoms (the symptom generator's review screen comes later).
 */
import type Database from 'better-sqlite3';
import { nowIso } from './clock';
import { fromJsonColumn, objectFromJsonColumn } from './json-column';

export interface SymptomSetVersionRow {
  id: number;
  setId: number;
  name: string;
  task: string;
  version: number;
  /** The set as JSON text, class order preserved. */
  classesJson: string;
  approved: boolean;
  approvedBy: string | null;
  approvedAt: string | null;
  provenance: Record<string, unknown> | null;
  createdAt: string;
}

export interface ImportSymptomSetInput {
  name: string;
  task: string;
  /** JSON text in class order (symptomSetText). */
  classesJson: string;
  description?: string | null;
  /** Who approved it, or null to record it unapproved. */
  approvedBy: string | null;
  provenance: Record<string, unknown>;
}

interface VersionRow {
  id: number;
  symptom_set_id: number;
  name: string;
  task: string;
  version: number;
  classes_json: string;
  approved: number;
  approved_by: string | null;
  approved_at: string | null;
  provenance_json: string;
  created_at: string;
}

const SELECT = `SELECT v.*, s.name, s.task FROM symptom_set_versions v JOIN symptom_sets s ON s.id = v.symptom_set_id`;

const toRow = (r: VersionRow): SymptomSetVersionRow => ({
  id: r.id,
  setId: r.symptom_set_id,
  name: r.name,
  task: r.task,
  version: r.version,
  classesJson: r.classes_json,
  approved: r.approved === 1,
  approvedBy: r.approved_by,
  approvedAt: r.approved_at,
  provenance: objectFromJsonColumn(r.provenance_json),
  createdAt: r.created_at,
});

/** Canonical form for comparing two imports of the same set (whitespace in the file does not matter). */
function canonical(classesJson: string): string {
  return JSON.stringify(fromJsonColumn(classesJson));
}

export function getSymptomSetVersion(db: Database.Database, id: number): SymptomSetVersionRow | null {
  const row = db.prepare<[number], VersionRow>(`${SELECT} WHERE v.id = ?`).get(id);
  return row ? toRow(row) : null;
}

/** Every version of every set, newest first. */
export function listSymptomSetVersions(db: Database.Database): SymptomSetVersionRow[] {
  return db.prepare<[], VersionRow>(`${SELECT} ORDER BY s.name, v.version DESC`).all().map(toRow);
}

/**
 * Finds the set by name (creating it) and returns the version holding these classes: the existing one when an
 * earlier import had the same content, else a new version. Call inside a transaction. `created` says which.
 */
export function importSymptomSetVersion(
  db: Database.Database,
  input: ImportSymptomSetInput,
): { version: SymptomSetVersionRow; created: boolean } {
  const at = nowIso();
  let set = db
    .prepare<[string], { id: number; task: string }>('SELECT id, task FROM symptom_sets WHERE name = ?')
    .get(input.name);
  if (!set) {
    const id = Number(
      db
        .prepare('INSERT INTO symptom_sets (name, task, description, created_at) VALUES (?, ?, ?, ?)')
        .run(input.name, input.task, input.description ?? null, at).lastInsertRowid,
    );
    set = { id, task: input.task };
  }
  const versions = db
    .prepare<[number], VersionRow>(`${SELECT} WHERE v.symptom_set_id = ? ORDER BY v.version DESC`)
    .all(set.id);
  const wanted = canonical(input.classesJson);
  const same = versions.find((v) => canonical(v.classes_json) === wanted);
  if (same) {
    // A later import by someone who vouches for it approves an unapproved version.
    if (same.approved === 0 && input.approvedBy !== null) {
      db.prepare('UPDATE symptom_set_versions SET approved = 1, approved_by = ?, approved_at = ? WHERE id = ?').run(
        input.approvedBy,
        at,
        same.id,
      );
      return { version: getSymptomSetVersion(db, same.id) as SymptomSetVersionRow, created: false };
    }
    return { version: toRow(same), created: false };
  }
  const next = (versions[0]?.version ?? 0) + 1;
  const id = Number(
    db
      .prepare(
        `INSERT INTO symptom_set_versions (symptom_set_id, version, classes_json, approved, approved_by, approved_at,
           provenance_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        set.id,
        next,
        input.classesJson,
        input.approvedBy === null ? 0 : 1,
        input.approvedBy,
        input.approvedBy === null ? null : at,
        JSON.stringify(input.provenance),
        at,
      ).lastInsertRowid,
  );
  return { version: getSymptomSetVersion(db, id) as SymptomSetVersionRow, created: true };
}

/**
 * Records that `by` approved the version (the symptom generator's review screen and `vip symptoms approve`). Returns
 * the row, unchanged when it was approved already. Call inside a transaction.
 */
export function approveSymptomSetVersion(db: Database.Database, id: number, by: string): SymptomSetVersionRow | null {
  const row = getSymptomSetVersion(db, id);
  if (!row || row.approved) return row;
  db.prepare('UPDATE symptom_set_versions SET approved = 1, approved_by = ?, approved_at = ? WHERE id = ?').run(
    by,
    nowIso(),
    id,
  );
  return getSymptomSetVersion(db, id);
}
