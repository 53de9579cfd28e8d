import { describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { Prng } from '../../src/main/engine/model/prng';
import type { HeadConfig } from '../../src/main/engine/vip/config';
import { predict, prepareTextSide, type Prediction } from '../../src/main/engine/vip/inference';
import type { PromptLayout } from '../../src/main/engine/vip/prompts';
import { parseSymptomSet } from '../../src/main/engine/vip/symptom-set';
import {
  computeTextSide,
  parseTextSide,
  type PromptFeatureFn,
  type TextSide,
} from '../../src/main/engine/vip/text-side';
import { initPromptWeights, type PromptWeights } from '../../src/main/engine/vip/weights';
import { randomArray, realTokenizer } from './helpers/tiny-tower';

const D = 24;
const W = 16;

/** A stand-in text tower: a seeded random feature per prompt text (and per context, so CoP matters). */
const fakeFeatures: PromptFeatureFn = (layouts: readonly PromptLayout[], ctx) => {
  const ctxSum = ctx ? ctx.data.reduce((a, b) => a + b, 0).toFixed(6) : 'none';
  return Promise.resolve(
    layouts.map((l) => new Prng(`${l.text}|${l.classIndex}|${ctxSum}`).fillNormal(new Float32Array(D))),
  );
};

const set = parseSymptomSet({
  'normal lung': ['dark clear fields', 'sharp outlines', 'thin lines'],
  pneumonia: ['white cloudy patches', 'hazy area'],
  covid: ['ground glass', 'both sides patchy', 'rounded spots', 'peripheral haze'],
});
const classes = set.classes.map((c) => c.name);

function weights(config: HeadConfig): PromptWeights {
  const w = initPromptWeights({ classes, config, textWidth: W, embedDim: D, seed: 11 });
  // Larger class tokens than the N(0, 0.02) start, so the prototype term is not negligible.
  if (w.classTokens) w.classTokens.data.forEach((_, i, a) => (a[i] = (a[i] ?? 0) * 50));
  return w;
}

async function side(
  mode: 'vip' | 'zeroshot-classname' | 'zeroshot-symptoms',
  prompt?: PromptWeights,
): Promise<TextSide> {
  return computeTextSide({
    features: fakeFeatures,
    tokenizer: realTokenizer(),
    symptoms: set,
    mode,
    embedDim: D,
    textWidth: W,
    ...(prompt ? { prompt } : {}),
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
};
const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));
const cos = (a: ArrayLike<number>, b: ArrayLike<number>): number => dot(a, b) / (norm(a) * norm(b));

const imagesFor = (n: number): Float32Array[] => Array.from({ length: n }, (_, i) => randomArray(D, `image-${i}`, 3));

function checkDecomposition(p: Prediction): void {
  classes.forEach((name, c) => {
    const sum =
      (p.prototype_contribution[name] ?? NaN) + (p.symptoms[name] ?? []).reduce((a, s) => a + s.contribution, 0);
    expect(Math.abs((p.logits[c] ?? NaN) - sum)).toBeLessThan(1e-4);
  });
  expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  const best = p.logits.indexOf(Math.max(...p.logits));
  expect(p.predicted).toBe(classes[best]);
  expect(p.predicted_index).toBe(best);
}

const vip = (over: Partial<HeadConfig> = {}): HeadConfig => ({
  method: 'vip',
  aggregate: 'mep',
  nCtx: 4,
  classSpecific: false,
  ...over,
});

describe('exact per-symptom decomposition', () => {
  const cases: [string, () => Promise<TextSide>][] = [
    ['vip (MeP)', () => side('vip', weights(vip()))],
    ['vip (MeP, no CoP)', () => side('vip', weights(vip({ nCtx: 0 })))],
    ['vip (mean)', () => side('vip', weights(vip({ aggregate: 'mean' })))],
    ['vip (max)', () => side('vip', weights(vip({ aggregate: 'max' })))],
    ['coop', () => side('vip', weights({ method: 'coop', aggregate: 'mep', nCtx: 4, classSpecific: true }))],
    ['zero-shot symptoms', () => side('zeroshot-symptoms')],
    ['zero-shot class names', () => side('zeroshot-classname')],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const textSide = await make();
      // Cached as JSON and read back, as the store does.
      const prepared = prepareTextSide(parseTextSide(JSON.parse(JSON.stringify(textSide))));
      for (const f of imagesFor(8)) {
        const p = predict(prepared, f);
        checkDecomposition(p);
        textSide.classes.forEach((cls, c) => {
          // logit = 100 · cos(f, s_c), computed here independently.
          expect(Math.abs((p.logits[c] ?? NaN) - 100 * cos(f, cls.s))).toBeLessThan(1e-9);
          const evidence = p.symptoms[cls.name] ?? [];
          expect(evidence.map((e) => e.text)).toEqual(cls.symptoms.map((s) => s.text));
          evidence.forEach((e, k) => expect(e.similarity).toBeCloseTo(cos(f, cls.symptoms[k]?.feature ?? []), 12));
          if (evidence.length > 0) expect(evidence.reduce((a, e) => a + e.weight, 0)).toBeCloseTo(1, 12);
        });
      }
    });
  }
});

