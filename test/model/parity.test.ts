/**
 * One source of truth for the numbers: the ONNX towers (onnxruntime) and the tfjs text tower (wasm) run the same
 * weights and must give the same features; the ONNX vision tower must agree with an independent tfjs forward.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipTokenizerFiles } from '../../src/main/engine/model/bpe-files';
import type { ClipConfig } from '../../src/main/engine/model/clip-config';
import { generateDemoCheckpoint } from '../../src/main/engine/model/demo-checkpoint';
import { buildTextFromEmbeddingsModel, buildTextModel, buildVisionModel } from '../../src/main/engine/model/onnx';
import { preprocessBatch } from '../../src/main/engine/model/preprocess';
import {
  TfjsTextTower,
  eotIndices,
  insertContext,
  type HostTensors,
} from '../../src/main/engine/model/text-tower-tfjs';
import { initTfjs } from '../../src/main/engine/model/tfjs-backend';
import { ClipTokenizer } from '../../src/main/engine/model/tokenizer';
import { randomTextWeights, randomVisionWeights, seededNormal, tinyTextConfig } from './helpers/random-weights';
import { visionForwardTfjs } from './helpers/vision-tfjs';

const demo = generateDemoCheckpoint({ preset: 'tiny', seed: 3 });
const tokenizer = ClipTokenizer.fromStrings(clipTokenizerFiles().vocabJson, clipTokenizerFiles().mergesTxt);

// Symptom-like texts of many lengths, ViP's CoP template, class prompts, odd characters, and one near 77 tokens.
const texts = [
  'a photo of a melanoma.',
  'a photo of a nevus.',
  'a photo of a normal lung.',
  'a photo of a pneumonia.',
  'X X X X Presence of consolidation.',
  'X X X X Irregular, blurry borders.',
  'X X X X Multiple colours within one lesion.',
  'The spot has blurry, or jagged edges.',
  'Ground-glass opacities, 2 lobes!',
  'Asymmetric shape.',
  'Blue-white veil over the centre.',
  'Dark brown or black dots near the rim.',
  'Regular pigment network.',
  'Smooth, round outline with even colour.',
  'Clear lungs with sharp costophrenic angles.',
  'Patchy white areas in the lower lobes.',
  'Air bronchograms visible inside a dense region.',
  'Hazy, cloudy patches that blur the heart border.',
  'Symmetric lung fields of uniform darkness.',
  'A lesion.',
  '.',
  '',
  'Streaks and pseudopods radiating from the edge of the lesion toward the surrounding skin.',
  'Café-au-lait colour, évidemment — ünïcode & <html> entities &amp; more.',
  '3 mm, 12 mm, 1.5 cm; 40% of the area.',
  'RED red Red rEd.',
  'regression structures: white scar-like areas and peppering with grey-blue granules.',
  'milia-like cysts',
  'Pleural effusion blunting the left costophrenic angle, with a meniscus sign.',
  'Normal heart size.',
  'X X X X Bright, well-defined, lobar opacity.',
  'X X X X a b c d e f g h i j k l m n o p q r s t u v w x y z.',
  'small round brown dots and globules scattered over the whole lesion surface, '.repeat(4).trim(),
  Array.from({ length: 75 }, () => 'dot').join(' '), // 77 tokens with SOT and EOT: the full context
];

function unit(v: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v);
  const norm = Math.hypot(...out);
  return out.map((x) => x / norm);
}

/** Cosine and largest absolute difference of the unit-normalised rows. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { cosine: number; maxDiff: number } {
  const ua = unit(a);
  const ub = unit(b);
  let cosine = 0;
  let maxDiff = 0;
  ua.forEach((x, i) => {
    cosine += x * (ub[i] ?? NaN);
    maxDiff = Math.max(maxDiff, Math.abs(x - (ub[i] ?? NaN)));
  });
  return { cosine, maxDiff };
}

function pad(ids: readonly number[], length: number): number[] {
  return [...ids, ...Array<number>(length - ids.length).fill(0)];
}

function idsTensor(rows: readonly (readonly number[])[]): ort.Tensor {
  const length = rows[0]?.length ?? 0;
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, length]);
}

async function onnxText(session: ort.InferenceSession, rows: readonly (readonly number[])[]): Promise<Float32Array[]> {
  const out = (await session.run({ input_ids: idsTensor(rows) }))['text_embeds'];
  if (out === undefined) throw new Error('no text_embeds');
  const data = out.data as Float32Array;
  const e = data.length / rows.length;
  return rows.map((_, i) => data.slice(i * e, (i + 1) * e));
}

/** A ClipConfig around the test's own text config, for the ONNX builder (which checks only the text tensors here). */
function configFor(text: typeof tinyTextConfig): ClipConfig {
  const { projectionDim, ...rest } = text;
  return { ...demo.clip, text: rest, projectionDim };
}

let sessions: ort.InferenceSession[] = [];
async function open(bytes: Uint8Array): Promise<ort.InferenceSession> {
  const s = await ort.InferenceSession.create(bytes);
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  process.env['VIP_TFJS_BACKEND'] = 'wasm';
  expect((await initTfjs()).backend).toBe('wasm');
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
  sessions = [];
});

