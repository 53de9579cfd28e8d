/**
 * Model versions: a finished training run becomes an immutable folder `<data>/versions/<id>/` holding
 *   prompt.safetensors  the learned prompt (its sha256 is in the database row)
 *   config.json         base package, head configuration, training options, dataset
 *   metrics.json        per-epoch history, validation and test metrics
 *   symptoms.json       the symptom set used, class order preserved
 *   text-side.json      the cached text side (symptom features, MeP weights, class features)
 * and a model_versions row, created together: the folder is built beside its place, and the row is inserted and the
 * folder renamed into place in one transaction, so a crash leaves either both or neither. One version per task is
 * active; that is what the workstation predicts with.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { badInput, notFound } from '@shared/errors';
import type { ModelPackage } from '../model/package';
import type { DataPaths } from '../paths';
import {
  getModelVersion,
  insertModelVersion,
  listModelVersions,
  nextModelVersionId,
  setActiveModelVersion,
  upsertModelPackage,
  type ModelVersionRow,
} from '../store/model-version-repo';
import type { Store } from '../store/store';
import { getSymptomSetVersion, type SymptomSetVersionRow } from '../store/symptom-set-repo';
import { encodePromptFile, readPromptFile } from './prompt-file';
import { classNames, parseSymptomSetText, type SymptomSet } from './symptom-set';
import { symptomSetText } from './symptom-set-text';
import { parseTextSide, type TextSide } from './text-side';
import { scheduleOf } from '../training/schedules';
import type { PromptWeights } from './weights';

export const versionFiles = {
  prompt: 'prompt.safetensors',
  config: 'config.json',
  metrics: 'metrics.json',
  symptoms: 'symptoms.json',
  textSide: 'text-side.json',
} as const;

/** What `vip versions list --json` and `versions.list` show of a version. */
export interface VersionInfo {
  id: number;
  name: string;
  task: string;
  modelPackageId: string;
  symptomSetVersionId: number;
  symptomSetName: string | null;
  symptomSetVersion: number | null;
  symptomSetApproved: boolean | null;
  trainingRunId: number | null;
  classes: string[];
  method: string | null;
  aggregate: string | null;
  /** The training schedule (exact, fast); null for versions trained elsewhere. */
  schedule: string | null;
  active: boolean;
  createdAt: string;
  /** Headline metrics (test when there was a test split, else validation). */
  accuracy: number | null;
  macroF1: number | null;
  metrics: unknown;
  config: unknown;
}

export interface CreateVersionInput {
  name?: string;
  /** Defaults to the symptom set's task. */
  task?: string;
  pkg: ModelPackage;
  symptomSetVersion: SymptomSetVersionRow;
  symptoms: SymptomSet;
  trainingRunId: number | null;
  weights: PromptWeights;
  /** Written to config.json and the row (JSON). */
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  textSide: TextSide;
  actor: string;
}