describe('text side semantics', () => {
  it('MeP: s_c = g_c + Σ a_ck T_ck with a_c the softmax of the scaled query-key scores', async () => {
    const w = weights(vip());
    const textSide = await side('vip', w);
    textSide.classes.forEach((cls, c) => {
      const g = Array.from(w.classTokens?.data.subarray(c * D, (c + 1) * D) ?? []);
      const lin = (m: Float32Array | undefined, x: number[]) =>
        Array.from({ length: D }, (_, i) => dot(m?.subarray(i * D, (i + 1) * D) ?? [], x));
      const q = lin(w.qProj?.data, g);
      const scores = cls.symptoms.map((s) => dot(q, lin(w.kProj?.data, s.feature)) / Math.sqrt(D));
      const e = scores.map((x) => Math.exp(x));
      const a = e.map((x) => x / e.reduce((u, v) => u + v, 0));
      cls.symptoms.forEach((s, k) => expect(s.weight).toBeCloseTo(a[k] ?? NaN, 10));
      expect(cls.prototype).toEqual(g);
      const s = g.map((v, j) => v + cls.symptoms.reduce((acc, sym, k) => acc + (a[k] ?? 0) * (sym.feature[j] ?? 0), 0));
      s.forEach((v, j) => expect(cls.s[j]).toBeCloseTo(v, 10));
      expect(cls.sNorm).toBeCloseTo(norm(s), 10);
    });
    // The prototype term is 100/‖s_c‖ · f̂·g_c.
    const f = imagesFor(1)[0] ?? new Float32Array(D);
    const p = predict(prepareTextSide(textSide), f);
    textSide.classes.forEach((cls) => {
      expect(p.prototype_contribution[cls.name]).toBeCloseTo(
        (100 / cls.sNorm) * (dot(f, cls.prototype ?? []) / norm(f)),
        9,
      );
    });
  });

  it('zero-shot symptoms: class = normalised mean of unit symptom features, weight 1/k, prototype 0', async () => {
    const textSide = await side('zeroshot-symptoms');
    expect(textSide.kind).toBe('zeroshot-symptoms');
    const raw = await fakeFeatures(
      set.classes.flatMap((c, ci) =>
        c.symptoms.map((s) => ({ text: `${s}.`, classIndex: ci, ids: [], eotIndex: 0, nCtx: 0 })),
      ),
      null,
    );
    const f = imagesFor(1)[0] ?? new Float32Array(D);
    const p = predict(prepareTextSide(textSide), f);
    let row = 0;
    set.classes.forEach((cls, c) => {
      const unit = cls.symptoms.map(() => {
        const t = raw[row++] ?? new Float32Array(D);
        return Array.from(t, (x) => x / norm(t));
      });
      const mean = Array.from({ length: D }, (_, j) => unit.reduce((a, u) => a + (u[j] ?? 0), 0) / unit.length);
      expect(p.logits[c]).toBeCloseTo(100 * cos(f, mean), 9);
      expect(p.prototype_contribution[cls.name]).toBe(0);
      for (const e of p.symptoms[cls.name] ?? []) expect(e.weight).toBeCloseTo(1 / cls.symptoms.length, 12);
    });
  });

  it('zero-shot class names: one "a photo of a {}." text per class, the whole logit is the prototype', async () => {
    const textSide = await side('zeroshot-classname');
    const [t0] = await fakeFeatures(
      [{ text: 'a photo of a normal lung.', classIndex: 0, ids: [], eotIndex: 0, nCtx: 0 }],
      null,
    );
    const f = imagesFor(1)[0] ?? new Float32Array(D);
    const p = predict(prepareTextSide(textSide), f);
    expect(p.logits[0]).toBeCloseTo(100 * cos(f, t0 ?? []), 9);
    for (const name of classes) {
      expect(p.symptoms[name]).toEqual([]);
      expect(p.prototype_contribution[name]).toBe(p.logits[classes.indexOf(name)]);
    }
  });

  it('max: every dimension is owned by the symptom holding the maximum; weights are the owned fractions', async () => {
    const textSide = await side('vip', weights(vip({ aggregate: 'max' })));
    for (const cls of textSide.classes) {
      const max = cls.s.map((_, j) => Math.max(...cls.symptoms.map((s) => s.feature[j] ?? -Infinity)));
      max.forEach((v, j) => expect(cls.s[j]).toBe(v));
      const owned = cls.symptoms.map((s) => s.feature.filter((x, j) => x === max[j]).length / D);
      cls.symptoms.forEach((s, k) => expect(s.weight).toBeCloseTo(owned[k] ?? NaN, 12));
      expect(cls.prototype).toBeNull();
    }
  });

  it('refuses mismatches and damage with clear errors', async () => {
    await expect(side('vip')).rejects.toThrow(/needs the prompt/);
    const other = initPromptWeights({ classes: ['a', 'b'], config: vip(), textWidth: W, embedDim: D, seed: 1 });
    await expect(side('vip', other)).rejects.toThrow(/trained for classes \["a","b"\]; the symptom set has/);
    const wide = initPromptWeights({ classes, config: vip(), textWidth: 512, embedDim: D, seed: 1 });
    await expect(side('vip', wide)).rejects.toThrow(/is for text width 512, this model has 16/);

    const prepared = prepareTextSide(await side('zeroshot-symptoms'));
    expect(() => predict(prepared, new Float32Array(D + 1))).toThrow(/has 25 values; this model version expects 24/);
    expect(() => predict(prepared, new Float32Array(D))).toThrow(VipError);

    const good = JSON.parse(JSON.stringify(await side('zeroshot-symptoms'))) as { classes: { s: number[] }[] };
    good.classes[0]?.s.pop();
    expect(() => parseTextSide(good)).toThrow(/damaged: class "normal lung" has vectors of the wrong size/);
    expect(() => parseTextSide({ format: 2 })).toThrow(/damaged/);
  });
});
