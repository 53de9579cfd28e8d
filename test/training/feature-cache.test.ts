/**
 * The feature cache with a stand-in image tower (per-channel means of the pixels, so a view's features show what
 * it saw): extracted once, reused, resumable after an interruption, seeded augmentation, unreadable images reported.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VipError } from '../../src/shared/errors';
import { Prng } from '../../src/main/engine/model/prng';
import { defaultAugment, sampleCrop, type ViewPreprocessing } from '../../src/main/engine/training/augment';
import {
  FeatureCache,
  extractFeatures,
  viewKind,
  type FeatureSource,
} from '../../src/main/engine/training/feature-cache';
import { writeSyntheticDataset } from '../helpers/synthetic-dataset';

const size = 32;
const prep: ViewPreprocessing = { size, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
const d = 4;
let dir: string;
let sources: FeatureSource[];

/** Counts image-tower calls and views; features = [mean c0, mean c1, mean c2, mean of the left half of c0]. */
function fakeTower(): {
  embed: (pixels: Float32Array, n: number) => Promise<Float32Array>;
  views: number;
  calls: number;
} {
  const state = {
    views: 0,
    calls: 0,
    embed: (pixels: Float32Array, n: number): Promise<Float32Array> => {
      state.calls++;
      state.views += n;
      const plane = size * size;
      const out = new Float32Array(n * d);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let p = 0; p < plane; p++) s += pixels[(i * 3 + c) * plane + p] ?? 0;
          out[i * d + c] = s / plane;
        }
        let left = 0;
        for (let y = 0; y < size; y++)
          for (let x = 0; x < size / 2; x++) left += pixels[i * 3 * plane + y * size + x] ?? 0;
        out[i * d + 3] = left / (plane / 2);
      }
      return Promise.resolve(out);
    },
  };
  return state;
}

function source(path: string): FeatureSource {
  const bytes = readFileSync(path);
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    name: path,
    read: () => Promise.resolve(new Uint8Array(readFileSync(path))),
  };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vip-features-'));
  const paths = await writeSyntheticDataset(join(dir, 'ds'), { perClass: { train: 3 }, size: 40 });
  sources = paths.map(source);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cacheOf = (): FeatureCache => new FeatureCache(join(dir, 'cache'), d);

