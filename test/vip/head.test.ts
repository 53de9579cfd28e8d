import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TfjsTextTower } from '../../src/main/engine/model/text-tower-tfjs';
import type { HeadConfig } from '../../src/main/engine/vip/config';
import { ViPHead } from '../../src/main/engine/vip/head';
import { predict, prepareTextSide } from '../../src/main/engine/vip/inference';
import { coopPrompts, symptomPrompts, type PromptBatch } from '../../src/main/engine/vip/prompts';
import { classNames, parseSymptomSet, type SymptomSet } from '../../src/main/engine/vip/symptom-set';
import { computeTextSide } from '../../src/main/engine/vip/text-side';
import { tfjsPromptFeatures } from '../../src/main/engine/vip/tf-prompts';
import type { PromptWeights } from '../../src/main/engine/vip/weights';
import { randomArray, realTokenizer, tinyConfig, tinyTower, useCpuBackend } from './helpers/tiny-tower';

const D = tinyConfig.projectionDim;
const B = 6;

let tower: TfjsTextTower;
let set: SymptomSet;
let classes: string[];
const labels = [0, 1, 2, 0, 1, 2];
let imageData: Float32Array;

beforeAll(async () => {
  await useCpuBackend();
  tower = tinyTower(7);
  // Unequal symptom counts per class exercise the general merge.
  set = parseSymptomSet({
    melanoma: ['several colors mixed together', 'a lopsided shape', 'a blurry notched border'],
    nevus: ['one even shade of brown', 'a round symmetric shape'],
    keratosis: ['a waxy stuck-on surface', 'small white cysts'],
  });
  classes = classNames(set);
  imageData = randomArray(B * D, 'images');
});

afterAll(() => tower.dispose());

const vipConfig = (over: Partial<HeadConfig> = {}): HeadConfig => ({
  method: 'vip',
  aggregate: 'mep',
  nCtx: 4,
  classSpecific: false,
  ...over,
});

function promptsFor(config: HeadConfig): PromptBatch {
  return config.method === 'coop'
    ? coopPrompts(realTokenizer(), classes, config.nCtx)
    : symptomPrompts(realTokenizer(), set, config.nCtx);
}

function makeHead(config: HeadConfig, init?: PromptWeights, seed = 3): ViPHead {
  return new ViPHead({ tower, prompts: promptsFor(config), classes, config, seed, ...(init ? { init } : {}) });
}

function images(): tf.Tensor2D {
  return tf.tensor2d(imageData, [B, D]);
}

function lossValue(head: ViPHead): number {
  return tf.tidy(() => head.loss(images(), labels).dataSync()[0] ?? NaN);
}

/** Central differences on the coordinates with the largest analytic gradients. */
function gradientCheck(head: ViPHead, variable: tf.Variable, eps: number, coords = 3): number[] {
  const grad = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => head.loss(images(), labels), [variable]);
    const g = grads[variable.name];
    if (!g) throw new Error('no gradient');
    return g.dataSync() as Float32Array;
  });
  const order = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b] ?? 0) - Math.abs(grad[a] ?? 0));
  const original = Float32Array.from(variable.dataSync() as Float32Array);
  const errors: number[] = [];
  for (const i of order.slice(0, coords)) {
    const at = (delta: number): number => {
      const values = Float32Array.from(original);
      values[i] = (values[i] ?? 0) + delta;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      return lossValue(head);
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    const analytic = grad[i] ?? 0;
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    errors.push(Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic)));
  }
  tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
  return errors;
}

describe('ViPHead gradients (finite differences, float32 cpu)', () => {
  it('context, class tokens, Wq and Wk', () => {
    const head = makeHead(vipConfig());
    try {
      expect(head.variables).toHaveLength(4);
      const { ctx, classTokens, wq, wk } = head;
      if (!ctx || !classTokens || !wq || !wk) throw new Error('missing variables');
      for (const [v, eps] of [
        [ctx, 1e-2],
        [classTokens, 1e-3],
        [wq, 1e-2],
        [wk, 1e-2],
      ] as const) {
        for (const err of gradientCheck(head, v, eps)) expect(err).toBeLessThan(1e-2);
      }
    } finally {
      head.dispose();
    }
  });

  it('class-specific context', () => {
    const head = makeHead(vipConfig({ classSpecific: true }));
    try {
      expect(head.ctx?.shape).toEqual([3, 4, tinyConfig.hiddenSize]);
      if (!head.ctx) throw new Error('no ctx');
      for (const err of gradientCheck(head, head.ctx, 1e-2)) expect(err).toBeLessThan(1e-2);
    } finally {
      head.dispose();
    }
  });
});

