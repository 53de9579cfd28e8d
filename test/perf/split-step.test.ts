/**
 * The split training step (frozen text tower in onnxruntime: forward + VJP; MeP, loss and optimizer in tfjs) against
 * the fused tfjs step, on a tiny text tower with trained-scale random weights: the same loss, logits and updated
 * weights after one step and after whole training runs (shared and class-specific contexts, CoOp, SGD and Adam); the
 * `contextEvery` schedule moves the context only every k steps, by the sum of its gradients at the unchanged point.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClipConfig } from '../../src/main/engine/model/clip-config';
import { generateDemoCheckpoint } from '../../src/main/engine/model/demo-checkpoint';
import { Prng } from '../../src/main/engine/model/prng';
import { TfjsTextTower } from '../../src/main/engine/model/text-tower-tfjs';
import { createOptimizer } from '../../src/main/engine/training/optimizer';
import type { TextBackprop } from '../../src/main/engine/training/text-backprop';
import { chooseTextEngine } from '../../src/main/engine/training/text-backprop-choice';
import { createOnnxTextBackprop } from '../../src/main/engine/training/text-backprop-onnx';
import { TextBackpropStep } from '../../src/main/engine/training/text-backprop-step';
import { createTfjsTextBackprop } from '../../src/main/engine/training/text-backprop-tfjs';
import { trainHead, type TrainFeatures } from '../../src/main/engine/training/trainer';
import { crossEntropy, ViPHead } from '../../src/main/engine/vip/head';
import { defaultHeadConfig, type HeadConfig } from '../../src/main/engine/vip/config';
import { coopPrompts, symptomPrompts } from '../../src/main/engine/vip/prompts';
import { parseSymptomSet } from '../../src/main/engine/vip/symptom-set';
import type { PromptWeights } from '../../src/main/engine/vip/weights';
import { randomTextWeights, tinyTextConfig } from '../model/helpers/random-weights';
import { realTokenizer, useCpuBackend } from '../vip/helpers/tiny-tower';

const { projectionDim, ...textConfig } = tinyTextConfig;
const config: ClipConfig = {
  ...generateDemoCheckpoint({ preset: 'tiny', seed: 1 }).clip,
  text: textConfig,
  projectionDim,
};
const weights = randomTextWeights(tinyTextConfig, 5);
const d = projectionDim;
const set = parseSymptomSet({
  'round spot': ['a bright round disc on a dark background', 'a sharp circular edge', 'one small white circle'],
  striped: ['parallel stripes', 'a repeating line pattern across the whole image'],
  speckled: ['many tiny dots', 'grainy noisy texture', 'scattered bright specks'],
});
const classes = set.classes.map((c) => c.name);

let tower: TfjsTextTower;
let onnx: TextBackprop;

beforeAll(async () => {
  await useCpuBackend();
  tower = TfjsTextTower.fromClipConfig(config, weights);
  onnx = await createOnnxTextBackprop(config, weights, { threads: 1 });
});
afterAll(async () => {
  await onnx.dispose();
  tower.dispose();
});

function makeHead(head: Partial<HeadConfig> = {}, seed = 2): ViPHead {
  const cfg = { ...defaultHeadConfig, ...head };
  const prompts =
    cfg.method === 'coop'
      ? coopPrompts(realTokenizer(), classes, cfg.nCtx)
      : symptomPrompts(realTokenizer(), set, cfg.nCtx);
  return new ViPHead({ tower, prompts, classes, config: cfg, seed });
}

/** Three classes around a common part, as CLIP features are; K views each. */
function features(nPerClass: number, views: number, seed: string): TrainFeatures {
  const rng = new Prng(seed);
  const base = new Prng('centres');
  const common = Float32Array.from({ length: d }, () => 3 * base.nextNormal());
  const centres = classes.map(() => common.map((v) => v + 0.8 * base.nextNormal()));
  const n = classes.length * nPerClass;
  const out = new Float32Array(n * views * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % classes.length;
    labels[i] = label;
    for (let v = 0; v < views; v++) {
      for (let j = 0; j < d; j++) out[(i * views + v) * d + j] = (centres[label]?.[j] ?? 0) + 0.4 * rng.nextNormal();
    }
  }
  return { features: out, views, labels };
}

