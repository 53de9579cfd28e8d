/**
 * The text side of a model version, computed once and cached (JSON): per class its symptom features, the MeP weights,
 * the class token and the merged class feature `s_c` with its norm. Predicting then costs one image-tower run and a
 * few dot products (inference.ts). The MeP arithmetic here is plain float64 TypeScript, independent of the tfjs head,
 * so the parity test between the two paths checks the method twice.
 */
import { z } from 'zod';
import { VipError, badInput } from '@shared/errors';
import type { TensorInput } from '../model/safetensors';
import { CLIP_CONTEXT_LENGTH, type ClipTokenizer } from '../model/tokenizer';
import { LOGIT_SCALE, aggregates, type Aggregate } from './config';
import {
  DEFAULT_TEMPLATE,
  coopPrompts,
  symptomPrompts,
  templatePrompts,
  type PromptBatch,
  type PromptLayout,
} from './prompts';
import type { SymptomSet } from './symptom-set';
import { checkPromptMatches, checkPromptWeights, type PromptWeights } from './weights';

export const predictModes = ['vip', 'zeroshot-classname', 'zeroshot-symptoms'] as const;
/** What the user asks for: the trained prompt, or one of the two zero-shot baselines. */
export type PredictMode = (typeof predictModes)[number];

export const textSideKinds = ['vip', 'coop', 'zeroshot-symptoms', 'zeroshot-classname'] as const;
/** What the text side holds: a trained ViP or CoOp prompt, or a zero-shot baseline. */
export type TextSideKind = (typeof textSideKinds)[number];

const vector = z.array(z.number());

export const textSideSchema = z.object({
  format: z.literal(1),
  kind: z.enum(textSideKinds),
  /** How symptom features merge into a class feature (vip: the trained aggregate; zero-shot symptoms: mean). */
  aggregate: z.enum(aggregates).nullable(),
  embedDim: z.number().int().positive(),
  logitScale: z.number().positive(),
  classes: z
    .array(
      z.object({
        name: z.string(),
        /**
         * The part of `s_c` that is not a symptom's: the MeP class token `g_c`, or the whole class text feature when a
         * class has no symptoms (zero-shot class names, CoOp); null for mean / max / zero-shot symptoms.
         */
        prototype: vector.nullable(),
        symptoms: z.array(
          z.object({
            text: z.string(),
            /** The symptom's text feature as the class side uses it (unit length for zero-shot symptoms). */
            feature: vector,
            /** MeP attention a_ck; 1/k for mean and zero-shot symptoms; for max the share of dimensions it wins. */
            weight: z.number(),
          }),
        ),
        /** The merged class feature s_c (unnormalised) and its norm. */
        s: vector,
        sNorm: z.number().positive(),
      }),
    )
    .min(2),
});
export type TextSide = z.infer<typeof textSideSchema>;
export type TextSideClass = TextSide['classes'][number];

/** Prompt features from some text tower: `[E]` per layout, context put in place of the placeholders when given. */
export type PromptFeatureFn = (layouts: readonly PromptLayout[], ctx: TensorInput | null) => Promise<Float32Array[]>;

export interface ComputeTextSideOptions {
  features: PromptFeatureFn;
  tokenizer: ClipTokenizer;
  symptoms: SymptomSet;
  mode: PredictMode;
  /** The trained prompt (mode `vip`). */
  prompt?: PromptWeights;
  /** Zero-shot class names; default "a photo of a {}.". */
  template?: string;
  contextLength?: number;
  /** Checked against the prompt and the features. */
  embedDim: number;
  textWidth?: number;
}

export async function computeTextSide(options: ComputeTextSideOptions): Promise<TextSide> {
  const { features, tokenizer, symptoms, mode, embedDim } = options;
  const contextLength = options.contextLength ?? CLIP_CONTEXT_LENGTH;
  const names = symptoms.classes.map((c) => c.name);
  const encode = async (batch: PromptBatch, ctx: TensorInput | null): Promise<Float32Array[]> => {
    const out = await features(batch.layouts, ctx);
    if (out.length !== batch.layouts.length || out.some((f) => f.length !== embedDim)) {
      throw new VipError(
        'internal',
        `the text tower returned features of the wrong count or size (expected ${embedDim})`,
      );
    }
    return out;
  };
  const header = { format: 1 as const, embedDim, logitScale: LOGIT_SCALE };

  if (mode === 'zeroshot-classname') {
    const batch = templatePrompts(tokenizer, names, options.template ?? DEFAULT_TEMPLATE, contextLength);
    const feats = await encode(batch, null);
    return {
      ...header,
      kind: 'zeroshot-classname',
      aggregate: null,
      classes: names.map((n, c) => prototypeClass(n, feats[c])),
    };
  }

  if (mode === 'zeroshot-symptoms') {
    const batch = symptomPrompts(tokenizer, symptoms, 0, contextLength);
    const feats = await encode(batch, null);
    const classes = symptoms.classes.map((cls, c) => {
      const { start, count } = batch.classRows[c] ?? { start: 0, count: 0 };
      const list = cls.symptoms.map((text, k) => ({
        text,
        feature: unit(toNumbers(feats[start + k])),
        weight: 1 / count,
      }));
      return finishClass(cls.name, null, list, 'mean');
    });
    return { ...header, kind: 'zeroshot-symptoms', aggregate: 'mean', classes };
  }

  const prompt = options.prompt;
  if (!prompt) throw badInput('predicting with a trained ViP prompt needs the prompt (--prompt or --version)');
  checkPromptWeights(prompt);
  checkPromptMatches(prompt, { classes: names, embedDim, textWidth: options.textWidth });
  const { config } = prompt;

  if (config.method === 'coop') {
    const batch = coopPrompts(tokenizer, names, config.nCtx, contextLength);
    const feats = await encode(batch, prompt.ctx);
    return { ...header, kind: 'coop', aggregate: null, classes: names.map((n, c) => prototypeClass(n, feats[c])) };
  }

  const batch = symptomPrompts(tokenizer, symptoms, config.nCtx, contextLength);
  const feats = await encode(batch, prompt.ctx);
  const classes = symptoms.classes.map((cls, c) => {
    const { start } = batch.classRows[c] ?? { start: 0 };
    const t = cls.symptoms.map((_, k) => toNumbers(feats[start + k]));
    const { prototype, weights } = mergeWeights(prompt, config.aggregate, c, t);
    const list = cls.symptoms.map((text, k) => ({ text, feature: t[k] ?? [], weight: weights[k] ?? 0 }));
    return finishClass(cls.name, prototype, list, config.aggregate);
  });
  return { ...header, kind: 'vip', aggregate: config.aggregate, classes };
}