/** logits of the fast inference path (text side computed once, plain float64) for the head's current weights. */
async function inferenceLogits(head: ViPHead): Promise<number[][]> {
  const side = await computeTextSide({
    features: tfjsPromptFeatures(tower),
    tokenizer: realTokenizer(),
    symptoms: set,
    mode: 'vip',
    prompt: head.exportWeights(),
    embedDim: D,
    textWidth: tinyConfig.hiddenSize,
  });
  const prepared = prepareTextSide(side);
  return Array.from({ length: B }, (_, b) => predict(prepared, imageData.subarray(b * D, (b + 1) * D)).logits);
}

function trainingLogits(head: ViPHead): number[][] {
  return tf.tidy(() => head.forward(images()).arraySync());
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - (b[i]?.[j] ?? NaN))))));
  return Number.isNaN(m) ? Infinity : m;
}

describe('training path and inference path agree', () => {
  const configs: [string, HeadConfig][] = [
    ['mep', vipConfig()],
    ['mean', vipConfig({ aggregate: 'mean' })],
    ['max', vipConfig({ aggregate: 'max' })],
    ['no CoP', vipConfig({ nCtx: 0 })],
    ['class-specific', vipConfig({ classSpecific: true, nCtx: 2 })],
    ['coop', { method: 'coop', aggregate: 'mep', nCtx: 4, classSpecific: false }],
  ];
  for (const [name, config] of configs) {
    it(name, async () => {
      const head = makeHead(config);
      try {
        // A few SGD steps first, so the weights are not just the initialisation.
        const opt = tf.train.sgd(0.05);
        for (let i = 0; i < 3; i++)
          tf.tidy(() => {
            opt.minimize(() => head.loss(images(), labels), false, head.variables);
          });
        opt.dispose();
        const a = trainingLogits(head);
        const b = await inferenceLogits(head);
        expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
        expect(Math.max(...a.flat().map(Math.abs))).toBeGreaterThan(1);
      } finally {
        head.dispose();
      }
    });
  }
});

