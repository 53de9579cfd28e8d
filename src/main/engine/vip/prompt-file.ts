/**
 * `prompt.safetensors`: the learned prompt of one training run. Tensors `cop.ctx` `[M, W]` (or `[C, M, W]`),
 * `mep.class_tokens` `[C, d]`, `mep.q_proj.weight` and `mep.k_proj.weight` `[d, d]` (torch Linear layout), only those
 * the configuration uses; metadata `classes` (JSON list), `n_ctx`, `method`, `aggregate`, `class_specific`,
 * `text_width`, `embed_dim`. Written to a temporary file and renamed, so a reader never sees half a file.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { badInput } from '@shared/errors';
import { readSafetensors, writeSafetensors, type TensorInput } from '../model/safetensors';
import { aggregates, methods, type Aggregate, type HeadConfig, type Method } from './config';
import { DEFAULT_N_CTX } from './prompts';
import { checkPromptMatches, checkPromptWeights, type PromptExpectations, type PromptWeights } from './weights';

export const PROMPT_FORMAT = 'vip-prompt';
export const PROMPT_FORMAT_VERSION = '1';

const tensorNames = {
  ctx: 'cop.ctx',
  classTokens: 'mep.class_tokens',
  qProj: 'mep.q_proj.weight',
  kProj: 'mep.k_proj.weight',
} as const;

/** The file's bytes; `extraMetadata` (e.g. the symptom set version) is stored alongside, never overriding ours. */
export function encodePromptFile(weights: PromptWeights, extraMetadata: Record<string, string> = {}): Uint8Array {
  checkPromptWeights(weights);
  const tensors = new Map<string, TensorInput>();
  for (const [key, name] of Object.entries(tensorNames) as [keyof typeof tensorNames, string][]) {
    const t = weights[key];
    if (t) tensors.set(name, t);
  }
  const { config } = weights;
  const metadata: Record<string, string> = {
    ...extraMetadata,
    format: PROMPT_FORMAT,
    format_version: PROMPT_FORMAT_VERSION,
    classes: JSON.stringify(weights.classes),
    n_ctx: String(config.nCtx),
    method: config.method,
    aggregate: config.aggregate,
    class_specific: String(config.classSpecific),
    text_width: String(weights.textWidth),
    embed_dim: String(weights.embedDim),
  };
  return writeSafetensors(tensors, metadata);
}

export function writePromptFile(
  path: string,
  weights: PromptWeights,
  extraMetadata: Record<string, string> = {},
): void {
  const bytes = encodePromptFile(weights, extraMetadata);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw badInput(`cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/**
 * Reads and checks a prompt file. With `expected`, a prompt trained for other classes (or in another order) or for a
 * model of another width is refused with a message saying which.
 */
export function readPromptFile(
  src: string | Uint8Array,
  expected: PromptExpectations = {},
  label = typeof src === 'string' ? src : 'prompt file',
): PromptWeights {
  const file = readSafetensors(src, { label });
  const meta = file.metadata;
  const get = (name: keyof typeof tensorNames): TensorInput | null => {
    const t = file.tensors.get(tensorNames[name]);
    return t ? { shape: t.shape, data: t.data } : null;
  };
  const known = new Set<string>(Object.values(tensorNames));
  const unknown = [...file.tensors.keys()].find((k) => !known.has(k));
  if (unknown !== undefined) throw badInput(`${label}: unexpected tensor "${unknown}"; not a ViP prompt file`);

  const ctx = get('ctx');
  const classTokens = get('classTokens');
  const qProj = get('qProj');
  const kProj = get('kProj');
  const classes = parseClasses(meta['classes'], label);
  const method = oneOf<Method>(meta['method'] ?? 'vip', methods, 'method', label);
  // A file without the newer keys (e.g. converted from the authors' checkpoint) says what its tensors say.
  const aggregate = oneOf<Aggregate>(meta['aggregate'] ?? 'mep', aggregates, 'aggregate', label);
  const classSpecific =
    meta['class_specific'] !== undefined ? parseBool(meta['class_specific'], label) : ctx?.shape.length === 3;
  const nCtx =
    meta['n_ctx'] !== undefined ? parseCount(meta['n_ctx'], 'n_ctx', label) : (ctx?.shape.at(-2) ?? DEFAULT_N_CTX);
  const textWidth =
    meta['text_width'] !== undefined ? parseCount(meta['text_width'], 'text_width', label) : ctx?.shape.at(-1);
  const embedDim =
    meta['embed_dim'] !== undefined ? parseCount(meta['embed_dim'], 'embed_dim', label) : classTokens?.shape[1];
  if (textWidth === undefined) throw badInput(`${label}: metadata text_width is missing`);
  if (embedDim === undefined) throw badInput(`${label}: metadata embed_dim is missing`);

  const config: HeadConfig = { method, aggregate, nCtx, classSpecific };
  const weights: PromptWeights = { classes, config, textWidth, embedDim, ctx, classTokens, qProj, kProj };
  checkPromptWeights(weights, label);
  checkPromptMatches(weights, expected, label);
  return weights;
}

function parseClasses(raw: string | undefined, label: string): string[] {
  if (raw === undefined) throw badInput(`${label}: metadata "classes" is missing; not a ViP prompt file`);
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch {
    throw badInput(`${label}: metadata "classes" is not a JSON list`);
  }
  if (!Array.isArray(value) || value.length < 2 || !value.every((v): v is string => typeof v === 'string')) {
    throw badInput(`${label}: metadata "classes" must be a JSON list of at least two class names`);
  }
  return value;
}

function oneOf<T extends string>(raw: string, allowed: readonly T[], key: string, label: string): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw badInput(`${label}: metadata ${key} "${raw}" is not one of ${allowed.join(', ')}`);
}

function parseBool(raw: string, label: string): boolean {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw badInput(`${label}: metadata class_specific must be true or false, got "${raw}"`);
}

function parseCount(raw: string, key: string, label: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n))
    throw badInput(`${label}: metadata ${key} "${raw}" is not a count`);
  return n;
}