export function createModelVersion(store: Store, paths: DataPaths, input: CreateVersionInput): VersionInfo {
  const { pkg, symptomSetVersion: ssv } = input;
  const names = classNames(input.symptoms);
  if (names.join('\n') !== input.weights.classes.join('\n')) {
    throw badInput(
      `the prompt was trained for classes ${JSON.stringify(input.weights.classes)}, the symptom set has ${JSON.stringify(names)}`,
    );
  }
  mkdirSync(paths.versions, { recursive: true });
  const tmp = join(paths.versions, `.tmp-${randomBytes(6).toString('hex')}`);
  mkdirSync(tmp);
  try {
    const prompt = encodePromptFile(input.weights, {
      symptom_set_version: String(ssv.id),
      model_package: pkg.manifest.id,
    });
    const config = { ...input.config, modelPackageId: pkg.manifest.id, symptomSetVersionId: ssv.id };
    writeFileSync(join(tmp, versionFiles.prompt), prompt);
    writeFileSync(join(tmp, versionFiles.config), JSON.stringify(config, null, 2) + '\n');
    writeFileSync(join(tmp, versionFiles.metrics), JSON.stringify(input.metrics, null, 2) + '\n');
    writeFileSync(join(tmp, versionFiles.symptoms), symptomSetText(input.symptoms));
    writeFileSync(join(tmp, versionFiles.textSide), JSON.stringify(input.textSide));
    const promptSha256 = createHash('sha256').update(prompt).digest('hex');
    const id = store.durableTransaction(() => {
      upsertModelPackage(store.db, {
        id: pkg.manifest.id,
        name: pkg.manifest.name,
        source: `${pkg.manifest.source.kind}:${pkg.manifest.source.ref}`,
        randomWeights: pkg.manifest.randomWeights,
        manifest: pkg.manifest,
      });
      const next = nextModelVersionId(store.db);
      const dir = join(paths.versions, String(next));
      // A folder without a row is what a crash between rename and commit leaves: nothing refers to it.
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      insertModelVersion(store.db, {
        id: next,
        name: input.name ?? defaultName(input, pkg),
        task: input.task ?? ssv.task,
        modelPackageId: pkg.manifest.id,
        symptomSetVersionId: ssv.id,
        trainingRunId: input.trainingRunId,
        promptPath: `versions/${next}/${versionFiles.prompt}`,
        promptSha256,
        config,
        metrics: input.metrics,
      });
      store.audit.record({
        actor: input.actor,
        action: 'version.create',
        entity: 'model_version',
        entityId: next,
        detail: { modelPackageId: pkg.manifest.id, symptomSetVersionId: ssv.id, trainingRunId: input.trainingRunId },
      });
      renameSync(tmp, dir);
      return next;
    });
    return versionInfo(store, getModelVersion(store.db, id) as ModelVersionRow);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function defaultName(input: CreateVersionInput, pkg: ModelPackage): string {
  const c = input.weights.config;
  const kind = c.method === 'coop' ? 'CoOp' : `ViP ${c.aggregate}${c.nCtx === 0 ? ' no-CoP' : ''}`;
  return `${input.symptomSetVersion.name} v${input.symptomSetVersion.version} · ${kind} · ${pkg.manifest.id}`;
}

export function versionInfo(store: Store, row: ModelVersionRow): VersionInfo {
  const ssv = getSymptomSetVersion(store.db, row.symptomSetVersionId);
  const config = (row.config ?? {}) as {
    head?: { method?: string; aggregate?: string };
    classes?: string[];
    schedule?: string;
    train?: { contextEvery?: number };
  };
  const metrics = (row.metrics ?? {}) as { test?: Headline | null; val?: Headline | null };
  const headline = metrics.test ?? metrics.val ?? null;
  let classes: string[] = [];
  if (ssv) {
    try {
      classes = classNames(parseSymptomSetText(ssv.classesJson));
    } catch {
      classes = [];
    }
  }
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    modelPackageId: row.modelPackageId,
    symptomSetVersionId: row.symptomSetVersionId,
    symptomSetName: ssv?.name ?? null,
    symptomSetVersion: ssv?.version ?? null,
    symptomSetApproved: ssv?.approved ?? null,
    trainingRunId: row.trainingRunId,
    classes,
    method: config.head?.method ?? null,
    aggregate: config.head?.aggregate ?? null,
    // Recorded by name since the schedules were named; older versions by their context update interval.
    schedule: config.schedule ?? (config.train ? scheduleOf(config.train.contextEvery) : null),
    active: row.active,
    createdAt: row.createdAt,
    accuracy: typeof headline?.accuracy === 'number' ? headline.accuracy : null,
    macroF1: typeof headline?.macro_f1 === 'number' ? headline.macro_f1 : null,
    metrics: row.metrics,
    config: row.config,
  };
}

interface Headline {
  accuracy?: unknown;
  macro_f1?: unknown;
}

export function listVersions(store: Store): VersionInfo[] {
  return listModelVersions(store.db).map((row) => versionInfo(store, row));
}

export function activateVersion(store: Store, id: number, actor: string): VersionInfo {
  store.durableTransaction(() => {
    if (!getModelVersion(store.db, id)) throw notFound(`No model version ${id} (see \`vip versions list\`)`);
    const { previous } = setActiveModelVersion(store.db, id);
    store.audit.record({
      actor,
      action: 'version.activate',
      entity: 'model_version',
      entityId: id,
      detail: { previous },
    });
  });
  return versionInfo(store, getModelVersion(store.db, id) as ModelVersionRow);
}

/** An opened version: its row, symptom set, prompt and its cached text side. */
export interface LoadedVersion {
  row: ModelVersionRow;
  dir: string;
  symptoms: SymptomSet;
  prompt: PromptWeights;
  /** The cached text side, or null when absent or damaged (it is then recomputed and saved). */
  storedTextSide(): TextSide | null;
  saveTextSide(side: TextSide): void;
}

export function loadVersion(store: Store, paths: DataPaths, id: number): LoadedVersion {
  const row = getModelVersion(store.db, id);
  if (!row) throw notFound(`No model version ${id} (see \`vip versions list\`)`);
  const dir = join(paths.versions, String(row.id));
  const promptPath = join(paths.root, row.promptPath);
  let bytes: Buffer;
  try {
    bytes = readFileSync(promptPath);
  } catch {
    throw badInput(`model version ${id}: ${promptPath} is missing`);
  }
  if (row.promptSha256 && createHash('sha256').update(bytes).digest('hex') !== row.promptSha256) {
    throw badInput(`model version ${id}: ${promptPath} does not match its checksum (changed or damaged)`);
  }
  let symptoms: SymptomSet;
  try {
    symptoms = parseSymptomSetText(readFileSync(join(dir, versionFiles.symptoms), 'utf8'), {
      label: `model version ${id} symptoms`,
    });
  } catch {
    const ssv = getSymptomSetVersion(store.db, row.symptomSetVersionId);
    if (!ssv) throw badInput(`model version ${id}: its symptom set is missing`);
    symptoms = parseSymptomSetText(ssv.classesJson, { label: `symptom set ${ssv.name} v${ssv.version}` });
  }
  const prompt = readPromptFile(new Uint8Array(bytes), { classes: classNames(symptoms) }, `model version ${id} prompt`);
  const sidePath = join(dir, versionFiles.textSide);
  return {
    row,
    dir,
    symptoms,
    prompt,
    storedTextSide() {
      try {
        return parseTextSide(JSON.parse(readFileSync(sidePath, 'utf8')) as unknown, `model version ${id} text side`);
      } catch {
        return null;
      }
    },
    saveTextSide(side) {
      // A derived cache: rewritten whole (temp file, rename) when missing or damaged.
      const tmp = `${sidePath}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        writeFileSync(tmp, JSON.stringify(side));
        renameSync(tmp, sidePath);
      } catch {
        rmSync(tmp, { force: true });
      }
    },
  };
}
