/** The optimizers against torch's update rules worked out by hand, and the authors' learning-rate schedule. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer } from '../../src/main/engine/training/optimizer';
import { learningRateAt } from '../../src/main/engine/training/schedule';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function run(name: 'sgd' | 'adam', steps: { g: number[]; lr: number }[], weightDecay: number): number[] {
  const v = tf.variable(tf.tensor1d([1, -2]));
  const opt = createOptimizer({ name, weightDecay, momentum: 0.9 });
  for (const s of steps) {
    const g = tf.tensor1d(s.g);
    opt.step([v], [g], s.lr);
    g.dispose();
  }
  const out = Array.from(v.dataSync());
  opt.dispose();
  v.dispose();
  return out;
}

const steps = [
  { g: [0.5, 0.1], lr: 0.1 },
  { g: [-0.2, 0.3], lr: 0.05 },
];

describe('SGD with momentum and weight decay (torch semantics)', () => {
  it('matches the hand-computed updates', () => {
    // step 1: d = g + 0.01·θ = [0.51, 0.08]; b = d; θ = [1 − 0.051, −2 − 0.008] = [0.949, −2.008]
    // step 2: d = [−0.2 + 0.00949, 0.3 − 0.02008] = [−0.19051, 0.27992]; b = 0.9·[0.51, 0.08] + d = [0.26849, 0.35192]
    //         θ = [0.949 − 0.05·0.26849, −2.008 − 0.05·0.35192] = [0.9355755, −2.025596]
    const [a, b] = run('sgd', steps, 0.01);
    expect(a).toBeCloseTo(0.9355755, 5);
    expect(b).toBeCloseTo(-2.025596, 5);
  });

  it('without weight decay the decay term is absent', () => {
    // θ = [1 − 0.1·0.5, −2 − 0.1·0.1]
    const [a, b] = run('sgd', [steps[0] as { g: number[]; lr: number }], 0);
    expect(a).toBeCloseTo(0.95, 6);
    expect(b).toBeCloseTo(-2.01, 6);
  });
});

describe('Adam with L2 weight decay (torch semantics, not AdamW)', () => {
  it('first step moves each weight by about lr against the sign of the decayed gradient', () => {
    // m̂ = d, v̂ = d², so the step is lr · d / (|d| + ε)
    const [a, b] = run('adam', [steps[0] as { g: number[]; lr: number }], 0.01);
    expect(a).toBeCloseTo(0.9, 5);
    expect(b).toBeCloseTo(-2.1, 5);
  });

  it('two steps match a float64 reference of the update rule', () => {
    const theta = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    steps.forEach((s, i) => {
      const t = i + 1;
      for (let j = 0; j < 2; j++) {
        const d = (s.g[j] ?? 0) + 0.01 * (theta[j] ?? 0);
        m[j] = 0.9 * (m[j] ?? 0) + 0.1 * d;
        v[j] = 0.999 * (v[j] ?? 0) + 0.001 * d * d;
        const mh = (m[j] ?? 0) / (1 - 0.9 ** t);
        const vh = (v[j] ?? 0) / (1 - 0.999 ** t);
        theta[j] = (theta[j] ?? 0) - (s.lr * mh) / (Math.sqrt(vh) + 1e-8);
      }
    });
    const got = run('adam', steps, 0.01);
    expect(got[0]).toBeCloseTo(theta[0] ?? NaN, 5);
    expect(got[1]).toBeCloseTo(theta[1] ?? NaN, 5);
  });
});

describe('optimizer state', () => {
  it('keeps a constant number of tensors across steps and frees them on dispose', () => {
    for (const name of ['sgd', 'adam'] as const) {
      const v = tf.variable(tf.tensor1d([1, 2, 3]));
      const g = tf.tensor1d([0.1, 0.2, 0.3]);
      const opt = createOptimizer({ name, weightDecay: 5e-4 });
      opt.step([v], [g], 0.01);
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) opt.step([v], [g], 0.01);
      expect(tf.memory().numTensors).toBe(after1);
      opt.dispose();
      expect(tf.memory().numTensors).toBeLessThan(after1);
      g.dispose();
      v.dispose();
    }
  });
});

describe("the authors' schedule (constant warm-up, then cosine over all epochs)", () => {
  const s = { lr: 0.002, epochs: 50, warmupEpochs: 1, warmupLr: 1e-5 };
  it('warm-up epoch at the constant rate, then the base rate', () => {
    expect(learningRateAt(0, s)).toBe(1e-5);
    expect(learningRateAt(1, s)).toBeCloseTo(0.002, 12);
  });
  it('half the base rate a quarter period later, and never zero', () => {
    // epoch 26: t = 25 of a 50-epoch period -> cos(π/2) = 0 -> lr/2
    expect(learningRateAt(26, s)).toBeCloseTo(0.001, 12);
    // last epoch 49: t = 48 -> 0.002 · (1 + cos(48π/50)) / 2
    expect(learningRateAt(49, s)).toBeCloseTo((0.002 * (1 + Math.cos((48 * Math.PI) / 50))) / 2, 15);
    expect(learningRateAt(49, s)).toBeGreaterThan(0);
  });
  it('without warm-up the cosine starts at epoch 0', () => {
    expect(learningRateAt(0, { ...s, warmupEpochs: 0 })).toBeCloseTo(0.002, 12);
  });
});
