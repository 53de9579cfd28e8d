/**
 * onnxruntime sessions for a model package's towers, created once per package and shared. The execution provider is
 * chosen at start: CUDA, then DirectML, then CoreML when this onnxruntime build lists them, else the CPU; a provider
 * that fails to start falls back to the CPU.
 *
 * Text batches are sorted by length and cut after the last EOT of each chunk: the text tower is causal, so positions
 * after a row's EOT never change its features, and short texts need not pay for 77 positions.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, platform } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { badInput } from '@shared/errors';
import type { ModelPackage, PackageFile } from './package';

export type ExecutionProvider = 'cuda' | 'dml' | 'coreml' | 'cpu';
const preference: readonly ExecutionProvider[] = ['cuda', 'dml', 'coreml'];

export interface SessionOptions {
  /** 'auto' (default) picks from what this onnxruntime build supports; VIP_ONNX_PROVIDER overrides 'auto'. */
  executionProvider?: 'auto' | ExecutionProvider;
  /** Images per run (default 16). */
  imageBatch?: number;
  /** Texts per run (default 64). */
  textBatch?: number;
}

export interface ClipSessions {
  readonly packageId: string;
  readonly executionProvider: ExecutionProvider;
  /** Feature size E of both towers. */
  readonly projectionDim: number;
  /** Preprocessed pixels [n, 3, S, S] -> image features [n, E] (not normalised). */
  embedImages(pixels: Float32Array, n: number): Promise<Float32Array>;
  /** Token rows (SOT ... EOT, optionally padded) -> text features [rows, E] (not normalised). */
  embedTexts(ids: readonly (readonly number[])[]): Promise<Float32Array>;
  /**
   * Token embeddings [n, L, W] (positions not added; e.g. with the context prompt in place) and each row's EOT
   * position -> text features [n, E].
   */
  embedTextEmbeddings(embeds: Float32Array, n: number, eotIndex: readonly number[]): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Whether the provider's shared library is installed next to the onnxruntime binding. Providers that are not bundled
 * (CUDA on Linux) are listed even when absent; trying one then prints a native error on every start.
 */
function providerLibraryPresent(name: string): boolean {
  try {
    const dist = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
    const bin = join(dist, '..', 'bin');
    const napi = readdirSync(bin).filter((d) => d.startsWith('napi-'));
    return napi.some((d) => {
      const folder = join(bin, d, platform(), arch());
      return existsSync(folder) && readdirSync(folder).some((f) => f.includes(`onnxruntime_providers_${name}`));
    });
  } catch {
    return true; // cannot tell: try it, the CPU fallback still applies
  }
}

/** The providers this onnxruntime build can use, in order of preference, always ending with the CPU. */
export function candidateProviders(): ExecutionProvider[] {
  const usable = new Set(
    ort
      .listSupportedBackends()
      .filter((b) => b.bundled || providerLibraryPresent(b.name))
      .map((b) => b.name),
  );
  return [...preference.filter((p) => usable.has(p)), 'cpu'];
}

function sessionOptions(provider: ExecutionProvider): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    intraOpNumThreads: Math.max(1, cpus().length),
    graphOptimizationLevel: 'all',
  };
}

async function createSession(
  pkg: ModelPackage,
  file: PackageFile,
  provider: ExecutionProvider,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(pkg.path(file), sessionOptions(provider));
  } catch (err) {
    const why = String((err as Error).message ?? err).split('\n')[0];
    throw badInput(`model package "${pkg.manifest.id}": cannot load ${file}: ${why}`);
  }
}

