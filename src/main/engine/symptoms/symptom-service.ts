/**
 * Symptom set versions as the UI and the CLI see them: listing (built-in sets added on a fresh data folder), detail
 * with provenance and the generator's dropped candidates, a clinician's edit saved as a new unapproved version that
 * carries the history of edits, approval, and recording a generated set. Every change is audit logged.
 */
import type { SymptomSetVersionDetail, SymptomSetVersionSummary } from '@shared/contract';
import { badInput, notFound } from '@shared/errors';
import { clipTokenizerFiles } from '../model/bpe-files';
import { ClipTokenizer } from '../model/tokenizer';
import type { Store } from '../store/store';
import {
  approveSymptomSetVersion,
  getSymptomSetVersion,
  importSymptomSetVersion,
  listSymptomSetVersions,
  type SymptomSetVersionRow,
} from '../store/symptom-set-repo';
import { builtinSymptomSets } from '../vip/builtin-symptoms';
import { parseSymptomSetText, type SymptomSet } from '../vip/symptom-set';
import { symptomSetText } from '../vip/symptom-set-text';
import type { GenerationRecord } from './generator';

let sharedTokenizer: ClipTokenizer | undefined;

/** The original CLIP tokenizer (resources/clip), for checking that symptoms fit before any package is opened. */
export function clipTokenizer(): ClipTokenizer {
  if (!sharedTokenizer) {
    const files = clipTokenizerFiles();
    sharedTokenizer = ClipTokenizer.fromStrings(files.vocabJson, files.mergesTxt);
  }
  return sharedTokenizer;
}

/** One edit by a person, kept in every later version's provenance. */
export interface EditRecord {
  at: string;
  by: string;
  fromVersionId: number;
  note: string | null;
  changes: Record<string, { added: string[]; removed: string[]; reordered: boolean }>;
}

/** What this module writes into provenance_json (older rows hold `{source, importedBy}` only). */
export interface SymptomProvenance {
  kind: 'generated' | 'edited' | 'built-in' | 'imported';
  createdBy: string | null;
  parentVersionId: number | null;
  /** The generator's record of the version this one descends from (carried through edits). */
  generation: GenerationRecord | null;
  edits: EditRecord[];
  source?: string;
  id?: string;
}

/** A symptom set in the given class order; validated, and checked to fit the text tower with M = 4. */
export function symptomSetFrom(
  classes: readonly { name: string; symptoms: readonly string[] }[],
  label: string,
): SymptomSet {
  const text = symptomSetText({ classes: classes.map((c) => ({ name: c.name, symptoms: [...c.symptoms] })) });
  return parseSymptomSetText(text, { label, fit: { tokenizer: clipTokenizer() } });
}

function rowSet(row: SymptomSetVersionRow): SymptomSet {
  return parseSymptomSetText(row.classesJson, { label: `symptom set ${row.name} v${row.version}` });
}

function origin(p: Record<string, unknown> | null): SymptomSetVersionSummary['origin'] {
  const kind = p?.['kind'];
  if (kind === 'generated' || kind === 'edited' || kind === 'built-in' || kind === 'imported') return kind;
  const source = p?.['source'];
  if (source === 'built-in' || (typeof source === 'string' && source.startsWith('built-in:'))) return 'built-in';
  return 'imported';
}

function generationOf(p: Record<string, unknown> | null): GenerationRecord | null {
  const g = p?.['generation'];
  return g && typeof g === 'object' && (g as { kind?: unknown }).kind === 'vsg' ? (g as GenerationRecord) : null;
}

function editsOf(p: Record<string, unknown> | null): EditRecord[] {
  const e = p?.['edits'];
  return Array.isArray(e) ? (e as EditRecord[]) : [];
}

export function summary(row: SymptomSetVersionRow): SymptomSetVersionSummary {
  const p = row.provenance;
  const generation = generationOf(p);
  const createdBy = p?.['createdBy'] ?? p?.['importedBy'];
  const parent = p?.['parentVersionId'];
  return {
    id: row.id,
    setId: row.setId,
    name: row.name,
    task: row.task,
    version: row.version,
    classes: rowSet(row).classes,
    approved: row.approved,
    approvedBy: row.approvedBy,
    approvedAt: row.approvedAt,
    createdAt: row.createdAt,
    createdBy: typeof createdBy === 'string' ? createdBy : null,
    origin: origin(p),
    parentVersionId: typeof parent === 'number' ? parent : null,
    partial: origin(p) === 'generated' && generation !== null && generation.status !== 'complete',
  };
}