describe('extractFeatures', () => {
  it('computes each image once, then answers from the cache with the same values', async () => {
    const tower = fakeTower();
    const first = await extractFeatures(cacheOf(), tower.embed, sources, {
      views: 1,
      augment: null,
      seed: 0,
      preprocessing: prep,
      batchSize: 4,
    });
    expect(tower.views).toBe(6);
    expect(tower.calls).toBe(2); // 4 + 2 views
    expect(first.extractedViews).toBe(6);
    const again = fakeTower();
    const second = await extractFeatures(cacheOf(), again.embed, sources, {
      views: 1,
      augment: null,
      seed: 0,
      preprocessing: prep,
    });
    expect(again.views).toBe(0);
    expect(second.cached).toBe(6);
    second.features.forEach((f, i) => expect(Array.from(f ?? [])).toEqual(Array.from(first.features[i] ?? [])));
  });

  it('an interrupted extraction keeps finished images and the next run computes only the rest', async () => {
    const controller = new AbortController();
    const tower = fakeTower();
    const run = extractFeatures(cacheOf(), tower.embed, sources, {
      views: 1,
      augment: null,
      seed: 0,
      preprocessing: prep,
      batchSize: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 2) controller.abort();
      },
    });
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof VipError && e.code === 'cancelled');
    expect(tower.views).toBe(2);
    const rest = fakeTower();
    const resumed = await extractFeatures(cacheOf(), rest.embed, sources, {
      views: 1,
      augment: null,
      seed: 0,
      preprocessing: prep,
      batchSize: 2,
    });
    expect(rest.views).toBe(4);
    expect(resumed.cached).toBe(2);
  });

  it('augmented views are seeded: the same seed gives the same views, another seed others', async () => {
    const opts = { views: 3, augment: defaultAugment, seed: 7, preprocessing: prep };
    const a = await extractFeatures(cacheOf(), fakeTower().embed, sources.slice(0, 2), opts);
    rmSync(join(dir, 'cache'), { recursive: true });
    const b = await extractFeatures(cacheOf(), fakeTower().embed, sources.slice(0, 2), opts);
    expect(Array.from(b.features[0] ?? [])).toEqual(Array.from(a.features[0] ?? []));
    const rows = (f: Float32Array | null | undefined): string[] =>
      Array.from({ length: 3 }, (_, v) => Array.from(f?.subarray(v * d, (v + 1) * d) ?? []).join(','));
    // Three different crops of the same image.
    expect(new Set(rows(a.features[0])).size).toBe(3);
    const other = await extractFeatures(cacheOf(), fakeTower().embed, sources.slice(0, 2), { ...opts, seed: 8 });
    expect(rows(other.features[0])).not.toEqual(rows(a.features[0]));
    expect(viewKind(defaultAugment, 7)).not.toBe(viewKind(defaultAugment, 8));
    expect(viewKind(null, 7)).toBe('center');
  });

  it('more views later extend the cached ones without recomputing them', async () => {
    const opts = { augment: defaultAugment, seed: 1, preprocessing: prep };
    const two = await extractFeatures(cacheOf(), fakeTower().embed, sources, { ...opts, views: 2 });
    const tower = fakeTower();
    const three = await extractFeatures(cacheOf(), tower.embed, sources, { ...opts, views: 3 });
    expect(tower.views).toBe(sources.length);
    expect(Array.from(three.features[0]?.subarray(0, 2 * d) ?? [])).toEqual(Array.from(two.features[0] ?? []));
  });

  it('reports unreadable images and goes on with the others', async () => {
    const broken = join(dir, 'broken.png');
    writeFileSync(broken, Buffer.concat([readFileSync(sources[0]?.name ?? '').subarray(0, 60)]));
    const all = [...sources.slice(0, 2), source(broken)];
    const r = await extractFeatures(cacheOf(), fakeTower().embed, all, {
      views: 1,
      augment: null,
      seed: 0,
      preprocessing: prep,
    });
    expect(r.failures.map((f) => f.index)).toEqual([2]);
    expect(r.features[2]).toBeNull();
    expect(r.features[0]).not.toBeNull();
  });

  it('a damaged cache file is recomputed', async () => {
    const cache = cacheOf();
    await extractFeatures(cache, fakeTower().embed, sources.slice(0, 1), {
      views: 1,
      augment: null,
      seed: 0,
      preprocessing: prep,
    });
    const file = cache.path(sources[0]?.sha256 ?? '', 'center');
    expect(existsSync(file)).toBe(true);
    writeFileSync(file, Buffer.alloc(5));
    const tower = fakeTower();
    await extractFeatures(cache, tower.embed, sources.slice(0, 1), {
      views: 1,
      augment: null,
      seed: 0,
      preprocessing: prep,
    });
    expect(tower.views).toBe(1);
  });
});

describe('sampleCrop (torchvision RandomResizedCrop parameters)', () => {
  it('stays inside the image with area and aspect ratio in range', () => {
    for (let s = 0; s < 200; s++) {
      const box = sampleCrop(300, 200, defaultAugment, new Prng(`crop:${s}`));
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left + box.width).toBeLessThanOrEqual(300);
      expect(box.top + box.height).toBeLessThanOrEqual(200);
      const area = (box.width * box.height) / (300 * 200);
      expect(area).toBeGreaterThan(0.06);
      expect(box.width / box.height).toBeGreaterThan(0.7);
      expect(box.width / box.height).toBeLessThan(1.45);
    }
  });

  it('falls back to a ratio-clamped centre crop for extreme shapes', () => {
    const box = sampleCrop(1000, 10, { ...defaultAugment, scale: [0.9, 1] }, new Prng('wide'));
    // No 10-try draw fits 90-100 % of a 100:1 image at ratio <= 4/3: centre crop 13 x 10.
    expect(box).toMatchObject({ width: 13, height: 10, top: 0, left: Math.floor((1000 - 13) / 2) });
  });

  it('flips about half of the time', () => {
    let flips = 0;
    for (let s = 0; s < 400; s++) if (sampleCrop(64, 64, defaultAugment, new Prng(`flip:${s}`)).flip) flips++;
    expect(flips).toBeGreaterThan(150);
    expect(flips).toBeLessThan(250);
    expect(sampleCrop(64, 64, { ...defaultAugment, flip: false }, new Prng('x')).flip).toBe(false);
  });
});
