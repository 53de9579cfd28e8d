import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import {
  candidateProviders,
  closeAllClipSessions,
  openClipSessions,
  type ClipSessions,
} from '../../src/main/engine/model/onnx-session';
import { createDemoPackage, type ModelPackage } from '../../src/main/engine/model/package';
import { Prng } from '../../src/main/engine/model/prng';
import { readSafetensors } from '../../src/main/engine/model/safetensors';

let root: string;
let pkg: ModelPackage;
let clip: ClipSessions;
const E = 64;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-ort-'));
  pkg = await createDemoPackage(root, { id: 'demo', preset: 'tiny', seed: 0 });
  clip = await openClipSessions(pkg, { imageBatch: 2, textBatch: 2 });
});
afterAll(async () => {
  await closeAllClipSessions();
  rmSync(root, { recursive: true, force: true });
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);
const row = (data: Float32Array, i: number) => data.subarray(i * E, (i + 1) * E);
const pad77 = (ids: number[]) => [...ids, ...new Array<number>(77 - ids.length).fill(0)];

const texts = [
  [49406, 320, 1125, 539, 320, 40862, 269, 49407], // a photo of a melanoma.
  [49406, 343, 343, 343, 343, 8848, 539, 41111, 269, 49407],
  [49406, 49407],
  [49406, 518, 3049, 791, 21977, 267, 541, 7984, 3480, 20938, 269, 49407],
  [49406, 2461, 268, 3313, 49407],
];

describe('openClipSessions', () => {
  it('picks a provider this build supports, the CPU here, and shares sessions per package', async () => {
    expect(candidateProviders().at(-1)).toBe('cpu');
    expect(candidateProviders()).toContain(clip.executionProvider);
    expect(clip.projectionDim).toBe(E);
    expect(clip.packageId).toBe('demo');
    expect(await openClipSessions(pkg, { imageBatch: 2, textBatch: 2 })).toBe(clip);
  });

  it('embedTexts matches a direct run on full 77-token rows, whatever the batching and padding', async () => {
    const direct = await ort.InferenceSession.create(pkg.path('text.onnx'));
    const flat = BigInt64Array.from(texts.flatMap(pad77).map(BigInt));
    const want = (await direct.run({ input_ids: new ort.Tensor('int64', flat, [texts.length, 77]) }))['text_embeds']
      ?.data as Float32Array;
    await direct.release();
    const unpadded = await clip.embedTexts(texts);
    const padded = await clip.embedTexts(texts.map(pad77));
    expect(unpadded.length).toBe(texts.length * E);
    expect(maxAbsDiff(unpadded, want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(padded, want)).toBeLessThan(1e-5);
    expect(unpadded.every(Number.isFinite)).toBe(true);
    // The demo's random weights still tell texts apart.
    expect(maxAbsDiff(row(unpadded, 0), row(unpadded, 1))).toBeGreaterThan(1e-4);
    expect(await clip.embedTexts([])).toEqual(new Float32Array(0));
  });

  it('embedTextEmbeddings on looked-up token embeddings equals embedTexts', async () => {
    const tok = readSafetensors(pkg.path('text.safetensors')).tensors.get(
      'text_model.embeddings.token_embedding.weight',
    )?.data as Float32Array;
    const W = 64;
    const L = 12;
    const embeds = new Float32Array(texts.length * L * W);
    texts.forEach((ids, r) => ids.forEach((id, j) => embeds.set(tok.subarray(id * W, (id + 1) * W), (r * L + j) * W)));
    const got = await clip.embedTextEmbeddings(
      embeds,
      texts.length,
      texts.map((ids) => ids.length - 1),
    );
    expect(maxAbsDiff(got, await clip.embedTexts(texts))).toBeLessThan(1e-5);
  });

  it('embedImages: batched equals one by one; finite; different images give different features', async () => {
    const per = 3 * 224 * 224;
    const n = 3;
    const pixels = new Prng(1).fillNormal(new Float32Array(n * per));
    const all = await clip.embedImages(pixels, n);
    expect(all.length).toBe(n * E);
    expect(all.every(Number.isFinite)).toBe(true);
    for (let i = 0; i < n; i++) {
      const one = await clip.embedImages(pixels.slice(i * per, (i + 1) * per), 1);
      expect(maxAbsDiff(one, row(all, i))).toBeLessThan(1e-5);
    }
    expect(maxAbsDiff(row(all, 0), row(all, 1))).toBeGreaterThan(0);
    await expect(clip.embedImages(new Float32Array(10), 1)).rejects.toThrow(/not 1 images/);
  });

  it('rejects token ids outside the vocabulary and texts over the context length', async () => {
    await expect(clip.embedTexts([[49406, 49408]])).rejects.toThrow(/token id 49408 at position 1 is outside/);
    const long = [49406, ...new Array<number>(80).fill(320), 49407];
    await expect(clip.embedTexts([texts[0] as number[], long])).rejects.toThrow(/text 2 is longer than the model's 77/);
  });

  it('an ONNX file that does not load gives a bad_input naming it', async () => {
    const dir = join(root, 'broken', 'demo');
    cpSync(pkg.dir, dir, { recursive: true });
    writeFileSync(join(dir, 'image.onnx'), 'not a model');
    const broken: ModelPackage = { ...pkg, dir, path: (name) => join(dir, name) };
    let caught: unknown;
    try {
      await openClipSessions(broken, { executionProvider: 'cpu' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(VipError);
    expect((caught as VipError).code).toBe('bad_input');
    expect((caught as VipError).message).toMatch(/model package "demo": cannot load image\.onnx/);
  });
});
