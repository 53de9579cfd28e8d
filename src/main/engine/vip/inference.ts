/**
 * Prediction from a cached text side: plain float64 arithmetic, no tfjs. Per class,
 * `logit_c = 100/‖s_c‖ · f̂·s_c = 100/‖s_c‖ · (f̂·p_c + Σ_k f̂·share_ck)`, and that split is the explanation: the
 * prototype term plus one exact additive contribution per symptom (VIP_METHOD.md section 2).
 */
import { badInput } from '@shared/errors';
import { symptomShares, type TextSide, type TextSideKind } from './text-side';

export interface SymptomEvidence {
  text: string;
  /** MeP attention a_ck (1/k for mean and zero-shot symptoms; for max the share of dimensions the symptom wins). */
  weight: number;
  /** cos(f, T_ck). */
  similarity: number;
  /** The symptom's exact additive share of the class logit. */
  contribution: number;
}

/** One image's prediction, in the JSON shape `vip predict --json` prints (less the image path). */
export interface Prediction {
  logits: number[];
  probabilities: number[];
  predicted: string;
  predicted_index: number;
  /** Per class, the logit's part that is no symptom's (MeP class token; the whole logit for class-name prompts). */
  prototype_contribution: Record<string, number>;
  /** Per class, its symptoms in the set's order (empty for class-name prompts). */
  symptoms: Record<string, SymptomEvidence[]>;
}

interface PreparedClass {
  name: string;
  /** 100/‖s_c‖. */
  scale: number;
  s: Float64Array;
  prototype: Float64Array | null;
  symptoms: { text: string; weight: number; unitFeature: Float64Array; share: Float64Array }[];
}

/** A text side turned into typed arrays once; `predict` then costs O((C + S)·d) per image. */
export interface PreparedTextSide {
  kind: TextSideKind;
  classes: string[];
  embedDim: number;
  prepared: PreparedClass[];
}

export function prepareTextSide(side: TextSide): PreparedTextSide {
  const prepared = side.classes.map((cls): PreparedClass => {
    const shares = symptomShares(cls, side.aggregate);
    return {
      name: cls.name,
      scale: side.logitScale / cls.sNorm,
      s: Float64Array.from(cls.s),
      prototype: cls.prototype ? Float64Array.from(cls.prototype) : null,
      symptoms: cls.symptoms.map((sym, k) => ({
        text: sym.text,
        weight: sym.weight,
        unitFeature: unitVector(Float64Array.from(sym.feature)),
        share: shares[k] ?? new Float64Array(side.embedDim),
      })),
    };
  });
  return { kind: side.kind, classes: side.classes.map((c) => c.name), embedDim: side.embedDim, prepared };
}

/** Logits, probabilities and the per-symptom explanation for one image feature (unnormalised CLIP image feature). */
export function predict(side: PreparedTextSide, imageFeature: ArrayLike<number>): Prediction {
  if (imageFeature.length !== side.embedDim) {
    throw badInput(`the image feature has ${imageFeature.length} values; this model version expects ${side.embedDim}`);
  }
  const f = unitVector(Float64Array.from(imageFeature));
  const logits: number[] = [];
  const prototypeContribution: Record<string, number> = {};
  const symptoms: Record<string, SymptomEvidence[]> = {};
  for (const cls of side.prepared) {
    logits.push(cls.scale * dot(f, cls.s));
    prototypeContribution[cls.name] = cls.prototype ? cls.scale * dot(f, cls.prototype) : 0;
    symptoms[cls.name] = cls.symptoms.map((sym) => ({
      text: sym.text,
      weight: sym.weight,
      similarity: dot(f, sym.unitFeature),
      contribution: cls.scale * dot(f, sym.share),
    }));
  }
  const probabilities = softmax(logits);
  let best = 0;
  probabilities.forEach((p, i) => {
    if (p > (probabilities[best] ?? -Infinity)) best = i;
  });
  return {
    logits,
    probabilities,
    predicted: side.classes[best] ?? '',
    predicted_index: best,
    prototype_contribution: prototypeContribution,
    symptoms,
  };
}

function dot(a: Float64Array, b: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += (a[i] ?? 0) * (b[i] ?? 0);
  return acc;
}

function unitVector(v: Float64Array): Float64Array {
  const n = Math.sqrt(dot(v, v));
  if (!(n > 0) || !Number.isFinite(n)) throw badInput('a feature vector is zero or not finite; cannot take its cosine');
  return v.map((x) => x / n);
}

function softmax(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}
