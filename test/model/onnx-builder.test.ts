/**
 * The ONNX towers against an independent plain-TypeScript Float64 forward of the same weights. The weights are drawn
 * with a larger spread than CLIP's init (and random biases and LayerNorm parameters) so every term matters.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { expectedTensorShapes, parseClipConfig, type ClipConfig } from '../../src/main/engine/model/clip-config';
import { buildTextFromEmbeddingsModel, buildTextModel, buildVisionModel } from '../../src/main/engine/model/onnx/index';
import { Prng } from '../../src/main/engine/model/prng';
import type { TensorInput } from '../../src/main/engine/model/safetensors';

const EOT = 999;
const config: ClipConfig = parseClipConfig({
  model_type: 'clip',
  projection_dim: 16,
  text_config: {
    vocab_size: 1000,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    max_position_embeddings: 16,
    hidden_act: 'quick_gelu',
    bos_token_id: 998,
    eos_token_id: EOT,
    pad_token_id: 0,
  },
  vision_config: {
    image_size: 32,
    patch_size: 8,
    hidden_size: 24,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 3,
    hidden_act: 'gelu',
  },
});

function randomWeights(seed: number): Map<string, TensorInput> {
  const rng = new Prng(seed);
  const out = new Map<string, TensorInput>();
  for (const { name, shape } of expectedTensorShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    if (/(layer_norm\d?|layrnorm|layernorm)\.weight$/.test(name)) rng.fillNormal(data, 0.1, 1);
    else if (name.endsWith('.bias') || name.endsWith('norm.bias')) rng.fillNormal(data, 0.1);
    else if (name.includes('embedding') && !name.includes('patch')) rng.fillNormal(data, 1);
    else rng.fillNormal(data, 1 / Math.sqrt(fanIn));
    out.set(name, { shape, data });
  }
  return out;
}

// ---- Independent Float64 reference forward ------------------------------------------------------------------------

type Matrix = number[][]; // rows of vectors

function get(w: Map<string, TensorInput>, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new Error(`missing ${name}`);
  return t.data;
}

/** y = W x + b with HF Linear layout W [out, in]. */
function linearRef(w: Map<string, TensorInput>, prefix: string, x: number[], bias = true): number[] {
  const W = get(w, `${prefix}.weight`);
  const inDim = x.length;
  const outDim = W.length / inDim;
  const b = bias ? get(w, `${prefix}.bias`) : undefined;
  const y: number[] = [];
  for (let o = 0; o < outDim; o++) {
    let s = b ? (b[o] as number) : 0;
    for (let i = 0; i < inDim; i++) s += (W[o * inDim + i] as number) * (x[i] as number);
    y.push(s);
  }
  return y;
}

function layerNormRef(w: Map<string, TensorInput>, prefix: string, x: number[], eps: number): number[] {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  const g = get(w, `${prefix}.weight`);
  const b = get(w, `${prefix}.bias`);
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * (g[i] as number) + (b[i] as number));
}

