import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../../src/main/engine/model/tfjs-backend';
import {
  TfjsTextTower,
  eotIndices,
  insertContext,
  type TfjsTextTowerConfig,
} from '../../src/main/engine/model/text-tower-tfjs';
import type { TensorInput } from '../../src/main/engine/model/safetensors';
import { VipError } from '../../src/shared/errors';
import { randomIdSequences, randomTextWeights, seededNormal, tinyTextConfig } from './helpers/random-weights';
import { referenceTextFromEmbeddings, referenceTextFromIds } from './helpers/text-reference';

const config = tinyTextConfig;
const weights = randomTextWeights(config, 11);
let tower: TfjsTextTower;

beforeAll(async () => {
  process.env['VIP_TFJS_BACKEND'] = 'wasm';
  const { backend } = await initTfjs();
  expect(backend).toBe('wasm');
  tower = new TfjsTextTower(config, weights);
});
afterAll(() => tower.dispose());

function rows(t: tf.Tensor2D): number[][] {
  return t.arraySync();
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

function randomEmbeddings(n: number, l: number, seed: number): tf.Tensor3D {
  const normal = seededNormal(seed);
  return tf.tensor3d(
    Float32Array.from({ length: n * l * config.hiddenSize }, () => 0.5 * normal()),
    [n, l, config.hiddenSize],
  );
}

describe('TfjsTextTower forward', () => {
  it('matches an independent float64 forward on sequences of varied length, padded to 77', () => {
    const ids = randomIdSequences(6, 5, 0, 20);
    const features = tower.encodeIds(ids);
    expect(features.shape).toEqual([6, config.projectionDim]);
    const got = rows(features);
    features.dispose();
    ids.forEach((row, i) => {
      const want = referenceTextFromIds(config, weights, row);
      expect(maxAbsDiff(got[i] ?? [], want)).toBeLessThan(2e-4);
      // Guard against a vacuous comparison: the features are far from zero.
      expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(0.1);
    });
  });

  it('follows the configured activation (gelu)', () => {
    const cfg: TfjsTextTowerConfig = { ...config, hiddenAct: 'gelu' };
    const other = new TfjsTextTower(cfg, weights);
    try {
      const ids = randomIdSequences(2, 9, 3, 10);
      const features = other.encodeIds(ids);
      const got = rows(features);
      features.dispose();
      ids.forEach((row, i) => {
        const want = referenceTextFromIds(cfg, weights, row);
        expect(maxAbsDiff(got[i] ?? [], want)).toBeLessThan(2e-4);
        // And differs from the quick_gelu reference, so the activation really was switched.
        expect(maxAbsDiff(got[i] ?? [], referenceTextFromIds(config, weights, row))).toBeGreaterThan(1e-3);
      });
    } finally {
      other.dispose();
    }
  });

  it('gives the same features whether a sequence is run alone, cut at its EOT, or padded in a batch', () => {
    const ids = randomIdSequences(5, 21, 1, 30);
    const batch = tower.encodeIds(ids);
    const batched = rows(batch);
    batch.dispose();
    ids.forEach((row, i) => {
      const eot = row.indexOf(49407);
      for (const variant of [row.slice(0, eot + 1), row]) {
        const alone = tower.encodeIds([variant]);
        expect(maxAbsDiff(rows(alone)[0] ?? [], batched[i] ?? [])).toBeLessThan(1e-5);
        alone.dispose();
      }
    });
  });

  it('ignores whatever follows the EOT (causal mask), which is what makes the cut exact', () => {
    const ids = randomIdSequences(3, 4, 2, 8);
    const noisy = ids.map((row, i) => row.map((id, j) => (j > row.indexOf(49407) ? 100 + 7 * i + j : id)));
    const a = tower.encodeIds(ids);
    const b = tower.encodeIds(noisy);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-6);
    tf.dispose([a, b]);
  });

  it('encodeEmbeddings of the token embeddings equals encodeIds, and uses the given EOT rows', () => {
    const ids = randomIdSequences(3, 8, 2, 12);
    const eot = eotIndices(ids);
    const x = tower.tokenEmbeddings(ids);
    expect(x.shape).toEqual([3, 77, config.hiddenSize]);
    const viaEmbeddings = tower.encodeEmbeddings(x, eot);
    const viaIds = tower.encodeIds(ids);
    expect(maxAbsDiff(viaEmbeddings.dataSync(), viaIds.dataSync())).toBeLessThan(1e-6);
    // Reading an earlier row gives the reference's feature at that row.
    const early = tower.encodeEmbeddings(x, [1, 2, 3]);
    const table = weights.get('text_model.embeddings.token_embedding.weight') as TensorInput;
    const w = config.hiddenSize;
    rows(early).forEach((got, i) => {
      const emb = (ids[i] ?? []).map((id) => Float64Array.from(table.data.subarray(id * w, (id + 1) * w)));
      expect(maxAbsDiff(got, referenceTextFromEmbeddings(config, weights, emb, i + 1))).toBeLessThan(2e-4);
    });
    tf.dispose([x, viaEmbeddings, viaIds, early]);
  });

  it('finds the EOT as the first largest id', () => {
    expect(
      eotIndices([
        [49406, 5, 49407, 0, 0],
        [49406, 49407, 49407],
        [3, 9, 1],
      ]),
    ).toEqual([2, 1, 1]);
  });
});

