/**
 * Image features computed once and kept on disk: `<data>/features/<package id>/<preprocessing hash>/<aa>/<sha256>.<kind>.f32`,
 * one file per image content and kind of view (`center`: the evaluation view; `rrc-<hash>`: augmented training views
 * for one seed and augmentation setting), rows = views in order, raw little-endian float32 of the feature size.
 * The preprocessing hash covers the image tower's checksum and the preprocessing, so a changed model never reads
 * stale features. Files are written whole (temporary file, then rename): an interrupted extraction keeps every
 * finished image and the next run continues from there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VipError } from '@shared/errors';
import { Prng } from '../model/prng';
import type { ModelPackage } from '../model/package';
import {
  augmentedView,
  centerView,
  decodeForModel,
  sampleCrop,
  type AugmentOptions,
  type ViewPreprocessing,
} from './augment';

const CACHE_FORMAT = 1;

/** One image to featurise: its content hash (the cache key) and how to read its bytes. */
export interface FeatureSource {
  sha256: string;
  /** Shown in warnings (a path or a case image). */
  name: string;
  read(): Promise<Uint8Array>;
}

/** What the features of a package depend on besides the image: the tower and the preprocessing. */
export function preprocessingHash(pkg: ModelPackage): string {
  const key = JSON.stringify({
    format: CACHE_FORMAT,
    image: pkg.manifest.files['image.onnx']?.sha256 ?? null,
    preprocessing: pkg.manifest.preprocessing,
  });
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function featureCacheDir(featuresRoot: string, pkg: ModelPackage): string {
  return join(featuresRoot, pkg.manifest.id, preprocessingHash(pkg));
}

export function viewPreprocessing(pkg: ModelPackage): ViewPreprocessing {
  const p = pkg.manifest.preprocessing;
  return { size: p.cropSize, mean: p.mean, std: p.std };
}

/** The file-name kind of a set of views: `center`, or `rrc-<hash>` of the seed and augmentation. */
export function viewKind(augment: AugmentOptions | null, seed: number): string {
  if (augment === null) return 'center';
  const key = JSON.stringify({ seed, scale: augment.scale, ratio: augment.ratio, flip: augment.flip });
  return `rrc-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export class FeatureCache {
  constructor(
    readonly dir: string,
    readonly embedDim: number,
  ) {}

  path(sha256: string, kind: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new VipError('internal', `not a sha256: ${sha256}`);
    return join(this.dir, sha256.slice(0, 2), `${sha256}.${kind}.f32`);
  }

  /** The cached rows (views) of an image, or null; a file of the wrong size counts as absent. */
  async read(sha256: string, kind: string): Promise<Float32Array | null> {
    let buf: Buffer;
    try {
      buf = await readFile(this.path(sha256, kind));
    } catch {
      return null;
    }
    const rowBytes = this.embedDim * 4;
    if (buf.length === 0 || buf.length % rowBytes !== 0) return null;
    const out = new Float32Array(buf.length / 4);
    new Uint8Array(out.buffer).set(buf);
    return out;
  }

  async write(sha256: string, kind: string, rows: Float32Array): Promise<void> {
    const path = this.path(sha256, kind);
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

export interface ExtractProgress {
  /** Images finished (cached, extracted or failed). */
  done: number;
  total: number;
  /** Images whose views were all in the cache. */
  cached: number;
  /** Views computed by the image tower so far. */
  extractedViews: number;
}

export interface ExtractOptions {
  /** K views per image; with `augment` null it must be 1 (the evaluation view). */
  views: number;
  augment: AugmentOptions | null;
  seed: number;
  preprocessing: ViewPreprocessing;
  /** Views per image-tower run (default 16). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: ExtractProgress) => void;
}

export interface ExtractFailure {
  index: number;
  name: string;
  reason: string;
}

export interface ExtractResult {
  /** Per source: `[K, d]` row-major, or null when the image could not be read. */
  features: (Float32Array | null)[];
  failures: ExtractFailure[];
  cached: number;
  extractedViews: number;
}

/** The image tower: `[n, 3, S, S]` pixels to `[n, d]` features. */
export type EmbedImages = (pixels: Float32Array, n: number) => Promise<Float32Array>;

/**
 * Features of K views of every source: from the cache where present, else computed in batches and cached. An image
 * that cannot be decoded is reported in `failures` (its features null) and the others go on.
 */
export async function extractFeatures(
  cache: FeatureCache,
  embed: EmbedImages,
  sources: readonly FeatureSource[],
  options: ExtractOptions,
): Promise<ExtractResult> {
  const { views: k, augment, seed, preprocessing } = options;
  if (!Number.isInteger(k) || k < 1 || (augment === null && k !== 1)) {
    throw new VipError('internal', `extractFeatures: ${k} views ${augment === null ? 'without augmentation' : ''}`);
  }
  const d = cache.embedDim;
  const kind = viewKind(augment, seed);
  const batchViews = Math.max(1, options.batchSize ?? 16);
  const features: (Float32Array | null)[] = new Array<Float32Array | null>(sources.length).fill(null);
  const failures: ExtractFailure[] = [];
  let cached = 0;
  let extractedViews = 0;
  let done = 0;
  const report = (): void => options.onProgress?.({ done, total: sources.length, cached, extractedViews });

  // Which views each image still needs.
  const pending: { index: number; have: Float32Array | null }[] = [];
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i] as FeatureSource;
    const have = await cache.read(src.sha256, kind);
    if (have && have.length >= k * d) {
      features[i] = have.slice(0, k * d);
      cached++;
      done++;
    } else pending.push({ index: i, have });
  }
  report();

  for (let start = 0; start < pending.length;) {
    if (options.signal?.aborted) throw new VipError('cancelled', 'feature extraction was cancelled');
    // Images whose missing views fill about one batch (at least one image).
    const chunk: typeof pending = [];
    let viewCount = 0;
    while (start < pending.length && (chunk.length === 0 || viewCount + k <= batchViews)) {
      const item = pending[start++] as (typeof pending)[number];
      chunk.push(item);
      viewCount += k - (item.have ? item.have.length / d : 0);
    }
    const prepared = await Promise.all(
      chunk.map(async ({ index, have }) => {
        const src = sources[index] as FeatureSource;
        const first = have ? have.length / d : 0;
        try {
          const rgb = await decodeForModel(await src.read(), src.name);
          const pixels: Float32Array[] = [];
          for (let v = first; v < k; v++) {
            if (augment === null) pixels.push(await centerView(rgb, preprocessing, src.name));
            else {
              const box = sampleCrop(rgb.width, rgb.height, augment, new Prng(`${seed}:${src.sha256}:${v}`));
              pixels.push(await augmentedView(rgb, box, preprocessing, src.name));
            }
          }
          return { index, have, pixels };
        } catch (err) {
          failures.push({ index, name: src.name, reason: err instanceof Error ? err.message : String(err) });
          return null;
        }
      }),
    );
    const ok = prepared.filter((p): p is NonNullable<typeof p> => p !== null);
    const per = 3 * preprocessing.size * preprocessing.size;
    const n = ok.reduce((sum, p) => sum + p.pixels.length, 0);
    const batch = new Float32Array(n * per);
    let row = 0;
    for (const p of ok) for (const px of p.pixels) batch.set(px, row++ * per);
    const out = n > 0 ? await embed(batch, n) : new Float32Array(0);
    if (out.length !== n * d)
      throw new VipError('internal', `image tower returned ${out.length} values for ${n} views of ${d}`);
    row = 0;
    for (const p of ok) {
      const all = new Float32Array(k * d);
      if (p.have) all.set(p.have.subarray(0, p.have.length));
      const from = p.have ? p.have.length : 0;
      all.set(out.subarray(row * d, (row + p.pixels.length) * d), from);
      row += p.pixels.length;
      await cache.write((sources[p.index] as FeatureSource).sha256, kind, all);
      features[p.index] = all;
      extractedViews += p.pixels.length;
    }
    done += chunk.length;
    report();
  }
  failures.sort((a, b) => a.index - b.index);
  return { features, failures, cached, extractedViews };
}