/** Validates cached JSON (from the store) before use. */
export function parseTextSide(value: unknown, label = 'cached text side'): TextSide {
  const parsed = textSideSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badInput(`${label} is damaged: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  const side = parsed.data;
  for (const cls of side.classes) {
    const sizes = [cls.s, cls.prototype ?? cls.s, ...cls.symptoms.map((s) => s.feature)].map((v) => v.length);
    if (sizes.some((n) => n !== side.embedDim))
      throw badInput(`${label} is damaged: class "${cls.name}" has vectors of the wrong size`);
  }
  return side;
}

/**
 * The part of `s_c` each symptom owns, so that `s_c = prototype + Σ_k share_k` exactly: `weight · feature` for MeP,
 * mean and zero-shot symptoms; for max each dimension belongs to the symptom holding the maximum there (first on ties).
 */
export function symptomShares(cls: Pick<TextSideClass, 'symptoms'>, aggregate: Aggregate | null): Float64Array[] {
  if (aggregate !== 'max') {
    return cls.symptoms.map(({ feature, weight }) => Float64Array.from(feature, (x) => x * weight));
  }
  const features = cls.symptoms.map((s) => s.feature);
  const owner = maxOwners(features);
  return features.map((f, k) => Float64Array.from(f, (x, j) => (owner[j] === k ? x : 0)));
}

/** For each dimension, the index of the feature holding the maximum there (the first on ties). */
function maxOwners(features: readonly (readonly number[])[]): Int32Array {
  const d = features[0]?.length ?? 0;
  const owner = new Int32Array(d);
  for (let j = 0; j < d; j++) {
    let best = 0;
    for (let k = 1; k < features.length; k++) {
      if ((features[k]?.[j] ?? -Infinity) > (features[best]?.[j] ?? -Infinity)) best = k;
    }
    owner[j] = best;
  }
  return owner;
}

/** MeP attention in float64 (torch layout: `q = Wq g`, `K_k = Wk T_k`), or the ablations' weights. */
function mergeWeights(
  prompt: PromptWeights,
  aggregate: Aggregate,
  c: number,
  t: number[][],
): { prototype: number[] | null; weights: number[] } {
  const k = t.length;
  if (aggregate === 'mean') return { prototype: null, weights: t.map(() => 1 / k) };
  if (aggregate === 'max') {
    const owner = maxOwners(t);
    const wins = t.map((_, i) => owner.filter((o) => o === i).length);
    return { prototype: null, weights: wins.map((w) => w / owner.length) };
  }
  const { classTokens, qProj, kProj, embedDim: d } = prompt;
  if (!classTokens || !qProj || !kProj) throw new VipError('internal', 'MeP weights missing');
  const g = Array.from(classTokens.data.subarray(c * d, (c + 1) * d));
  const q = linear(qProj.data, g, d);
  const scores = t.map((tk) => dot(q, linear(kProj.data, tk, d)) / Math.sqrt(d));
  return { prototype: g, weights: softmax(scores) };
}

function finishClass(
  name: string,
  prototype: number[] | null,
  symptoms: TextSideClass['symptoms'],
  aggregate: Aggregate,
): TextSideClass {
  const shares = symptomShares({ symptoms }, aggregate);
  const d = symptoms[0]?.feature.length ?? 0;
  const s = prototype ? [...prototype] : new Array<number>(d).fill(0);
  for (const share of shares) share.forEach((x, j) => (s[j] = (s[j] ?? 0) + x));
  return { name, prototype, symptoms, s, sNorm: norm(s) };
}

function prototypeClass(name: string, feature: Float32Array | undefined): TextSideClass {
  const p = toNumbers(feature);
  return { name, prototype: p, symptoms: [], s: [...p], sNorm: norm(p) };
}

function toNumbers(f: Float32Array | undefined): number[] {
  if (!f) throw new VipError('internal', 'missing prompt feature');
  return Array.from(f);
}

/** `W x` for a `[d, d]` row-major torch weight. */
function linear(w: Float32Array, x: readonly number[], d: number): number[] {
  const y = new Array<number>(d).fill(0);
  for (let i = 0; i < d; i++) {
    let acc = 0;
    for (let j = 0; j < d; j++) acc += (w[i * d + j] ?? 0) * (x[j] ?? 0);
    y[i] = acc;
  }
  return y;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += (a[i] ?? 0) * (b[i] ?? 0);
  return acc;
}

function norm(a: readonly number[]): number {
  return Math.sqrt(dot(a, a));
}

function unit(a: number[]): number[] {
  const n = norm(a);
  return a.map((x) => x / n);
}

function softmax(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}
