/**
 * The onnxruntime text-tower VJP (text-vjp-graph.ts) against tfjs autodiff through the tfjs tower, on two sets of
 * tiny weights (the demo checkpoint and trained-scale random weights), both activations: the features equal the
 * tfjs tower's and text-embeds.onnx's, the input gradients equal tf.grad's, and a finite difference agrees.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClipConfig } from '../../src/main/engine/model/clip-config';
import { generateDemoCheckpoint } from '../../src/main/engine/model/demo-checkpoint';
import { buildTextFromEmbeddingsModel } from '../../src/main/engine/model/onnx/text-graph';
import { TfjsTextTower, type HostTensors } from '../../src/main/engine/model/text-tower-tfjs';
import { initTfjs } from '../../src/main/engine/model/tfjs-backend';
import type { PromptInput, TextBackprop } from '../../src/main/engine/training/text-backprop';
import { createOnnxTextBackprop } from '../../src/main/engine/training/text-backprop-onnx';
import { createTfjsTextBackprop } from '../../src/main/engine/training/text-backprop-tfjs';
import { randomTextWeights, seededNormal, tinyTextConfig } from '../model/helpers/random-weights';

const demo = generateDemoCheckpoint({ preset: 'tiny', seed: 3 });

function configFor(text: typeof tinyTextConfig): ClipConfig {
  const { projectionDim, ...rest } = text;
  return { ...demo.clip, text: rest, projectionDim };
}

function randomInput(n: number, length: number, w: number, eot: number[], seed: number): PromptInput {
  const normal = seededNormal(seed);
  return { embeds: Float32Array.from({ length: n * length * w }, () => 0.5 * normal()), n, length, eotIndex: eot };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] ?? 0));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

beforeAll(async () => {
  process.env['VIP_TFJS_BACKEND'] = 'wasm';
  expect((await initTfjs()).backend).toBe('wasm');
});

const cases: [string, ClipConfig, HostTensors][] = [
  ['the tiny demo checkpoint (quick_gelu)', demo.clip, demo.tensors],
  ['trained-scale random weights (quick_gelu)', configFor(tinyTextConfig), randomTextWeights(tinyTextConfig, 29)],
  [
    'trained-scale random weights (gelu)',
    configFor({ ...tinyTextConfig, hiddenAct: 'gelu' }),
    randomTextWeights(tinyTextConfig, 31),
  ],
];

describe.each(cases)('text VJP, onnxruntime vs tfjs autodiff, on %s', (_label, config, weights) => {
  let tower: TfjsTextTower;
  let onnx: TextBackprop;
  let reference: TextBackprop;
  let textEmbeds: ort.InferenceSession;
  const w = config.text.hiddenSize;
  const e = config.projectionDim;
  // Three prompts of different lengths; the last positions lie after two rows' EOT (their gradient must be 0).
  const input = randomInput(3, 9, w, [8, 4, 6], 7);
  const dy = Float32Array.from({ length: 3 * e }, seededNormal(8));

  beforeAll(async () => {
    tower = TfjsTextTower.fromClipConfig(config, weights);
    onnx = await createOnnxTextBackprop(config, weights, { threads: 1 });
    reference = createTfjsTextBackprop(tower);
    textEmbeds = await ort.InferenceSession.create(buildTextFromEmbeddingsModel(config, weights));
  });
  afterAll(async () => {
    await onnx.dispose();
    await textEmbeds.release();
    tower.dispose();
  });

  it('gives the features of the tfjs tower and of text-embeds.onnx', async () => {
    const fast = await onnx.forward(input);
    const slow = await reference.forward(input);
    fast.tape.release();
    slow.tape.release();
    expect(fast.features.length).toBe(3 * e);
    expect(maxAbs(slow.features)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(fast.features, slow.features)).toBeLessThan(2e-5 * Math.max(1, maxAbs(slow.features)));
    const out = await textEmbeds.run({
      inputs_embeds: new ort.Tensor('float32', input.embeds, [3, 9, w]),
      eot_index: new ort.Tensor('int64', BigInt64Array.from([8n, 4n, 6n]), [3]),
    });
    // The same arithmetic laid out differently (fused q/k/v, 2-D rows): equal up to float rounding.
    expect(maxAbsDiff(fast.features, out['text_embeds']?.data as Float32Array)).toBeLessThan(
      2e-5 * Math.max(1, maxAbs(slow.features)),
    );
  });

  it('gives the input gradient of tf.grad through the tfjs tower', async () => {
    const fast = await onnx.forward(input);
    const grad = await onnx.backward(fast.tape, dy);
    fast.tape.release();
    const want = tf.tidy(() => {
      const x = tf.tensor3d(input.embeds, [3, 9, w]);
      const dyT = tf.tensor2d(dy, [3, e]);
      const f = (v: tf.Tensor) => tf.sum(tf.mul(tower.encodeEmbeddings(v as tf.Tensor3D, input.eotIndex), dyT));
      // The tfjs tower cuts after the last EOT itself; its gradient there is an explicit zero pad.
      return tf.grad(f)(x).dataSync() as Float32Array;
    });
    expect(grad.length).toBe(3 * 9 * w);
    const scale = maxAbs(want);
    expect(scale).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(grad, want)).toBeLessThan(1e-4 * scale);
    // Causality: positions after a row's EOT get exactly nothing; positions up to it do get a gradient.
    const rowPos = (n: number, p: number) => grad.subarray((n * 9 + p) * w, (n * 9 + p + 1) * w);
    expect(maxAbs(rowPos(1, 5))).toBe(0);
    expect(maxAbs(rowPos(1, 8))).toBe(0);
    expect(maxAbs(rowPos(2, 7))).toBe(0);
    expect(maxAbs(rowPos(1, 0))).toBeGreaterThan(0);
    expect(maxAbs(rowPos(0, 8))).toBeGreaterThan(0);
  });

  it('agrees with a central finite difference of the ONNX forward itself', async () => {
    const fast = await onnx.forward(input);
    const grad = await onnx.backward(fast.tape, dy);
    fast.tape.release();
    const objective = async (embeds: Float32Array): Promise<number> => {
      const r = await onnx.forward({ ...input, embeds });
      r.tape.release();
      let s = 0;
      for (let i = 0; i < dy.length; i++) s += (dy[i] ?? 0) * (r.features[i] ?? 0);
      return s;
    };
    // A few coordinates with large gradients (float32 differences need a clear signal).
    const order = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b] ?? 0) - Math.abs(grad[a] ?? 0));
    const h = 1e-2;
    for (const i of order.slice(0, 4)) {
      const plus = Float32Array.from(input.embeds);
      const minus = Float32Array.from(input.embeds);
      plus[i] = (plus[i] ?? 0) + h;
      minus[i] = (minus[i] ?? 0) - h;
      const numeric = ((await objective(plus)) - (await objective(minus))) / (2 * h);
      expect(Math.abs(numeric - (grad[i] ?? 0))).toBeLessThan(0.02 * Math.abs(grad[i] ?? 0) + 1e-3);
    }
  });

  it('reads its batch at any length up to the context: one row alone gives the same gradient as in the batch', async () => {
    const batch = await onnx.forward(input);
    const batchGrad = await onnx.backward(batch.tape, dy);
    batch.tape.release();
    // Row 1 alone, cut after its EOT (position 4).
    const alone: PromptInput = {
      embeds: Float32Array.from(input.embeds.subarray(9 * w, 9 * w + 5 * w)),
      n: 1,
      length: 5,
      eotIndex: [4],
    };
    const single = await onnx.forward(alone);
    const singleGrad = await onnx.backward(single.tape, dy.subarray(e, 2 * e));
    single.tape.release();
    expect(maxAbsDiff(single.features, batch.features.subarray(e, 2 * e))).toBeLessThan(1e-5);
    expect(maxAbsDiff(singleGrad, batchGrad.subarray(9 * w, 9 * w + 5 * w))).toBeLessThan(1e-5);
  });
});