describe('ablation switches change the computation', () => {
  it('mean / max / no CoP / CoOp each compute what they claim and differ from MeP on the same weights', () => {
    const mep = makeHead(vipConfig());
    const w = mep.exportWeights();
    const noMep = { ...w, classTokens: null, qProj: null, kProj: null };
    const mean = makeHead(vipConfig({ aggregate: 'mean' }), { ...noMep, config: vipConfig({ aggregate: 'mean' }) });
    const max = makeHead(vipConfig({ aggregate: 'max' }), { ...noMep, config: vipConfig({ aggregate: 'max' }) });
    const noCop = makeHead(vipConfig({ nCtx: 0 }), { ...w, ctx: null, config: vipConfig({ nCtx: 0 }) });
    const coopConfig: HeadConfig = { method: 'coop', aggregate: 'mep', nCtx: 4, classSpecific: false };
    const coop = makeHead(coopConfig, { ...noMep, config: coopConfig });
    try {
      expect(mean.variables).toHaveLength(1);
      expect(noCop.variables).toHaveLength(3);
      expect(coop.variables).toHaveLength(1);
      const t = tf.tidy(() => mep.promptFeatures().arraySync());
      const rows = [
        [0, 3],
        [3, 5],
        [5, 7],
      ] as const;
      const classT = rows.map(([s, e]) => t.slice(s, e));

      // MeP, written out independently: a = softmax((Wq g)·(Wk T_k) / √d), s = g + Σ a_k T_k.
      const g = tf.tidy(() => mep.classTokens?.arraySync() as number[][]);
      const wq = tf.tidy(() => mep.wq?.arraySync() as number[][]);
      const wk = tf.tidy(() => mep.wk?.arraySync() as number[][]);
      const lin = (m: number[][], x: number[]) => m.map((r) => r.reduce((acc, v, j) => acc + v * (x[j] ?? 0), 0));
      const dotp = (a: number[], b: number[]) => a.reduce((acc, v, j) => acc + v * (b[j] ?? 0), 0);
      const expectedMep = classT.map((tc, c) => {
        const gc = g[c] ?? [];
        const q = lin(wq, gc);
        const scores = tc.map((tk) => dotp(q, lin(wk, tk)) / Math.sqrt(D));
        const e = scores.map((s) => Math.exp(s - Math.max(...scores)));
        const a = e.map((v) => v / e.reduce((x, y) => x + y, 0));
        return gc.map((v, j) => v + tc.reduce((acc, tk, k) => acc + (a[k] ?? 0) * (tk[j] ?? 0), 0));
      });
      const expectedMean = classT.map(
        (tc) => tc[0]?.map((_, j) => tc.reduce((acc, tk) => acc + (tk[j] ?? 0), 0) / tc.length) ?? [],
      );
      const expectedMax = classT.map(
        (tc) => tc[0]?.map((_, j) => Math.max(...tc.map((tk) => tk[j] ?? -Infinity))) ?? [],
      );

      const sOf = (h: ViPHead) => tf.tidy(() => h.classFeatures().arraySync());
      expect(maxAbsDiff(sOf(mep), expectedMep)).toBeLessThan(1e-5);
      expect(maxAbsDiff(sOf(mean), expectedMean)).toBeLessThan(1e-6);
      expect(maxAbsDiff(sOf(max), expectedMax)).toBeLessThan(1e-6);

      // No CoP: the prompts are the plain "symptom." texts through the tower.
      const plain = tf.tidy(() =>
        tower
          .encodeIds(set.classes.flatMap((c) => c.symptoms.map((s) => realTokenizer().encodeWithSpecial(s + '.'))))
          .arraySync(),
      );
      expect(
        maxAbsDiff(
          tf.tidy(() => noCop.promptFeatures().arraySync()),
          plain,
        ),
      ).toBeLessThan(1e-6);
      // CoOp: one prompt per class, the class name after the context.
      expect(tf.tidy(() => coop.classFeatures().shape)).toEqual([3, D]);

      const base = trainingLogits(mep);
      for (const other of [mean, max, noCop, coop])
        expect(maxAbsDiff(trainingLogits(other), base)).toBeGreaterThan(1e-2);
      expect(maxAbsDiff(trainingLogits(mean), trainingLogits(max))).toBeGreaterThan(1e-2);
    } finally {
      for (const h of [mep, mean, max, noCop, coop]) h.dispose();
    }
  });
});

describe('training steps', () => {
  it('leak no tensors, train only the head and lower the loss', () => {
    const head = makeHead(vipConfig());
    const opt = tf.train.momentum(0.01, 0.9);
    const f = images();
    try {
      const step = (): number =>
        tf.tidy(() => {
          const loss = opt.minimize(
            () => tf.add(head.loss(f, labels), head.weightDecayPenalty(5e-4)) as tf.Scalar,
            true,
            head.variables,
          );
          return loss?.dataSync()[0] ?? NaN;
        });
      const first = step();
      const after1 = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 25; i++) last = step();
      expect(tf.memory().numTensors).toBe(after1);
      expect(last).toBeLessThan(first * 0.8);
    } finally {
      f.dispose();
      opt.dispose();
      head.dispose();
    }
  });

  it('weight decay penalty is ½·wd·Σθ² and dispose frees everything', () => {
    const before = tf.memory().numTensors;
    const head = makeHead(vipConfig());
    const sq = head.variables.reduce(
      (acc, v) => acc + (v.dataSync() as Float32Array).reduce((a, x) => a + x * x, 0),
      0,
    );
    const p = tf.tidy(() => head.weightDecayPenalty(0.1).dataSync()[0] ?? NaN);
    expect(p).toBeCloseTo(0.05 * sq, 4);
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('loss input checks', () => {
  it('refuses labels outside the class range and mismatched feature sizes', () => {
    const head = makeHead(vipConfig());
    try {
      expect(() => tf.tidy(() => head.loss(images(), [0, 1, 2, 0, 1, 3]))).toThrow(/label 3 outside 0\.\.2/);
      expect(() => tf.tidy(() => head.loss(images(), [0, 1]))).toThrow(/2 labels for 6 logit rows/);
      expect(() => tf.tidy(() => head.forward(tf.zeros([2, D + 1])))).toThrow(/13 values/);
    } finally {
      head.dispose();
    }
  });
});
