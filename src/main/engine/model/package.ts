/**
 * Model packages: one folder per CLIP, `<dataDir>/models/<id>/`, holding everything the engine needs in files a
 * person can inspect:
 *
 *   manifest.json      what this is (source, architecture, preprocessing, tokenizer ids) and each file's sha256
 *   config.json        the Hugging Face CLIPModel config
 *   vocab.json, merges.txt   the CLIP BPE tokenizer
 *   text.safetensors   text tower + text_projection: the one source of the text weights (ONNX and tfjs)
 *   text.onnx          input_ids -> text_embeds
 *   text-embeds.onnx   inputs_embeds + eot_index -> text_embeds (for the context prompt)
 *   image.onnx         pixel_values -> image_embeds
 *
 * A package is built in a temporary folder beside its final place and renamed in whole, so a reader never sees half
 * of one; a build that is cancelled (its AbortSignal) or fails removes that folder. Building a full-size CLIP takes
 * minutes, so it reports its steps and yields to the event loop between them and between tensors and chunks within
 * them: a host stays responsive and a cancel is seen within a step. Loading checks every file's presence, size and
 * checksum; a stamp keyed by size and mtime spares re-hashing big packages on every start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ModelBuildProgress, ModelBuildStep } from '@shared/contract';
import { badInput, VipError } from '@shared/errors';
import { clipTokenizerFiles } from './bpe-files';
import {
  checkTensors,
  clipConfigSchema,
  expectedTensorShapes,
  parseClipConfig,
  type ClipConfig,
  type TowerSelection,
} from './clip-config';
import { checkDemoOptions, demoConfigJson, demoTensorValues, type DemoPreset } from './demo-checkpoint';
import { readSafetensorsHeader, writeSafetensorsToFd, type TensorInput } from './safetensors';

export const packageFormatVersion = 1;
export const randomWeightsWarning = 'random weights, not for clinical use';

export const packageFiles = [
  'config.json',
  'vocab.json',
  'merges.txt',
  'text.safetensors',
  'text.onnx',
  'text-embeds.onnx',
  'image.onnx',
] as const;
export type PackageFile = (typeof packageFiles)[number];

/** The CLIP normalisation constants (OpenAI). */
export const clipMean: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const clipStd: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

const packageIdPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const sourceKinds = ['demo', 'huggingface-folder', 'huggingface-hub', 'onnx-folder'] as const;
const triple = z.tuple([z.number(), z.number(), z.number()]);

export const preprocessingSchema = z.object({
  /** Shorter side after resizing. */
  imageSize: z.number().int().positive(),
  /** Side of the centre crop: the vision tower's input size. */
  cropSize: z.number().int().positive(),
  mean: triple,
  std: triple.refine((s) => s.every((v) => v > 0), 'std values must be positive'),
  resample: z.literal('bicubic'),
});
export type Preprocessing = z.infer<typeof preprocessingSchema>;

export const packageSourceSchema = z.object({
  kind: z.enum(sourceKinds),
  /** A repo id, a folder path, or `demo:<preset>:<seed>`. */
  ref: z.string().min(1),
  revision: z.string().optional(),
});
export type PackageSource = z.infer<typeof packageSourceSchema>;

export const manifestSchema = z.object({
  formatVersion: z.literal(packageFormatVersion),
  id: z.string().regex(packageIdPattern),
  name: z.string().min(1),
  createdAt: z.string(),
  source: packageSourceSchema,
  randomWeights: z.boolean(),
  warning: z.string().optional(),
  architecture: clipConfigSchema,
  preprocessing: preprocessingSchema,
  tokenizer: z.object({
    contextLength: z.number().int().positive(),
    sotId: z.number().int().nonnegative(),
    eotId: z.number().int().nonnegative(),
    padId: z.number().int().nonnegative(),
  }),
  files: z.record(
    z.string(),
    z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() }),
  ),
});
export type PackageManifest = z.infer<typeof manifestSchema>;