/** Opens the image session on the best provider that works; later sessions use the same provider. */
async function openFirstSession(
  pkg: ModelPackage,
  requested: SessionOptions['executionProvider'],
): Promise<{ session: ort.InferenceSession; provider: ExecutionProvider }> {
  const fromEnv = process.env['VIP_ONNX_PROVIDER'] as ExecutionProvider | undefined;
  const choice = requested && requested !== 'auto' ? requested : fromEnv;
  const candidates = choice ? [choice, ...(choice === 'cpu' ? [] : (['cpu'] as const))] : candidateProviders();
  let lastError: unknown;
  for (const provider of candidates) {
    try {
      return { session: await createSession(pkg, 'image.onnx', provider), provider };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

const cache = new Map<string, { key: string; sessions: Promise<ClipSessions>; provider?: ExecutionProvider }>();

/** The providers of the sessions open in this process (empty before the first prediction or embedding). */
export function providersInUse(): ExecutionProvider[] {
  return [...new Set([...cache.values()].flatMap((c) => (c.provider ? [c.provider] : [])))];
}

function cacheKey(pkg: ModelPackage, options: SessionOptions): string {
  const f = pkg.manifest.files;
  return [f['image.onnx']?.sha256, f['text.onnx']?.sha256, options.executionProvider ?? 'auto'].join(':');
}

/**
 * The sessions of a package, created on first use and shared afterwards. A package replaced on disk (new checksums)
 * gets new sessions and the old ones are released.
 */
export function openClipSessions(pkg: ModelPackage, options: SessionOptions = {}): Promise<ClipSessions> {
  const key = cacheKey(pkg, options);
  const known = cache.get(pkg.dir);
  if (known && known.key === key) return known.sessions;
  if (known) void known.sessions.then((s) => s.release()).catch(() => undefined);
  const sessions = createClipSessions(pkg, options);
  const entry: { key: string; sessions: Promise<ClipSessions>; provider?: ExecutionProvider } = { key, sessions };
  cache.set(pkg.dir, entry);
  sessions.then(
    (s) => (entry.provider = s.executionProvider),
    () => undefined,
  );
  // A failed open is not cached: the next call tries again (the user may have repaired the package).
  sessions.catch(() => {
    if (cache.get(pkg.dir)?.sessions === sessions) cache.delete(pkg.dir);
  });
  return sessions;
}

/** Releases and forgets the sessions of every package (for shutdown and tests). */
export async function closeAllClipSessions(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map((c) => c.sessions.then((s) => s.release()).catch(() => undefined)));
}

async function createClipSessions(pkg: ModelPackage, options: SessionOptions): Promise<ClipSessions> {
  const { architecture: arch, tokenizer } = pkg.manifest;
  const E = arch.projectionDim;
  const S = arch.vision.imageSize;
  const C = arch.vision.numChannels;
  const W = arch.text.hiddenSize;
  const maxLength = arch.text.maxPositions;
  const imageBatch = Math.max(1, options.imageBatch ?? 16);
  const textBatch = Math.max(1, options.textBatch ?? 64);

  const { session: image, provider } = await openFirstSession(pkg, options.executionProvider);
  // The text towers are opened on first use: a prediction with a version's cached text side never needs them, and
  // the input_ids form is only for zero-shot prompts (start-up time and memory of the CLI and the app).
  let text: Promise<ort.InferenceSession> | undefined;
  let textEmbeds: Promise<ort.InferenceSession> | undefined;

  const run = async (session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, name: string) => {
    const result = await session.run(feeds);
    const out = result[name];
    if (!out) throw new Error(`${name} missing from the ONNX output`);
    return out.data as Float32Array;
  };

  const embedImages = async (pixels: Float32Array, n: number): Promise<Float32Array> => {
    const per = C * S * S;
    if (!Number.isInteger(n) || n < 0 || pixels.length !== n * per) {
      throw new Error(`embedImages: ${pixels.length} values is not ${n} images of ${C}x${S}x${S}`);
    }
    const out = new Float32Array(n * E);
    for (let start = 0; start < n; start += imageBatch) {
      const count = Math.min(imageBatch, n - start);
      const batch = pixels.subarray(start * per, (start + count) * per);
      const y = await run(image, { pixel_values: new ort.Tensor('float32', batch, [count, C, S, S]) }, 'image_embeds');
      out.set(y.subarray(0, count * E), start * E);
    }
    return out;
  };

  const embedTexts = async (rows: readonly (readonly number[])[]): Promise<Float32Array> => {
    const eots = rows.map((row, i) => eotPosition(row, i, arch.text.vocabSize, maxLength));
    // Similar lengths together, so each chunk is cut as short as it can be.
    const order = rows.map((_, i) => i).sort((a, b) => (eots[a] as number) - (eots[b] as number));
    const out = new Float32Array(rows.length * E);
    for (let start = 0; start < order.length; start += textBatch) {
      const chunk = order.slice(start, start + textBatch);
      const length = Math.max(...chunk.map((i) => eots[i] as number)) + 1;
      const flat = new BigInt64Array(chunk.length * length).fill(BigInt(tokenizer.padId));
      chunk.forEach((rowIndex, r) => {
        const row = rows[rowIndex] as readonly number[];
        for (let j = 0; j < Math.min(length, row.length); j++) flat[r * length + j] = BigInt(row[j] as number);
      });
      text ??= createSession(pkg, 'text.onnx', provider);
      const y = await run(
        await text,
        { input_ids: new ort.Tensor('int64', flat, [chunk.length, length]) },
        'text_embeds',
      );
      chunk.forEach((rowIndex, r) => out.set(y.subarray(r * E, (r + 1) * E), rowIndex * E));
    }
    return out;
  };

  const embedTextEmbeddings = async (
    embeds: Float32Array,
    n: number,
    eotIndex: readonly number[],
  ): Promise<Float32Array> => {
    const length = n === 0 ? 0 : embeds.length / (n * W);
    if (n === 0) return new Float32Array(0);
    if (!Number.isInteger(length) || length < 1 || length > maxLength || eotIndex.length !== n) {
      throw new Error(
        `embedTextEmbeddings: ${embeds.length} values is not ${n} rows of L x ${W} with L <= ${maxLength}`,
      );
    }
    if (eotIndex.some((e) => !Number.isInteger(e) || e < 0 || e >= length)) {
      throw new Error(`embedTextEmbeddings: an EOT index is outside 0..${length - 1}`);
    }
    textEmbeds ??= createSession(pkg, 'text-embeds.onnx', provider);
    const session = await textEmbeds;
    const out = new Float32Array(n * E);
    for (let start = 0; start < n; start += textBatch) {
      const count = Math.min(textBatch, n - start);
      const rowsEot = eotIndex.slice(start, start + count);
      // Causal: everything after the chunk's last EOT can be cut.
      const cut = Math.max(...rowsEot) + 1;
      const slab = new Float32Array(count * cut * W);
      for (let r = 0; r < count; r++) {
        const from = (start + r) * length * W;
        slab.set(embeds.subarray(from, from + cut * W), r * cut * W);
      }
      const y = await run(
        session,
        {
          inputs_embeds: new ort.Tensor('float32', slab, [count, cut, W]),
          eot_index: new ort.Tensor('int64', BigInt64Array.from(rowsEot.map(BigInt)), [count]),
        },
        'text_embeds',
      );
      out.set(y.subarray(0, count * E), start * E);
    }
    return out;
  };

  return {
    packageId: pkg.manifest.id,
    executionProvider: provider,
    projectionDim: E,
    embedImages,
    embedTexts,
    embedTextEmbeddings,
    async release() {
      await image.release();
      for (const lazy of [text, textEmbeds]) {
        // A session that failed to open has nothing to release.
        const session = lazy ? await lazy.catch(() => null) : null;
        if (session) await session.release();
      }
    },
  };
}

/** The EOT position of a token row: the first largest id, as the ONNX graph takes it. */
function eotPosition(row: readonly number[], index: number, vocabSize: number, maxLength: number): number {
  if (row.length === 0) throw badInput(`text ${index + 1} has no tokens`);
  let best = 0;
  for (let j = 0; j < row.length; j++) {
    const id = row[j] as number;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw badInput(
        `text ${index + 1}: token id ${id} at position ${j} is outside the vocabulary (0..${vocabSize - 1})`,
      );
    }
    if (id > (row[best] as number)) best = j;
  }
  if (best >= maxLength) {
    throw badInput(
      `text ${index + 1} is longer than the model's ${maxLength} tokens (its end token is at ${best + 1})`,
    );
  }
  return best;
}