export function detail(store: Store, row: SymptomSetVersionRow): SymptomSetVersionDetail {
  const generation = generationOf(row.provenance);
  const usedBy = store.db
    .prepare<[number], { id: number; name: string; active: number }>(
      'SELECT id, name, active FROM model_versions WHERE symptom_set_version_id = ? ORDER BY id',
    )
    .all(row.id)
    .map((r) => ({ id: r.id, name: r.name, active: r.active === 1 }));
  return {
    ...summary(row),
    provenance: row.provenance,
    dropped: generation
      ? generation.perClass.flatMap((c) =>
          c.dropped.map((d) => ({ className: c.name, text: d.text, reason: d.reason })),
        )
      : [],
    warnings: generation ? [...generation.warnings, ...(generation.error ? [generation.error] : [])] : [],
    usedBy,
  };
}

export function requireVersion(store: Store, id: number): SymptomSetVersionRow {
  const row = getSymptomSetVersion(store.db, id);
  if (!row) throw notFound(`No symptom set version ${id} (see \`vip symptoms list\`)`);
  return row;
}

/** Adds the built-in sets (unapproved: nobody at this site has vouched for them yet) when they are not stored yet. */
export function ensureBuiltinSymptomSets(store: Store, actor: string): void {
  const have = new Set(listSymptomSetVersions(store.db).map((r) => `${r.name}\n${canonical(r.classesJson)}`));
  for (const builtin of builtinSymptomSets) {
    const name = `builtin:${builtin.id}`;
    const set = symptomSetFrom(
      Object.entries(builtin.symptoms).map(([n, s]) => ({ name: n, symptoms: s })),
      `built-in symptom set ${builtin.id}`,
    );
    const classesJson = symptomSetText(set);
    if (have.has(`${name}\n${canonical(classesJson)}`)) continue;
    store.transaction(() => {
      const { version, created } = importSymptomSetVersion(store.db, {
        name,
        task: builtin.modality,
        classesJson,
        description: builtin.title,
        approvedBy: null,
        provenance: { source: 'built-in', id: builtin.id, kind: 'built-in', createdBy: 'ViP Workstation (built-in)' },
      });
      if (created) {
        store.audit.record({
          actor,
          action: 'symptoms.builtin',
          entity: 'symptom_set_version',
          entityId: version.id,
          detail: { name, version: version.version },
        });
      }
    });
  }
}

function canonical(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json));
  } catch {
    return json;
  }
}

export function listVersions(store: Store): SymptomSetVersionSummary[] {
  return listSymptomSetVersions(store.db).map(summary);
}

function diff(before: SymptomSet, after: SymptomSet): EditRecord['changes'] {
  const changes: EditRecord['changes'] = {};
  after.classes.forEach((cls, i) => {
    const old = before.classes[i]?.symptoms ?? [];
    const added = cls.symptoms.filter((s) => !old.includes(s));
    const removed = old.filter((s) => !cls.symptoms.includes(s));
    const kept = cls.symptoms.filter((s) => old.includes(s));
    const reordered = kept.join('\n') !== old.filter((s) => cls.symptoms.includes(s)).join('\n');
    if (added.length || removed.length || reordered) changes[cls.name] = { added, removed, reordered };
  });
  return changes;
}

export interface SaveVersionInput {
  baseVersionId: number;
  classes: readonly { name: string; symptoms: readonly string[] }[];
  note?: string | undefined;
  actor: string;
}