export interface ModelPackage {
  manifest: PackageManifest;
  /** Absolute folder of the package. */
  dir: string;
  path(name: PackageFile): string;
}

/** What a long build obeys and reports. */
export interface BuildHooks {
  /** Seen between steps and between tensors and chunks within them; the build then removes what it wrote. */
  signal?: AbortSignal;
  onProgress?: (progress: ModelBuildProgress) => void;
}

/** Handed to a per-tower tensor source, so that reading or generating a big tower reports and can be stopped. */
export interface TensorReadHooks {
  /** Yields to the event loop (a cancel can arrive meanwhile); throws `cancelled` once the build is cancelled. */
  checkpoint(): Promise<void>;
  /** Float32 bytes of the tower's weights ready so far. */
  onBytes(done: number): void;
}

type Tower = Exclude<TowerSelection, 'all'>;
type TensorMap = ReadonlyMap<string, TensorInput>;

/** Tensors given whole, or per tower on demand so a big model need not be in memory twice over. */
export type TensorSource = TensorMap | ((tower: Tower, hooks: TensorReadHooks) => TensorMap | Promise<TensorMap>);

export interface WritePackageOptions extends BuildHooks {
  /** The Hugging Face config.json object (written back as config.json). */
  config: unknown;
  tensors: TensorSource;
  tokenizerFiles: { vocabJson: string; mergesTxt: string };
  source: PackageSource;
  randomWeights: boolean;
  /** Defaults to CLIP's: resize and crop to the vision input size, OpenAI mean and std, bicubic. */
  preprocessing?: Preprocessing;
  /** A human name; defaults to the id. */
  name?: string;
  /** Replace a package with the same id. */
  overwrite?: boolean;
  /** Fixed creation time (ISO); the demo uses this to make whole packages reproducible. */
  createdAt?: string;
  /** Called as each file is finished, for progress reporting. */
  onFile?: (name: PackageFile) => void;
}

const manifestName = 'manifest.json';
const stampName = '.verified.json';

export function validatePackageId(id: string): string {
  if (!packageIdPattern.test(id)) {
    throw badInput(
      `model package id "${id}" is not valid: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return id;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes bytes (or runs a writer on an open file), then fsyncs, so a renamed package is complete on disk. */
function writeFileDurably(path: string, content: Uint8Array | string | ((fd: number) => void)): void {
  const fd = openSync(path, 'wx');
  try {
    if (typeof content === 'function') content(fd);
    else {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface TokenizerIds {
  sotId: number;
  eotId: number;
}

/** Checks vocab.json / merges.txt enough to be sure the package will tokenize, and finds SOT/EOT. */
function checkTokenizerFiles(files: { vocabJson: string; mergesTxt: string }, vocabSize: number): TokenizerIds {
  let vocab: unknown;
  try {
    vocab = JSON.parse(files.vocabJson);
  } catch (err) {
    throw badInput(`vocab.json is not valid JSON (${(err as Error).message})`);
  }
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw badInput('vocab.json is not an object of token -> id');
  }
  const table = vocab as Record<string, unknown>;
  let maxId = -1;
  for (const [token, id] of Object.entries(table)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw badInput(`vocab.json: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}`);
    }
    maxId = Math.max(maxId, id);
  }
  if (maxId >= vocabSize) {
    throw badInput(`vocab.json has ids up to ${maxId} but the model's text_config.vocab_size is ${vocabSize}`);
  }
  const sotId = table['<|startoftext|>'];
  const eotId = table['<|endoftext|>'];
  if (typeof sotId !== 'number' || typeof eotId !== 'number') {
    throw badInput('vocab.json lacks <|startoftext|> or <|endoftext|>: not a CLIP tokenizer');
  }
  // The ONNX text tower finds EOT as the largest id in each row: that only works when EOT is the largest id.
  if (eotId !== maxId) throw badInput(`vocab.json: <|endoftext|> (${eotId}) is not the largest id (${maxId})`);
  if (!files.mergesTxt.split('\n').some((line) => line.trim() !== '' && !line.startsWith('#'))) {
    throw badInput('merges.txt holds no merges');
  }
  return { sotId, eotId };
}