describe('TfjsTextTower gradients', () => {
  it('differentiates with respect to the input embeddings, matching finite differences', () => {
    const x = randomEmbeddings(2, 10, 3);
    const eot = [6, 9];
    const probe = tf.tensor2d(
      Float32Array.from({ length: 2 * config.projectionDim }, (_, i) => Math.sin(i)),
      [2, config.projectionDim],
    );
    const loss = (input: tf.Tensor3D): tf.Scalar => tf.sum(tf.mul(tower.encodeEmbeddings(input, eot), probe));
    const grad = tf.grad((input) => loss(input as tf.Tensor3D))(x) as tf.Tensor3D;
    const g = grad.arraySync();
    // Causal: positions after a sequence's EOT get exactly zero gradient; positions up to it do not.
    const norm = (v: number[] | undefined): number => Math.hypot(...(v ?? []));
    expect(norm(g[0]?.[7]) + norm(g[0]?.[9])).toBe(0);
    for (const t of [0, 3, 6]) expect(norm(g[0]?.[t])).toBeGreaterThan(1e-4);
    for (const t of [0, 5, 9]) expect(norm(g[1]?.[t])).toBeGreaterThan(1e-4);

    const xs = x.arraySync();
    const eps = 1e-2;
    for (const [n, t, c] of [
      [0, 0, 0],
      [0, 6, 5],
      [1, 4, 17],
      [1, 9, 31],
    ] as const) {
      const bumped = (delta: number): number => {
        const copy = xs.map((a) => a.map((b) => [...b]));
        const row = copy[n]?.[t];
        if (row) row[c] = (row[c] ?? 0) + delta;
        return tf.tidy(() => loss(tf.tensor3d(copy)).dataSync()[0] ?? NaN);
      };
      const numeric = (bumped(eps) - bumped(-eps)) / (2 * eps);
      const analytic = g[n]?.[t]?.[c] ?? NaN;
      expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.max(1, Math.abs(analytic)));
    }
    tf.dispose([x, probe, grad]);
  });

  it('trains context vectors placed at positions 1..M through tf.variableGrads', () => {
    const ids = randomIdSequences(3, 12, 5, 9, 16);
    const base = tower.tokenEmbeddings(ids);
    const eot = eotIndices(ids);
    const normal = seededNormal(4);
    const ctx = tf.variable(
      tf.tensor2d(
        Float32Array.from({ length: 4 * config.hiddenSize }, () => 0.02 * normal()),
        [4, config.hiddenSize],
      ),
    );
    const target = tf.tensor2d(
      Float32Array.from({ length: 3 * config.projectionDim }, (_, i) => Math.cos(i)),
      [3, config.projectionDim],
    );
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(tf.square(tf.sub(tower.encodeEmbeddings(insertContext(base, ctx), eot), target))),
    );
    const grad = grads[ctx.name];
    expect(grad?.shape).toEqual([4, config.hiddenSize]);
    expect(Math.hypot(...(grad?.dataSync() ?? []))).toBeGreaterThan(1e-3);
    // One small step against the gradient lowers the loss.
    const before = value.dataSync()[0] ?? NaN;
    ctx.assign(tf.sub(ctx, tf.mul(grad as tf.Tensor, 1e-3)));
    const after = tf.tidy(
      () => tf.sum(tf.square(tf.sub(tower.encodeEmbeddings(insertContext(base, ctx), eot), target))).dataSync()[0],
    );
    expect(after).toBeLessThan(before);
    tf.dispose([base, ctx, target, value, ...Object.values(grads)]);
  });
});

