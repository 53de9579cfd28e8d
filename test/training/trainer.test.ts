/**
 * The training loop on a tiny random text tower and synthetic, class-separable image features: it learns, keeps
 * the best epoch, is deterministic per seed, cancels cleanly and leaks no tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '../../src/shared/errors';
import { Prng } from '../../src/main/engine/model/prng';
import type { TfjsTextTower } from '../../src/main/engine/model/text-tower-tfjs';
import { argmax, accuracy } from '../../src/main/engine/training/metrics';
import { trainHead, type EvalFeatures, type TrainFeatures } from '../../src/main/engine/training/trainer';
import { defaultHeadConfig } from '../../src/main/engine/vip/config';
import { ViPHead } from '../../src/main/engine/vip/head';
import { symptomPrompts } from '../../src/main/engine/vip/prompts';
import { parseSymptomSet } from '../../src/main/engine/vip/symptom-set';
import { realTokenizer, tinyConfig, tinyTower, useCpuBackend } from '../vip/helpers/tiny-tower';

const d = tinyConfig.projectionDim;
const set = parseSymptomSet({
  'round spot': ['a bright round disc', 'a sharp circular edge'],
  striped: ['parallel stripes', 'a repeating line pattern'],
});
let tower: TfjsTextTower;

beforeAll(async () => {
  await useCpuBackend();
  tower = tinyTower(3);
});
afterAll(() => tower.dispose());

/**
 * n per class, K views each (views differ by small noise). Like CLIP features, all share a large common part and the
 * classes differ by a small offset, so an untrained prompt is near chance.
 */
function features(nPerClass: number, views: number, seed: string): TrainFeatures {
  const rng = new Prng(seed);
  const base = new Prng('centres');
  const common = Float32Array.from({ length: d }, () => 3 * base.nextNormal());
  const offset = Float32Array.from({ length: d }, () => 0.8 * base.nextNormal());
  const centre = [common.map((v, j) => v + (offset[j] ?? 0)), common.map((v, j) => v - (offset[j] ?? 0))];
  const n = 2 * nPerClass;
  const out = new Float32Array(n * views * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    labels[i] = label;
    const noise = Float32Array.from({ length: d }, () => 0.3 * rng.nextNormal());
    for (let v = 0; v < views; v++) {
      for (let j = 0; j < d; j++) {
        out[(i * views + v) * d + j] = (centre[label]?.[j] ?? 0) + (noise[j] ?? 0) + 0.05 * rng.nextNormal();
      }
    }
  }
  return { features: out, views, labels };
}

function evalSet(nPerClass: number, seed: string): EvalFeatures {
  const f = features(nPerClass, 1, seed);
  return { features: f.features, labels: f.labels };
}

function newHead(seed = 1): ViPHead {
  return new ViPHead({
    tower,
    prompts: symptomPrompts(realTokenizer(), set, defaultHeadConfig.nCtx),
    classes: set.classes.map((c) => c.name),
    config: defaultHeadConfig,
    seed,
  });
}

const options = { epochs: 12, batchSize: 8, lr: 0.01, optimizer: 'adam' as const, seed: 5 };

describe('trainHead', () => {
  it('learns separable features: validation accuracy reaches 0.9 and the loss falls', async () => {
    const head = newHead();
    try {
      const r = await trainHead({ head, train: features(16, 2, 'train'), val: evalSet(10, 'val'), options });
      const last = r.epochs.at(-1);
      expect(r.epochs).toHaveLength(12);
      expect(last?.trainLoss).toBeLessThan(r.epochs[0]?.trainLoss ?? 0);
      expect(last?.valAccuracy).toBeGreaterThanOrEqual(0.9);
      // The untrained prompt is at chance (one class for everything); training lifts it.
      expect(r.initial?.valAccuracy).toBeLessThanOrEqual(0.6);
    } finally {
      head.dispose();
    }
  });

  it("keeps the best epoch on validation: its weights give that epoch's validation accuracy", async () => {
    const head = newHead();
    const val = evalSet(10, 'val');
    try {
      const r = await trainHead({ head, train: features(16, 1, 'train'), val, options: { ...options, epochs: 6 } });
      const best = r.epochs[r.bestEpoch - 1];
      const maxAcc = Math.max(...r.epochs.map((e) => e.valAccuracy ?? 0));
      expect(best?.valAccuracy).toBe(maxAcc);
      // No earlier epoch had the same accuracy with a higher macro-F1.
      for (const e of r.epochs.slice(0, r.bestEpoch - 1)) {
        expect(e.valAccuracy === maxAcc && (e.valMacroF1 ?? 0) >= (best?.valMacroF1 ?? 0)).toBe(false);
      }
      const restored = new ViPHead({
        tower,
        prompts: symptomPrompts(realTokenizer(), set, defaultHeadConfig.nCtx),
        classes: r.best.classes,
        config: r.best.config,
        init: r.best,
      });
      try {
        const x = tf.tensor2d(val.features, [val.labels.length, d]);
        const predicted = tf.tidy(() => restored.forward(x).arraySync()).map(argmax);
        x.dispose();
        expect(accuracy(val.labels, predicted)).toBe(maxAcc);
      } finally {
        restored.dispose();
      }
    } finally {
      head.dispose();
    }
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const losses = async (seed: number): Promise<number[]> => {
      const head = newHead();
      try {
        const r = await trainHead({ head, train: features(8, 2, 'train'), options: { ...options, epochs: 3, seed } });
        return r.epochs.map((e) => e.trainLoss);
      } finally {
        head.dispose();
      }
    };
    const a = await losses(11);
    expect(await losses(11)).toEqual(a);
    expect(await losses(12)).not.toEqual(a);
  });

  it("drops a last partial batch, as the authors' data loader does", async () => {
    const head = newHead();
    const seen = new Set<number>();
    try {
      await trainHead({
        head,
        train: features(10, 1, 'train'), // 20 images, batch 8 -> 2 steps
        options: { ...options, epochs: 1 },
        onStep: (p) => seen.add(p.steps),
      });
      expect([...seen]).toEqual([2]);
    } finally {
      head.dispose();
    }
  });

  it('leaks no tensors: the count is the same after every epoch and after training', async () => {
    const head = newHead();
    try {
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      await trainHead({
        head,
        train: features(8, 2, 'train'),
        val: evalSet(4, 'val'),
        options: { ...options, epochs: 5, optimizer: 'sgd', lr: 0.002 },
        onEpoch: () => counts.push(tf.memory().numTensors),
      });
      expect(new Set(counts).size).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      head.dispose();
    }
  });

  it('can be cancelled: rejects with a cancelled error and frees what it allocated', async () => {
    const head = newHead();
    const controller = new AbortController();
    try {
      const before = tf.memory().numTensors;
      let steps = 0;
      const run = trainHead({
        head,
        train: features(16, 1, 'train'),
        val: evalSet(4, 'val'),
        options: { ...options, epochs: 50 },
        signal: controller.signal,
        onStep: () => {
          if (++steps === 3) controller.abort();
        },
      });
      await expect(run).rejects.toSatisfy((e: unknown) => e instanceof VipError && e.code === 'cancelled');
      expect(steps).toBe(3);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      head.dispose();
    }
  });

  it('refuses options it cannot use, before training', async () => {
    const head = newHead();
    try {
      await expect(trainHead({ head, train: features(2, 1, 't'), options: { epochs: 0 } })).rejects.toThrow(/epochs/);
      await expect(trainHead({ head, train: features(2, 1, 't'), options: { lr: -1 } })).rejects.toThrow(
        /learning rate/,
      );
    } finally {
      head.dispose();
    }
  });
});