function defaultPreprocessing(config: ClipConfig): Preprocessing {
  const size = config.vision.imageSize;
  return { imageSize: size, cropSize: size, mean: clipMean, std: clipStd, resample: 'bicubic' };
}

async function towerTensors(source: TensorSource, tower: Tower, hooks: TensorReadHooks): Promise<TensorMap> {
  return typeof source === 'function' ? source(tower, hooks) : source;
}

const buildSteps = [
  'tokenizer',
  'text-weights',
  'text-tower',
  'image-weights',
  'image-tower',
  'checksums',
] as const satisfies readonly ModelBuildStep[];

function towerBytes(config: ClipConfig, tower: Tower): number {
  return expectedTensorShapes(config, tower).reduce((sum, t) => sum + 4 * t.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Where a build is, as the share of its work done. Each step weighs the bytes it handles times a rate measured on
 * the demo (vit-b16 on two cores): generating or reading and writing the text weights, and each pair of text graphs,
 * cost about 1.5 times the text weights' bytes; the image weights and the image graph about their bytes; hashing the
 * finished files a seventh of theirs.
 */
class BuildTracker {
  /** Float32 bytes of each tower's weights. */
  readonly text: number;
  readonly vision: number;
  private readonly weights: Record<ModelBuildStep, number>;
  private readonly sum: number;

  constructor(
    private readonly id: string,
    config: ClipConfig,
    tokenizerBytes: number,
    private readonly hooks: BuildHooks,
  ) {
    const text = (this.text = towerBytes(config, 'text'));
    const vision = (this.vision = towerBytes(config, 'vision'));
    this.weights = {
      tokenizer: tokenizerBytes,
      'text-weights': 1.5 * text,
      'text-tower': 1.5 * text,
      'image-weights': vision,
      'image-tower': vision,
      checksums: (3 * text + vision) / 7,
    };
    this.sum = Object.values(this.weights).reduce((a, b) => a + b, 0);
  }

  /** Enters `step` (or reports within it: `done` of `total` bytes). */
  report(step: ModelBuildStep, done?: number, total?: number): void {
    const index = buildSteps.indexOf(step);
    let before = 0;
    for (const s of buildSteps.slice(0, index)) before += this.weights[s];
    const within = done !== undefined && total ? this.weights[step] * Math.min(1, done / total) : 0;
    this.hooks.onProgress?.({
      step,
      stepIndex: index + 1,
      stepCount: buildSteps.length,
      fraction: Math.min(1, (before + within) / this.sum),
      ...(done !== undefined && total !== undefined ? { done, total } : {}),
    });
  }

  /** Lets the event loop run, then stops the build if it was cancelled meanwhile. */
  async checkpoint(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.throwIfCancelled();
  }

  throwIfCancelled(): void {
    if (this.hooks.signal?.aborted) {
      throw new VipError('cancelled', `Building the model package "${this.id}" was cancelled; nothing was installed`);
    }
  }

  readHooks(step: ModelBuildStep, total: number): TensorReadHooks {
    return { checkpoint: () => this.checkpoint(), onBytes: (done) => this.report(step, done, total) };
  }

  /** A file's sha256 for the checksums step, reporting each chunk (`offset` of `total` bytes came before it). */
  async hash(path: string, offset: number, total: number): Promise<string> {
    const hash = createHash('sha256');
    let done = offset;
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      this.report('checksums', done, total);
      this.throwIfCancelled();
    }
    return hash.digest('hex');
  }
}

/** Text tower weights in sorted-name order, as text.safetensors stores them. */
function textTowerSubset(config: ClipConfig, tensors: ReadonlyMap<string, TensorInput>): Map<string, TensorInput> {
  const subset = new Map<string, TensorInput>();
  for (const { name } of expectedTensorShapes(config, 'text')) {
    const t = tensors.get(name);
    if (t) subset.set(name, t);
  }
  return subset;
}

/**
 * Builds a complete package under `<modelsDir>/<id>/`: everything goes into a temporary folder beside it first, then
 * one rename puts it in place (or nothing changes if anything fails).
 */
export async function writePackage(modelsDir: string, id: string, options: WritePackageOptions): Promise<ModelPackage> {
  validatePackageId(id);
  const finalDir = join(modelsDir, id);
  if (!options.overwrite && (await exists(finalDir))) {
    throw badInput(`model package "${id}" already exists (${finalDir}); choose another id or overwrite it`);
  }
  const config = parseClipConfig(options.config, 'config.json');
  const preprocessing = preprocessingSchema.parse(options.preprocessing ?? defaultPreprocessing(config));
  if (preprocessing.cropSize !== config.vision.imageSize) {
    throw badInput(
      `preprocessing crop size ${preprocessing.cropSize} differs from vision_config.image_size ${config.vision.imageSize}`,
    );
  }
  if (preprocessing.imageSize < preprocessing.cropSize) {
    throw badInput(
      `preprocessing resize ${preprocessing.imageSize} is smaller than the crop ${preprocessing.cropSize}`,
    );
  }
  const ids = checkTokenizerFiles(options.tokenizerFiles, config.text.vocabSize);
  const tokenizerBytes = options.tokenizerFiles.vocabJson.length + options.tokenizerFiles.mergesTxt.length;
  const build = new BuildTracker(id, config, tokenizerBytes, options);
  build.throwIfCancelled();

  // The graph builder (and onnx-proto) loads only when a package is written, not when one is read.
  const onnx = await import('./onnx/index');
  await mkdir(modelsDir, { recursive: true });
  const tmp = join(modelsDir, `.tmp-${id}-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp);
  try {
    const put: PutFile = (name, content) => {
      writeFileDurably(join(tmp, name), content);
      options.onFile?.(name);
    };
    build.report('tokenizer');
    put('config.json', JSON.stringify(options.config, null, 2) + '\n');
    put('vocab.json', options.tokenizerFiles.vocabJson);
    put('merges.txt', options.tokenizerFiles.mergesTxt);
    await build.checkpoint();

    // Text tower first, then the vision tower: with a per-tower source only one is in memory at a time.
    await writeTextTower(config, options.tensors, build, put, onnx);
    build.report('image-weights', 0, build.vision);
    const vision = await towerTensors(options.tensors, 'vision', build.readHooks('image-weights', build.vision));
    checkTensors(config, vision, 'vision', 'model weights');
    await build.checkpoint();
    build.report('image-tower');
    put('image.onnx', onnx.buildVisionModel(config, vision));
    await build.checkpoint();

    const sizes = new Map<PackageFile, number>();
    for (const name of packageFiles) sizes.set(name, (await stat(join(tmp, name))).size);
    const totalBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
    build.report('checksums', 0, totalBytes);
    const files: PackageManifest['files'] = {};
    let hashed = 0;
    for (const name of packageFiles) {
      const bytes = sizes.get(name) ?? 0;
      files[name] = { sha256: await build.hash(join(tmp, name), hashed, totalBytes), bytes };
      hashed += bytes;
    }
    const manifest: PackageManifest = {
      formatVersion: packageFormatVersion,
      id,
      name: options.name ?? id,
      createdAt: options.createdAt ?? new Date().toISOString(),
      source: options.source,
      randomWeights: options.randomWeights,
      ...(options.randomWeights ? { warning: randomWeightsWarning } : {}),
      architecture: config,
      preprocessing,
      tokenizer: { contextLength: config.text.maxPositions, sotId: ids.sotId, eotId: ids.eotId, padId: 0 },
      files,
    };
    writeFileDurably(join(tmp, manifestName), JSON.stringify(manifestSchema.parse(manifest), null, 2) + '\n');
    await writeStamp(tmp, manifest);
    // The last point where a cancel stops the build: after the rename the package is installed.
    build.throwIfCancelled();
    await moveIntoPlace(tmp, finalDir, id, options.overwrite === true);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return loadPackage(finalDir);
}

type PutFile = (name: PackageFile, content: Parameters<typeof writeFileDurably>[1]) => void;

/** text.safetensors and the two text graphs; its own function so the text tensors are freed before the vision tower. */
async function writeTextTower(
  config: ClipConfig,
  source: TensorSource,
  build: BuildTracker,
  put: PutFile,
  onnx: typeof import('./onnx/index'),
): Promise<void> {
  build.report('text-weights', 0, build.text);
  const text = await towerTensors(source, 'text', build.readHooks('text-weights', build.text));
  checkTensors(config, text, 'text', 'model weights');
  put('text.safetensors', (fd) =>
    writeSafetensorsToFd(fd, textTowerSubset(config, text), { format: 'pt', 'vip.content': 'clip text tower' }),
  );
  await build.checkpoint();
  build.report('text-tower');
  put('text.onnx', onnx.buildTextModel(config, text));
  await build.checkpoint();
  put('text-embeds.onnx', onnx.buildTextFromEmbeddingsModel(config, text));
  await build.checkpoint();
}

async function moveIntoPlace(tmp: string, finalDir: string, id: string, overwrite: boolean): Promise<void> {
  let old: string | undefined;
  if (overwrite && (await exists(finalDir))) {
    old = join(finalDir, '..', `.old-${id}-${randomBytes(6).toString('hex')}`);
    await rename(finalDir, old);
  }
  try {
    await rename(tmp, finalDir);
  } catch (err) {
    if (old) await rename(old, finalDir).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') {
      throw badInput(`model package "${id}" already exists (${finalDir}); another import finished first`);
    }
    throw err;
  }
  if (old) await rm(old, { recursive: true, force: true });
}

export interface CreateDemoOptions extends BuildHooks {
  id?: string;
  preset: DemoPreset;
  seed: number;
  overwrite?: boolean;
  onFile?: (name: PackageFile) => void;
}

/** The generated demo CLIP as a package (random weights, clearly labelled). Same preset + seed, same files. */
export async function createDemoPackage(modelsDir: string, options: CreateDemoOptions): Promise<ModelPackage> {
  const { preset, seed } = options;
  checkDemoOptions(preset, seed);
  const config = demoConfigJson(preset, seed);
  const clip = parseClipConfig(config, `demo preset ${preset}`);
  return writePackage(modelsDir, options.id ?? `demo-${preset}`, {
    config,
    // One tower at a time (ViT-L/14's weights are 1.7 GB), tensor by tensor so that the build can report and stop.
    tensors: async (tower, hooks) => {
      const tensors = new Map<string, TensorInput>();
      let done = 0;
      for (const { name, shape } of expectedTensorShapes(clip, tower)) {
        const data = demoTensorValues(name, shape, seed);
        tensors.set(name, { shape, data });
        done += data.byteLength;
        hooks.onBytes(done);
        await hooks.checkpoint();
      }
      return tensors;
    },
    tokenizerFiles: clipTokenizerFiles(),
    source: { kind: 'demo', ref: `demo:${preset}:${seed}` },
    randomWeights: true,
    name: `Demo CLIP ${preset} (seed ${seed}, ${randomWeightsWarning})`,
    overwrite: options.overwrite ?? false,
    ...(options.onFile ? { onFile: options.onFile } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

// ---- Loading and verifying ------------------------------------------------------------------------------------------

interface Stamp {
  manifestSha256: string;
  files: Record<string, { bytes: number; mtimeMs: number }>;
}

async function manifestDigest(dir: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(join(dir, manifestName)))
    .digest('hex');
}

async function writeStamp(dir: string, manifest: PackageManifest): Promise<void> {
  const files: Stamp['files'] = {};
  for (const name of Object.keys(manifest.files)) {
    const s = await stat(join(dir, name));
    files[name] = { bytes: s.size, mtimeMs: Math.trunc(s.mtimeMs) };
  }
  const stamp: Stamp = { manifestSha256: await manifestDigest(dir), files };
  // Best effort: a read-only package still loads, it is just hashed each time.
  await writeFile(join(dir, stampName), JSON.stringify(stamp)).catch(() => undefined);
}

async function stampIsCurrent(dir: string, manifest: PackageManifest): Promise<boolean> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(join(dir, stampName), 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (typeof stamp !== 'object' || stamp === null || stamp.manifestSha256 !== (await manifestDigest(dir))) return false;
  for (const name of Object.keys(manifest.files)) {
    const s = await stat(join(dir, name));
    const known = stamp.files?.[name];
    // Within a millisecond: tools that preserve times (cp -p, tar, utimes with a Date) round sub-millisecond parts.
    if (!known || known.bytes !== s.size || Math.abs(known.mtimeMs - Math.trunc(s.mtimeMs)) > 1) return false;
  }
  return true;
}

export interface LoadPackageOptions {
  /** 'full' (default): sizes and checksums (skipped when the stamp is current); 'sizes': presence and sizes only. */
  verify?: 'full' | 'sizes';
}

/** Opens a package folder, checking that every file is present, complete and unchanged. */
export async function loadPackage(dir: string, options: LoadPackageOptions = {}): Promise<ModelPackage> {
  const folderId = dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
  const damaged = (why: string) => badInput(`model package "${folderId}" is damaged or incomplete: ${why} (${dir})`);

  let raw: string;
  try {
    raw = await readFile(join(dir, manifestName), 'utf8');
  } catch {
    throw damaged(`${manifestName} is missing`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw damaged(`${manifestName} is not valid JSON`);
  }
  const formatVersion = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (formatVersion !== packageFormatVersion) {
    throw damaged(`${manifestName} has formatVersion ${JSON.stringify(formatVersion)}; this app reads version 1`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw damaged(`${manifestName} field ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const manifest = parsed.data;
  if (manifest.id !== folderId)
    throw damaged(`${manifestName} names id "${manifest.id}" but the folder is "${folderId}"`);

  for (const name of packageFiles) {
    const entry = manifest.files[name];
    if (!entry) throw damaged(`${manifestName} does not list ${name}`);
    let size: number;
    try {
      size = (await stat(join(dir, name))).size;
    } catch {
      throw damaged(`${name} is missing`);
    }
    if (size !== entry.bytes) {
      throw damaged(`${name} has ${size} bytes, the manifest says ${entry.bytes} (truncated or replaced)`);
    }
  }
  if ((options.verify ?? 'full') === 'full' && !(await stampIsCurrent(dir, manifest))) {
    for (const name of packageFiles) {
      const want = manifest.files[name]?.sha256;
      if ((await sha256File(join(dir, name))) !== want) throw damaged(`${name} does not match its checksum`);
    }
    // The header is cheap to read and catches a file damaged together with its manifest entry.
    try {
      readSafetensorsHeader(join(dir, 'text.safetensors'));
    } catch (err) {
      throw damaged((err as Error).message);
    }
    await writeStamp(dir, manifest);
  }
  return { manifest, dir, path: (name: PackageFile) => join(dir, name) };
}

export type PackageListing =
  | { id: string; dir: string; ok: true; manifest: PackageManifest }
  | { id: string; dir: string; ok: false; error: string };

/** Every package folder under `modelsDir` (checked for presence and sizes, not re-hashed), sorted by id. */
export async function listPackages(modelsDir: string): Promise<PackageListing[]> {
  let entries;
  try {
    entries = await readdir(modelsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: PackageListing[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = join(modelsDir, entry.name);
    try {
      const pkg = await loadPackage(dir, { verify: 'sizes' });
      out.push({ id: entry.name, dir, ok: true, manifest: pkg.manifest });
    } catch (err) {
      out.push({ id: entry.name, dir, ok: false, error: (err as Error).message });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