function maxRelDiff(a: PromptWeights, b: PromptWeights): number {
  let worst = 0;
  for (const key of ['ctx', 'classTokens', 'qProj', 'kProj'] as const) {
    const x = a[key];
    const y = b[key];
    expect(x === null).toBe(y === null);
    if (!x || !y) continue;
    const scale = Math.max(...Array.from(x.data, Math.abs));
    x.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (y.data[i] ?? 0)) / scale)));
  }
  return worst;
}

/** One fused tfjs step (the trainer's own arithmetic) on a batch; returns the loss. */
function fusedStep(head: ViPHead, x: Float32Array, y: Int32Array, lr: number, name: 'sgd' | 'adam'): number {
  const optimizer = createOptimizer({ name, weightDecay: 5e-4, momentum: 0.9 });
  const xs = tf.tensor2d(x, [y.length, d]);
  const { value, grads } = tf.variableGrads(() => crossEntropy(head.forward(xs), y, classes.length), head.variables);
  optimizer.step(
    head.variables,
    head.variables.map((v) => grads[v.name]),
    lr,
  );
  const loss = value.dataSync()[0] ?? NaN;
  value.dispose();
  xs.dispose();
  for (const g of Object.values(grads)) g.dispose();
  optimizer.dispose();
  return loss;
}

describe('split text step (onnxruntime forward + VJP) vs the fused tfjs step', () => {
  const batch = features(4, 1, 'batch');

  it.each([
    ['shared context, MeP, SGD', {}, 'sgd'],
    ['class-specific context, MeP, Adam', { classSpecific: true }, 'adam'],
    ['CoOp', { method: 'coop' as const }, 'sgd'],
    ['shared context, mean ablation', { aggregate: 'mean' as const }, 'sgd'],
  ] as const)('one step, %s: same loss and same updated weights', async (_label, cfg, opt) => {
    const fused = makeHead(cfg);
    const split = makeHead(cfg);
    const optimizer = createOptimizer({ name: opt, weightDecay: 5e-4, momentum: 0.9 });
    const step = new TextBackpropStep({ head: split, text: onnx, optimizer });
    try {
      // Same initial weights, same logits before the step.
      expect(maxRelDiff(fused.exportWeights(), split.exportWeights())).toBe(0);
      const xs = tf.tensor2d(batch.features, [batch.labels.length, d]);
      const before = fused.forward(xs);
      const probs = await step.probabilities(xs);
      const want = tf.softmax(before).arraySync();
      probs.forEach((row, i) => row.forEach((p, c) => expect(p).toBeCloseTo(want[i]?.[c] ?? NaN, 5)));
      before.dispose();
      xs.dispose();

      const lossFused = fusedStep(fused, batch.features, batch.labels, 0.5, opt);
      const { loss } = await step.step(batch.features, batch.labels, batch.labels.length, 0.5, false);
      expect(Math.abs(loss - lossFused)).toBeLessThan(1e-5 * Math.max(1, lossFused));
      const a = fused.exportWeights();
      const b = split.exportWeights();
      // The step really moved the context (else equality would say nothing).
      const moved = maxRelDiff(a, makeHeadWeights(cfg));
      expect(moved).toBeGreaterThan(1e-3);
      expect(maxRelDiff(a, b)).toBeLessThan(1e-5);
    } finally {
      step.dispose();
      optimizer.dispose();
      fused.dispose();
      split.dispose();
    }
  });

  it('whole runs (3 epochs, authors settings, validation every epoch) end with the same weights and losses', async () => {
    const train = features(12, 2, 'train');
    const val = (() => {
      const f = features(6, 1, 'val');
      return { features: f.features, labels: f.labels };
    })();
    const options = { epochs: 3, batchSize: 8, lr: 0.05, seed: 4 };
    const fused = makeHead();
    const split = makeHead();
    try {
      const a = await trainHead({ head: fused, train, val, options });
      const b = await trainHead({ head: split, train, val, options, text: onnx });
      expect(b.epochs.length).toBe(3);
      b.epochs.forEach((e, i) => {
        const f = a.epochs[i];
        expect(Math.abs(e.trainLoss - (f?.trainLoss ?? NaN))).toBeLessThan(1e-4);
        expect(e.valAccuracy).toBe(f?.valAccuracy);
      });
      expect(b.bestEpoch).toBe(a.bestEpoch);
      expect(maxRelDiff(a.best, b.best)).toBeLessThan(1e-4);
      expect(maxRelDiff(a.best, makeHeadWeights({}))).toBeGreaterThan(1e-3);
    } finally {
      fused.dispose();
      split.dispose();
    }
  });

  it('the tfjs split engine gives the fused step too (the split itself changes nothing)', async () => {
    const fused = makeHead();
    const split = makeHead();
    const text = createTfjsTextBackprop(tower);
    const optimizer = createOptimizer({ name: 'sgd', weightDecay: 5e-4, momentum: 0.9 });
    const step = new TextBackpropStep({ head: split, text, optimizer });
    try {
      fusedStep(fused, batch.features, batch.labels, 0.5, 'sgd');
      await step.step(batch.features, batch.labels, batch.labels.length, 0.5, false);
      expect(maxRelDiff(fused.exportWeights(), split.exportWeights())).toBeLessThan(1e-5);
    } finally {
      step.dispose();
      optimizer.dispose();
      fused.dispose();
      split.dispose();
    }
  });
});