/** A clinician's edit of a version: a new unapproved version of the same set, or the existing one with that content. */
export function saveEditedVersion(
  store: Store,
  input: SaveVersionInput,
): { created: boolean; version: SymptomSetVersionRow } {
  const base = requireVersion(store, input.baseVersionId);
  const before = rowSet(base);
  const names = input.classes.map((c) => c.name.trim());
  const expected = before.classes.map((c) => c.name);
  if (names.join('\n') !== expected.join('\n')) {
    throw badInput(
      `the classes must stay those of ${base.name} v${base.version} (${expected.map((c) => `"${c}"`).join(', ')}), in that order`,
    );
  }
  const after = symptomSetFrom(
    input.classes.map((c) => ({
      name: c.name.trim(),
      symptoms: c.symptoms.map((s) => s.trim()).filter((s) => s !== ''),
    })),
    `${base.name} (edited)`,
  );
  const changes = diff(before, after);
  if (Object.keys(changes).length === 0) return { created: false, version: base };
  const at = new Date().toISOString();
  const edit: EditRecord = {
    at,
    by: input.actor,
    fromVersionId: base.id,
    note: input.note?.trim() || null,
    changes,
  };
  const provenance: SymptomProvenance = {
    kind: 'edited',
    createdBy: input.actor,
    parentVersionId: base.id,
    generation: generationOf(base.provenance),
    edits: [...editsOf(base.provenance), edit],
    ...(typeof base.provenance?.['source'] === 'string' ? { source: base.provenance['source'] } : {}),
  };
  return store.durableTransaction(() => {
    const saved = importSymptomSetVersion(store.db, {
      name: base.name,
      task: base.task,
      classesJson: symptomSetText(after),
      approvedBy: null,
      provenance: provenance as unknown as Record<string, unknown>,
    });
    store.audit.record({
      actor: input.actor,
      action: 'symptoms.edit',
      entity: 'symptom_set_version',
      entityId: saved.version.id,
      detail: {
        name: base.name,
        fromVersionId: base.id,
        version: saved.version.version,
        created: saved.created,
        changes,
      },
    });
    return saved;
  });
}

/** A clinician approves a version (checked once more first); approving twice changes nothing. */
export function approveVersion(store: Store, id: number, actor: string): SymptomSetVersionRow {
  const row = requireVersion(store, id);
  symptomSetFrom(rowSet(row).classes, `${row.name} v${row.version}`);
  if (row.approved) return row;
  const who = actor.trim();
  if (who === '') throw badInput('approving needs a name: set the reviewer name in Settings');
  return store.durableTransaction(() => {
    const approved = approveSymptomSetVersion(store.db, id, who) as SymptomSetVersionRow;
    store.audit.record({
      actor: who,
      action: 'symptoms.approve',
      entity: 'symptom_set_version',
      entityId: id,
      detail: { name: row.name, version: row.version },
    });
    return approved;
  });
}

export interface RecordGeneratedInput {
  name: string;
  task?: string | undefined;
  record: GenerationRecord;
  actor: string;
}

/**
 * Stores a generated set as an unapproved version. Null when some class ended with no valid symptom: such a set
 * cannot be stored (nor trained on); the record still goes to the caller.
 */
export function recordGeneratedVersion(
  store: Store,
  input: RecordGeneratedInput,
): { created: boolean; version: SymptomSetVersionRow } | null {
  if (input.record.perClass.some((c) => c.kept.length === 0)) return null;
  const set = symptomSetFrom(
    input.record.perClass.map((c) => ({ name: c.name, symptoms: c.kept })),
    `generated symptom set ${input.name}`,
  );
  const provenance: SymptomProvenance = {
    kind: 'generated',
    createdBy: input.actor,
    parentVersionId: null,
    generation: input.record,
    edits: [],
  };
  return store.durableTransaction(() => {
    const saved = importSymptomSetVersion(store.db, {
      name: input.name,
      task: input.task ?? input.name,
      classesJson: symptomSetText(set),
      description: `generated for ${input.record.modality}`,
      approvedBy: null,
      provenance: provenance as unknown as Record<string, unknown>,
    });
    store.audit.record({
      actor: input.actor,
      action: 'symptoms.generate',
      entity: 'symptom_set_version',
      entityId: saved.version.id,
      detail: {
        name: input.name,
        version: saved.version.version,
        created: saved.created,
        model: input.record.model,
        endpoint: input.record.endpoint,
        status: input.record.status,
      },
    });
    return saved;
  });
}