function erf(x: number): number {
  // Series for small |x|, continued fraction tail otherwise: plenty for 1e-12 here.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = 0;
    let term = t;
    for (let n = 0; n < 80; n++) {
      sum += term / (2 * n + 1);
      term *= (-t * t) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

const act = (kind: string, v: number): number =>
  kind === 'quick_gelu' ? v / (1 + Math.exp(-1.702 * v)) : 0.5 * v * (1 + erf(v / Math.SQRT2));

function encoderRef(
  w: Map<string, TensorInput>,
  prefix: string,
  x0: Matrix,
  tower: { numLayers: number; numHeads: number; hiddenSize: number; hiddenAct: string; layerNormEps: number },
  causal: boolean,
): Matrix {
  let x = x0.map((r) => [...r]);
  const D = tower.hiddenSize / tower.numHeads;
  for (let l = 0; l < tower.numLayers; l++) {
    const p = `${prefix}.layers.${l}`;
    const h = x.map((r) => layerNormRef(w, `${p}.layer_norm1`, r, tower.layerNormEps));
    const q = h.map((r) => linearRef(w, `${p}.self_attn.q_proj`, r).map((v) => v * D ** -0.5));
    const k = h.map((r) => linearRef(w, `${p}.self_attn.k_proj`, r));
    const v = h.map((r) => linearRef(w, `${p}.self_attn.v_proj`, r));
    const ctx = x.map(() => new Array<number>(tower.hiddenSize).fill(0));
    for (let head = 0; head < tower.numHeads; head++) {
      for (let i = 0; i < x.length; i++) {
        const limit = causal ? i + 1 : x.length;
        const scores: number[] = [];
        for (let j = 0; j < limit; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += (q[i]?.[head * D + d] ?? 0) * (k[j]?.[head * D + d] ?? 0);
          scores.push(s);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        const out = ctx[i] as number[];
        for (let j = 0; j < limit; j++) {
          for (let d = 0; d < D; d++) {
            const c = head * D + d;
            out[c] = (out[c] ?? 0) + ((e[j] as number) / z) * (v[j]?.[c] ?? 0);
          }
        }
      }
    }
    const attn = ctx.map((r) => linearRef(w, `${p}.self_attn.out_proj`, r));
    x = x.map((r, i) => r.map((val, c) => val + (attn[i]?.[c] ?? 0)));
    const h2 = x.map((r) => layerNormRef(w, `${p}.layer_norm2`, r, tower.layerNormEps));
    const mlp = h2.map((r) =>
      linearRef(
        w,
        `${p}.mlp.fc2`,
        linearRef(w, `${p}.mlp.fc1`, r).map((val) => act(tower.hiddenAct, val)),
      ),
    );
    x = x.map((r, i) => r.map((val, c) => val + (mlp[i]?.[c] ?? 0)));
  }
  return x;
}

/** Text features from token embeddings (positions not added) and the EOT position. */
function textRefFromEmbeddings(w: Map<string, TensorInput>, embeds: Matrix, eot: number): number[] {
  const W = config.text.hiddenSize;
  const pos = get(w, 'text_model.embeddings.position_embedding.weight');
  const x = embeds.map((r, l) => r.map((v, c) => v + (pos[l * W + c] as number)));
  const h = encoderRef(w, 'text_model.encoder', x, config.text, true);
  const pooled = layerNormRef(w, 'text_model.final_layer_norm', h[eot] as number[], config.text.layerNormEps);
  return linearRef(w, 'text_projection', pooled, false);
}

function tokenRows(w: Map<string, TensorInput>, ids: number[]): Matrix {
  const W = config.text.hiddenSize;
  const tok = get(w, 'text_model.embeddings.token_embedding.weight');
  return ids.map((id) => Array.from(tok.subarray(id * W, (id + 1) * W)));
}

function textRef(w: Map<string, TensorInput>, ids: number[]): number[] {
  const eot = ids.indexOf(Math.max(...ids));
  // Only the tokens up to EOT: padding after it must not matter.
  return textRefFromEmbeddings(w, tokenRows(w, ids.slice(0, eot + 1)), eot);
}

function visionRef(w: Map<string, TensorInput>, pixels: Float32Array): number[] {
  const { imageSize: S, patchSize: P, hiddenSize: W, numChannels: C } = config.vision;
  const grid = S / P;
  const conv = get(w, 'vision_model.embeddings.patch_embedding.weight');
  const tokens: Matrix = [Array.from(get(w, 'vision_model.embeddings.class_embedding'))];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const row: number[] = [];
      for (let o = 0; o < W; o++) {
        let s = 0;
        for (let c = 0; c < C; c++)
          for (let y = 0; y < P; y++)
            for (let x = 0; x < P; x++) {
              const px = pixels[c * S * S + (gy * P + y) * S + gx * P + x] as number;
              s += px * (conv[((o * C + c) * P + y) * P + x] as number);
            }
        row.push(s);
      }
      tokens.push(row);
    }
  }
  const pos = get(w, 'vision_model.embeddings.position_embedding.weight');
  const x = tokens.map((r, t) =>
    layerNormRef(
      w,
      'vision_model.pre_layrnorm',
      r.map((v, c) => v + (pos[t * W + c] as number)),
      config.vision.layerNormEps,
    ),
  );
  const h = encoderRef(w, 'vision_model.encoder', x, config.vision, false);
  const pooled = layerNormRef(w, 'vision_model.post_layernorm', h[0] as number[], config.vision.layerNormEps);
  return linearRef(w, 'visual_projection', pooled, false);
}

// ---- Helpers ------------------------------------------------------------------------------------------------------

const unit = (v: ArrayLike<number>): number[] => {
  const a = Array.from(v);
  const n = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  return a.map((x) => x / n);
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);

function rows(data: Float32Array, n: number): Float32Array[] {
  const d = data.length / n;
  return Array.from({ length: n }, (_, i) => data.subarray(i * d, (i + 1) * d));
}

function idsTensor(batch: number[][]): ort.Tensor {
  const L = Math.max(...batch.map((r) => r.length));
  const flat = new BigInt64Array(batch.length * L);
  batch.forEach((r, i) => r.forEach((id, j) => (flat[i * L + j] = BigInt(id))));
  return new ort.Tensor('int64', flat, [batch.length, L]);
}

/** A random token row: SOT, `n` tokens, EOT, then padding up to `length`. */
function sequence(rng: Prng, n: number, length: number): number[] {
  const row = [998, ...Array.from({ length: n }, () => 1 + (rng.nextUint32() % 997)), EOT];
  while (row.length < length) row.push(0);
  return row;
}

// ---- Tests --------------------------------------------------------------------------------------------------------

const weights = randomWeights(11);
let text: ort.InferenceSession;
let textEmbeds: ort.InferenceSession;
let vision: ort.InferenceSession;
let textBytes: Uint8Array;

beforeAll(async () => {
  textBytes = buildTextModel(config, weights);
  text = await ort.InferenceSession.create(textBytes);
  textEmbeds = await ort.InferenceSession.create(buildTextFromEmbeddingsModel(config, weights));
  vision = await ort.InferenceSession.create(buildVisionModel(config, weights));
});

async function runText(batch: number[][]): Promise<Float32Array[]> {
  const out = await text.run({ input_ids: idsTensor(batch) });
  const y = out['text_embeds'];
  expect(y?.dims).toEqual([batch.length, config.projectionDim]);
  return rows(y?.data as Float32Array, batch.length);
}

describe('ONNX text tower', () => {
  it('declares opset 17, IR 8 and the documented inputs and outputs', () => {
    const model = onnxProto.onnx.ModelProto.decode(textBytes);
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(text.inputNames).toEqual(['input_ids']);
    expect(text.outputNames).toEqual(['text_embeds']);
    expect(textEmbeds.inputNames).toEqual(['inputs_embeds', 'eot_index']);
    expect(vision.inputNames).toEqual(['pixel_values']);
    expect(vision.outputNames).toEqual(['image_embeds']);
  });

  it('matches the Float64 reference on sequences of different lengths with padding', async () => {
    const rng = new Prng(5);
    for (const [lengths, padTo] of [
      [[1, 4, 9], 12],
      [[14, 0], 16], // the longest possible row (SOT + 14 + EOT = 16 positions) and an empty text
      [[2], 4],
    ] as const) {
      const batch = lengths.map((n) => sequence(rng, n, padTo));
      const got = await runText(batch);
      batch.forEach((ids, i) => {
        const want = textRef(weights, ids);
        const row = got[i] as Float32Array;
        expect(maxAbsDiff(unit(row), unit(want))).toBeLessThan(1e-4);
        expect(maxAbsDiff(row, want) / Math.max(...want.map(Math.abs))).toBeLessThan(1e-4);
      });
    }
  });

  it('is causal: tokens after EOT and the padding length do not change the features', async () => {
    const rng = new Prng(9);
    const base = sequence(rng, 5, 12);
    const noisy = base.map((id, i) => (i > 6 ? 1 + (rng.nextUint32() % 900) : id));
    const [a, b] = await runText([base, noisy]);
    const [c] = await runText([base.slice(0, 7)]);
    expect(maxAbsDiff(a as Float32Array, b as Float32Array)).toBeLessThan(1e-6);
    expect(maxAbsDiff(a as Float32Array, c as Float32Array)).toBeLessThan(1e-5);
    // ...while a token before EOT does change them.
    const changed = [...base];
    changed[3] = ((changed[3] as number) % 900) + 1;
    const [d] = await runText([changed]);
    expect(maxAbsDiff(a as Float32Array, d as Float32Array)).toBeGreaterThan(1e-3);
  });

  it('the inputs_embeds form equals text.onnx and follows replaced embeddings (the context prompt)', async () => {
    const rng = new Prng(21);
    const batch = [sequence(rng, 6, 10), sequence(rng, 3, 10)];
    const W = config.text.hiddenSize;
    const embeds = batch.map((ids) => tokenRows(weights, ids));
    // Replace positions 1..4 of the second row with free vectors, as the ViP context prompt does.
    const ctx = Array.from({ length: 4 }, () => Array.from(new Prng(rng.nextUint32()).fillNormal(new Float32Array(W))));
    ctx.forEach((v, m) => ((embeds[1] as Matrix)[1 + m] = v));
    const eots = batch.map((ids) => ids.indexOf(EOT));
    const out = await textEmbeds.run({
      inputs_embeds: new ort.Tensor('float32', Float32Array.from(embeds.flat(2)), [2, 10, W]),
      eot_index: new ort.Tensor('int64', BigInt64Array.from(eots.map(BigInt)), [2]),
    });
    const [plain, prompted] = rows(out['text_embeds']?.data as Float32Array, 2);
    const [fromIds] = await runText([batch[0] as number[]]);
    expect(maxAbsDiff(plain as Float32Array, fromIds as Float32Array)).toBeLessThan(1e-5);
    const want = textRefFromEmbeddings(weights, embeds[1] as Matrix, eots[1] as number);
    expect(maxAbsDiff(unit(prompted as Float32Array), unit(want))).toBeLessThan(1e-4);
  });

  it('rejects weights that do not fit the config with a bad_input naming the tensor', () => {
    const broken = new Map(weights);
    broken.delete('text_model.encoder.layers.1.mlp.fc1.bias');
    let caught: unknown;
    try {
      buildTextModel(config, broken);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(VipError);
    expect((caught as VipError).message).toMatch(/text_model\.encoder\.layers\.1\.mlp\.fc1\.bias" is missing/);
  });
});

describe('ONNX vision tower', () => {
  it('matches the Float64 reference (gelu, no mask) on a batch of images', async () => {
    const { imageSize: S } = config.vision;
    const n = 3;
    const pixels = new Prng(3).fillNormal(new Float32Array(n * 3 * S * S));
    const out = await vision.run({ pixel_values: new ort.Tensor('float32', pixels, [n, 3, S, S]) });
    expect(out['image_embeds']?.dims).toEqual([n, config.projectionDim]);
    const got = rows(out['image_embeds']?.data as Float32Array, n);
    const per = 3 * S * S;
    for (let i = 0; i < n; i++) {
      const want = visionRef(weights, pixels.subarray(i * per, (i + 1) * per));
      expect(maxAbsDiff(unit(got[i] as Float32Array), unit(want))).toBeLessThan(1e-4);
    }
    // Different images, different features (the batch dimension is not mixed up).
    expect(maxAbsDiff(unit(got[0] as Float32Array), unit(got[1] as Float32Array))).toBeGreaterThan(1e-2);
  });
});