function makeHeadWeights(cfg: Partial<HeadConfig>): PromptWeights {
  const h = makeHead(cfg);
  const w = h.exportWeights();
  h.dispose();
  return w;
}

describe('context every k steps', () => {
  it('moves the context once per k steps by the sum of the k gradients taken at the unchanged context', async () => {
    const k = 3;
    const head = makeHead();
    const reference = makeHead();
    // Plain SGD without momentum or decay, so "one move by the sum" is checkable exactly.
    const optimizer = createOptimizer({ name: 'sgd', weightDecay: 0, momentum: 0 });
    const step = new TextBackpropStep({ head, text: onnx, optimizer, contextEvery: k });
    const batches = [0, 1, 2, 3].map((i) => features(2, 1, `b${i}`));
    try {
      const ctx0 = Float32Array.from(head.ctx?.dataSync() ?? []);
      // The context's gradient at ctx0 for each of the first k batches, with MeP moving in between as it does.
      const expected = new Float32Array(ctx0.length);
      const refOptimizer = createOptimizer({ name: 'sgd', weightDecay: 0, momentum: 0 });
      for (let s = 0; s < k; s++) {
        const b = batches[s] as TrainFeatures;
        const xs = tf.tensor2d(b.features, [b.labels.length, d]);
        const { value, grads } = tf.variableGrads(
          () => crossEntropy(reference.forward(xs), b.labels, classes.length),
          reference.variables,
        );
        const g = grads[reference.ctx?.name ?? '']?.dataSync() ?? new Float32Array(0);
        g.forEach((v, i) => (expected[i] = (expected[i] ?? 0) + v));
        // MeP steps every time; the context does not.
        refOptimizer.step(
          reference.variables,
          reference.variables.map((v) => (v === reference.ctx ? undefined : grads[v.name])),
          0.5,
        );
        value.dispose();
        xs.dispose();
        for (const t of Object.values(grads)) t.dispose();
      }
      refOptimizer.dispose();

      for (let s = 0; s < k; s++) {
        const b = batches[s] as TrainFeatures;
        await step.step(b.features, b.labels, b.labels.length, 0.5, false);
        const now = head.ctx?.dataSync() ?? new Float32Array(0);
        if (s < k - 1) expect(Array.from(now)).toEqual(Array.from(ctx0));
      }
      const after = head.ctx?.dataSync() ?? new Float32Array(0);
      const scale = Math.max(...Array.from(expected, Math.abs));
      expect(scale).toBeGreaterThan(1e-4);
      after.forEach((v, i) => {
        const want = (ctx0[i] ?? 0) - 0.5 * (expected[i] ?? 0);
        expect(Math.abs(v - want)).toBeLessThan(1e-4 * scale + 1e-6);
      });
      // MeP moved every step, exactly as in the reference.
      const mepOnly = (w: PromptWeights): PromptWeights => ({ ...w, ctx: null });
      expect(maxRelDiff(mepOnly(head.exportWeights()), mepOnly(reference.exportWeights()))).toBeLessThan(1e-4);
      // A flush (end of an epoch) moves the context after fewer than k steps.
      const before = Float32Array.from(after);
      const b = batches[3] as TrainFeatures;
      await step.step(b.features, b.labels, b.labels.length, 0.5, true);
      expect(Array.from(head.ctx?.dataSync() ?? [])).not.toEqual(Array.from(before));
    } finally {
      step.dispose();
      optimizer.dispose();
      head.dispose();
      reference.dispose();
    }
  });
});