describe('insertContext', () => {
  it('replaces positions start..start+M-1 and keeps the rest', () => {
    const x = randomEmbeddings(2, 7, 8);
    const ctx = tf.squeeze<tf.Tensor2D>(randomEmbeddings(1, 3, 9), [0]);
    const out = insertContext(x, ctx);
    const [xs, cs, os] = [x.arraySync(), ctx.arraySync(), out.arraySync()];
    expect(out.shape).toEqual([2, 7, config.hiddenSize]);
    for (let n = 0; n < 2; n++) {
      for (let t = 0; t < 7; t++) expect(os[n]?.[t]).toEqual(t >= 1 && t <= 3 ? cs[t - 1] : xs[n]?.[t]);
    }
    const perRow = randomEmbeddings(2, 2, 10);
    const out2 = insertContext(x, perRow, 5);
    expect(out2.arraySync()[1]?.[6]).toEqual(perRow.arraySync()[1]?.[1]);
    expect(() => insertContext(x, ctx, 5)).toThrow(VipError);
    tf.dispose([x, ctx, out, perRow, out2]);
  });
});

describe('TfjsTextTower memory and weights', () => {
  it('leaks no tensors across forward and gradient calls', () => {
    const ids = randomIdSequences(4, 2, 1, 12);
    const x = tower.tokenEmbeddings(ids);
    const eot = eotIndices(ids);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      tower.encodeIds(ids).dispose();
      tower.tokenEmbeddings(ids).dispose();
      tower.encodeEmbeddings(x, eot).dispose();
      tf.grad((input) => tf.sum(tower.encodeEmbeddings(input as tf.Tensor3D, eot)))(x).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('holds its weights until dispose() and then frees them', () => {
    const before = tf.memory().numTensors;
    const t = new TfjsTextTower(config, weights);
    const held = tf.memory().numTensors - before;
    // token + position tables; per layer 2 LayerNorms (2 each) and 6 linear layers (kernel, weight, bias); final
    // LayerNorm; projection (kernel, weight).
    expect(held).toBe(2 + 22 * config.numLayers + 2 + 2);
    t.encodeIds([[49406, 1, 49407]]).dispose();
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => t.encodeIds([[49406, 49407]])).toThrow(/after dispose/);
  });

  it('survives being constructed inside tf.tidy', () => {
    let built: TfjsTextTower | undefined;
    tf.tidy(() => {
      built = new TfjsTextTower(config, weights);
    });
    const t = built as TfjsTextTower;
    const f = t.encodeIds([[49406, 320, 49407]]);
    expect(f.shape).toEqual([1, config.projectionDim]);
    f.dispose();
    t.dispose();
  });

  it('rejects missing or misshapen weights naming the tensor, leaving nothing allocated', () => {
    const before = tf.memory().numTensors;
    const missing = new Map(weights);
    missing.delete('text_model.encoder.layers.1.mlp.fc2.bias');
    expect(() => new TfjsTextTower(config, missing)).toThrow(
      /text_model\.encoder\.layers\.1\.mlp\.fc2\.bias is missing/,
    );
    const wrong = new Map(weights);
    wrong.set('text_projection.weight', {
      shape: [config.hiddenSize, config.projectionDim],
      data: new Float32Array(768),
    });
    try {
      new TfjsTextTower(config, wrong);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VipError);
      expect((err as VipError).code).toBe('bad_input');
      expect((err as VipError).message).toMatch(/text_projection\.weight has shape \[32, 24\], expected \[24, 32\]/);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