describe.each([
  ['the tiny demo checkpoint', demo.clip, demo.tensors as HostTensors],
  // Weights at trained-model scale (activations O(1)), where a wrong head split or scale cannot hide.
  ['large-activation random weights', configFor(tinyTextConfig), randomTextWeights(tinyTextConfig, 29) as HostTensors],
])('text features, tfjs (wasm) vs ONNX, on %s', (_label, config, weights) => {
  let tower: TfjsTextTower;
  let text: ort.InferenceSession;
  let textEmbeds: ort.InferenceSession;

  beforeAll(async () => {
    tower = TfjsTextTower.fromClipConfig(config, weights);
    text = await open(buildTextModel(config, weights));
    textEmbeds = await open(buildTextFromEmbeddingsModel(config, weights));
  });
  afterAll(() => tower.dispose());

  it(`agree on ${texts.length} tokenized texts padded to 77 (cosine > 0.9999, unit max diff < 1e-4)`, async () => {
    const ids = texts.map((t) => pad(tokenizer.encodeWithSpecial(t), 77));
    const lengths = ids.map((r) => r.indexOf(49407) + 1);
    expect(new Set(lengths).size).toBeGreaterThan(15); // many different lengths
    expect(Math.max(...lengths)).toBe(77);
    const want = await onnxText(text, ids);
    const features = tower.encodeIds(ids);
    const got = features.arraySync();
    features.dispose();
    ids.forEach((_, i) => {
      const { cosine, maxDiff } = compare(got[i] ?? [], want[i] ?? []);
      expect(cosine, texts[i]).toBeGreaterThan(0.9999);
      expect(maxDiff, texts[i]).toBeLessThan(1e-4);
    });
    // Not vacuous: different texts give clearly different features.
    expect(compare(got[0] ?? [], got[7] ?? []).cosine).toBeLessThan(0.99);
  });

  it('agree when each text is run alone at its own length', async () => {
    for (const t of [texts[0], texts[8], texts[22], texts[33]] as string[]) {
      const ids = tokenizer.encodeWithSpecial(t);
      const [want] = await onnxText(text, [ids]);
      const features = tower.encodeIds([ids]);
      const { cosine, maxDiff } = compare(features.dataSync(), want ?? []);
      features.dispose();
      expect(cosine).toBeGreaterThan(0.9999);
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });

  it('agree with the inputs_embeds + eot_index graph when positions 1..M hold random context vectors', async () => {
    const m = 4;
    const w = config.text.hiddenSize;
    const rows = texts.filter((t) => t.startsWith('X X X X')).map((t) => pad(tokenizer.encodeWithSpecial(t), 40));
    const eot = eotIndices(rows);
    const normal = seededNormal(77);
    // N(0, 0.02) as CoP initialises them, scaled up so the context clearly moves the features.
    const ctx = tf.tensor2d(
      Float32Array.from({ length: m * w }, () => 0.5 * normal()),
      [m, w],
    );
    const base = tower.tokenEmbeddings(rows);
    const embeds = insertContext(base, ctx);
    const features = tower.encodeEmbeddings(embeds, eot);
    const got = features.arraySync();
    const plain = tower.encodeIds(rows);
    const plainRows = plain.arraySync();
    const out = await textEmbeds.run({
      inputs_embeds: new ort.Tensor('float32', embeds.dataSync() as Float32Array, [rows.length, 40, w]),
      eot_index: new ort.Tensor('int64', BigInt64Array.from(eot.map(BigInt)), [rows.length]),
    });
    const data = out['text_embeds']?.data as Float32Array;
    const e = config.projectionDim;
    rows.forEach((_, i) => {
      const { cosine, maxDiff } = compare(got[i] ?? [], data.subarray(i * e, (i + 1) * e));
      expect(cosine).toBeGreaterThan(0.9999);
      expect(maxDiff).toBeLessThan(1e-4);
      // The context vectors really replaced the "X X X X" embeddings.
      expect(compare(got[i] ?? [], plainRows[i] ?? []).cosine).toBeLessThan(0.9999);
    });
    tf.dispose([ctx, base, embeds, features, plain]);
  });
});

describe.each([
  [
    'the tiny demo checkpoint',
    generateDemoCheckpoint({ preset: 'tiny', seed: 3, towers: 'vision' }).tensors as HostTensors,
  ],
  ['large-activation random weights', randomVisionWeights(demo.clip, 31) as HostTensors],
])('vision features, ONNX vs an independent tfjs forward, on %s', (label, weights) => {
  it('agree on random pixels and on a preprocessed synthetic image', async () => {
    const config = demo.clip;
    const s = config.vision.imageSize;
    const e = config.projectionDim;
    const session = await open(buildVisionModel(config, weights));

    const normal = seededNormal(41);
    const random = Float32Array.from({ length: 2 * 3 * s * s }, () => normal());
    const stripes = new Uint8Array(300 * 260 * 3).map((_, i) => (i * 13) % 256);
    const file = await sharp(stripes, { raw: { width: 300, height: 260, channels: 3 } })
      .png()
      .toBuffer();
    const pixels = new Float32Array(3 * 3 * s * s);
    pixels.set(random);
    pixels.set(await preprocessBatch([file], { size: s }), random.length);

    const out = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [3, 3, s, s]) });
    const onnx = out['image_embeds']?.data as Float32Array;
    const ref = visionForwardTfjs(config, weights, pixels, 3);
    expect(onnx.length).toBe(3 * e);
    const row = (a: Float32Array, i: number): Float32Array => a.subarray(i * e, (i + 1) * e);
    let gap = 0;
    for (let i = 0; i < 3; i++) {
      const { cosine, maxDiff } = compare(row(onnx, i), row(ref, i));
      expect(cosine).toBeGreaterThan(0.9999);
      expect(maxDiff).toBeLessThan(1e-4);
      gap = Math.max(gap, maxDiff);
    }
    // Not vacuous: the images' features differ by far more than the two implementations do.
    const between = compare(row(onnx, 0), row(onnx, 1)).maxDiff;
    expect(between).toBeGreaterThan(20 * gap);
    if (label.startsWith('large')) expect(compare(row(onnx, 0), row(onnx, 2)).cosine).toBeLessThan(0.99);
  });
});