describe('context every k steps, with the context optimizer replaying the skipped steps', () => {
  it('takes k momentum SGD steps with the mean of the k gradients at the unchanged context', async () => {
    const k = 4;
    const [lr, mu, wd] = [0.3, 0.9, 5e-4];
    const head = makeHead();
    const reference = makeHead();
    const optimizer = createOptimizer({ name: 'sgd', weightDecay: wd, momentum: mu });
    const contextOptimizer = createOptimizer({ name: 'sgd', weightDecay: wd, momentum: mu });
    const step = new TextBackpropStep({ head, text: onnx, optimizer, contextEvery: k, contextOptimizer });
    const batches = [0, 1, 2, 3].map((i) => features(2, 1, `m${i}`));
    try {
      const ctx0 = Float32Array.from(head.ctx?.dataSync() ?? []);
      const mean = new Float32Array(ctx0.length);
      const refOptimizer = createOptimizer({ name: 'sgd', weightDecay: wd, momentum: mu });
      for (const b of batches) {
        const xs = tf.tensor2d(b.features, [b.labels.length, d]);
        const { value, grads } = tf.variableGrads(
          () => crossEntropy(reference.forward(xs), b.labels, classes.length),
          reference.variables,
        );
        (grads[reference.ctx?.name ?? '']?.dataSync() ?? []).forEach((v, i) => (mean[i] = (mean[i] ?? 0) + v / k));
        refOptimizer.step(
          reference.variables,
          reference.variables.map((v) => (v === reference.ctx ? undefined : grads[v.name])),
          lr,
        );
        value.dispose();
        xs.dispose();
        for (const t of Object.values(grads)) t.dispose();
      }
      refOptimizer.dispose();
      for (const b of batches) await step.step(b.features, b.labels, b.labels.length, lr, false);
      // torch SGD by hand: buffer = mu * buffer + (g + wd * ctx), ctx -= lr * buffer, k times with g the mean.
      const want = Float64Array.from(ctx0);
      const buffer = new Float64Array(ctx0.length);
      for (let s = 0; s < k; s++) {
        for (let i = 0; i < want.length; i++) {
          buffer[i] = (s === 0 ? 0 : mu * (buffer[i] ?? 0)) + (mean[i] ?? 0) + wd * (want[i] ?? 0);
          want[i] = (want[i] ?? 0) - lr * (buffer[i] ?? 0);
        }
      }
      const got = head.ctx?.dataSync() ?? new Float32Array(0);
      const moved = Math.max(...Array.from(want, (v, i) => Math.abs(v - (ctx0[i] ?? 0))));
      expect(moved).toBeGreaterThan(1e-4);
      got.forEach((v, i) => expect(Math.abs(v - (want[i] ?? 0))).toBeLessThan(1e-3 * moved + 1e-6));
    } finally {
      step.dispose();
      optimizer.dispose();
      contextOptimizer.dispose();
      head.dispose();
      reference.dispose();
    }
  });
});

describe('chooseTextEngine', () => {
  it('auto times both engines on the real prompts and keeps one; fixed choices are honoured', async () => {
    const head = makeHead();
    try {
      const base = { head, tower, config, weights, contextEvery: 1 };
      const auto = await chooseTextEngine({ ...base, choice: 'auto' });
      expect(auto.probe?.['onnx-vjp']).toBeGreaterThan(0);
      expect(auto.probe?.tfjs).toBeGreaterThan(0);
      const faster = (auto.probe?.['onnx-vjp'] ?? 0) <= (auto.probe?.tfjs ?? 0) ? 'onnx-vjp' : 'tfjs';
      expect(auto.name).toBe(faster);
      expect(auto.reason).toMatch(/^auto: onnx-vjp .* s, tfjs .* s per step$/);
      await auto.text?.dispose();
      const fixed = await chooseTextEngine({ ...base, choice: 'tfjs' });
      expect(fixed).toMatchObject({ name: 'tfjs', text: null });
      const every = await chooseTextEngine({ ...base, choice: 'tfjs', contextEvery: 4 });
      expect(every.text?.name).toBe('tfjs');
      const vjp = await chooseTextEngine({ ...base, choice: 'onnx-vjp' });
      expect(vjp.text?.name).toBe('onnx-vjp');
      await vjp.text?.dispose();
    } finally {
      head.dispose();
    }
    const noCop = makeHead({ nCtx: 0 });
    try {
      const r = await chooseTextEngine({ head: noCop, tower, config, weights, contextEvery: 1, choice: 'onnx-vjp' });
      expect(r.text).toBeNull();
    } finally {
      noCop.dispose();
    }
  });
});
