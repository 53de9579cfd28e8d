/**
 * `vip models import <folder>`: turn a Hugging Face CLIPModel folder (`config.json`, `model.safetensors` or a
 * sharded index, `vocab.json` + `merges.txt` or `tokenizer.json`, optional `preprocessor_config.json`) into a model
 * package. Everything but the tensor data is read and checked before anything is written, and the package is written
 * by `writePackage` (temp folder, then rename), so a broken checkpoint or a cancelled import leaves nothing under
 * models/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { badInput } from '@shared/errors';
import type { TokenizerFiles } from './bpe-files';
import { checkTensors, expectedTensorShapes, parseClipConfig, type ClipConfig, type ShapedTensor } from './clip-config';
import {
  clipMean,
  clipStd,
  validatePackageId,
  writePackage,
  type BuildHooks,
  type ModelPackage,
  type PackageFile,
  type PackageSource,
  type Preprocessing,
  type TensorSource,
} from './package';
import { readSafetensorsHeader, readSafetensorsOneByOne, type Tensor } from './safetensors';
import { ClipTokenizer } from './tokenizer';

export interface ImportOptions extends BuildHooks {
  id: string;
  /** Where the checkpoint came from, recorded in the manifest (defaults to the folder). */
  source?: PackageSource;
  /** A human name for the package (defaults to the id). */
  name?: string;
  /** Called as each package file is written (the ONNX export of a big tower takes a while). */
  onFile?: (name: PackageFile) => void;
}

export interface HuggingFaceCheckpoint {
  /** config.json as written by transformers. */
  configJson: Record<string, unknown>;
  clip: ClipConfig;
  /** Reads one tower's tensors from disk when asked, so a big model is never in memory whole. */
  tensors: TensorSource;
  tokenizerFiles: TokenizerFiles;
  preprocessing: Preprocessing;
}

/**
 * Reads and validates a Hugging Face CLIPModel folder (tensor data is read later, one tower at a time, but every
 * tensor's name, shape and byte range is checked here); throws badInput naming the file or field at fault.
 */
export function readHuggingFaceFolder(folder: string): HuggingFaceCheckpoint {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw badInput(`${folder} is not a folder`);
  const at = (name: string) => join(folder, name);
  if (!existsSync(at('config.json'))) {
    throw badInput(
      `${folder} has no config.json; expected a Hugging Face CLIPModel folder (config.json, model.safetensors, vocab.json, merges.txt)`,
    );
  }
  const configJson = readJsonObject(at('config.json'));
  const clip = parseClipConfig(configJson, at('config.json'));
  const tokenizerFiles = readTokenizerFiles(folder, clip);
  const preprocessing = readPreprocessing(folder, clip);
  const tensors = readWeights(folder, clip);
  return { configJson, clip, tensors, tokenizerFiles, preprocessing };
}

/** Reads, validates and writes the package `<modelsDir>/<id>/`. */
export async function importHuggingFaceFolder(
  folder: string,
  modelsDir: string,
  options: ImportOptions,
): Promise<ModelPackage> {
  validatePackageId(options.id);
  return writeHuggingFaceCheckpoint(readHuggingFaceFolder(folder), folder, modelsDir, options);
}

/** Writes a checkpoint that `readHuggingFaceFolder` has read and checked as the package `<modelsDir>/<id>/`. */
export async function writeHuggingFaceCheckpoint(
  checkpoint: HuggingFaceCheckpoint,
  folder: string,
  modelsDir: string,
  options: ImportOptions,
): Promise<ModelPackage> {
  return writePackage(modelsDir, options.id, {
    config: checkpoint.configJson,
    tensors: checkpoint.tensors,
    tokenizerFiles: checkpoint.tokenizerFiles,
    preprocessing: checkpoint.preprocessing,
    source: options.source ?? { kind: 'huggingface-folder', ref: resolve(folder) },
    randomWeights: false,
    ...(options.name ? { name: options.name } : {}),
    ...(options.onFile ? { onFile: options.onFile } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

// ---------------------------------------------------------------- weights

/** Where each needed tensor lives: one safetensors file, or the shards a `model.safetensors.index.json` names. */
type WeightFiles = Map<string, Set<string>>;

function readWeights(folder: string, clip: ClipConfig): TensorSource {
  const wanted = new Set(expectedTensorShapes(clip, 'all').map((t) => t.name));
  const single = join(folder, 'model.safetensors');
  const index = join(folder, 'model.safetensors.index.json');
  let files: WeightFiles;
  let label: string;
  if (existsSync(single)) {
    files = new Map([[single, wanted]]);
    label = single;
  } else if (existsSync(index)) {
    files = shardFiles(folder, index, wanted);
    label = index;
  } else {
    throw badInput(missingWeightsMessage(folder));
  }
  // Headers only: names, shapes and byte ranges (a truncated file fails here), before any data is read.
  const shapes = new Map<string, ShapedTensor>();
  for (const [path, names] of files) {
    for (const e of readSafetensorsHeader(path).entries) if (names.has(e.name)) shapes.set(e.name, { shape: e.shape });
  }
  checkTensors(clip, shapes, 'all', label);

  // Tensor by tensor, so that a big checkpoint's import reports how far it has read and can be stopped meanwhile.
  return async (tower, hooks) => {
    const towerNames = new Set(expectedTensorShapes(clip, tower).map((t) => t.name));
    const tensors = new Map<string, Tensor>();
    let done = 0;
    for (const [path, names] of files) {
      const only = (n: string) => names.has(n) && towerNames.has(n);
      if (![...names].some(only)) continue;
      for (const [name, t] of readSafetensorsOneByOne(path, { only })) {
        tensors.set(name, t);
        done += t.data.byteLength;
        hooks.onBytes(done);
        await hooks.checkpoint();
      }
    }
    return tensors;
  };
}

function shardFiles(folder: string, indexPath: string, wanted: Set<string>): WeightFiles {
  const index = readJsonObject(indexPath);
  const map = index['weight_map'];
  if (!isRecord(map)) throw badInput(`${indexPath} has no "weight_map" object`);
  const byShard: WeightFiles = new Map();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || basename(shard) !== shard || shard.startsWith('.')) {
      throw badInput(`${indexPath}: weight_map["${tensor}"] is not a file name in the folder`);
    }
    if (!wanted.has(tensor)) continue;
    const path = join(folder, shard);
    if (!byShard.has(path)) {
      if (!existsSync(path)) throw badInput(`${path} is missing (listed in ${basename(indexPath)})`);
      byShard.set(path, new Set());
    }
    byShard.get(path)?.add(tensor);
  }
  return byShard;
}

function missingWeightsMessage(folder: string): string {
  const files = readdirSync(folder);
  const other = files.find((f) =>
    /^(pytorch_model.*\.bin|tf_model\.h5|flax_model\.msgpack|open_clip_pytorch_model\.bin)$/.test(f),
  );
  if (other) {
    return `${join(folder, other)}: this weight format is not supported; only model.safetensors (convert with transformers: model.save_pretrained(dir, safe_serialization=True))`;
  }
  if (existsSync(join(folder, 'onnx', 'vision_model.onnx')) || existsSync(join(folder, 'onnx', 'text_model.onnx'))) {
    return `${folder} holds ONNX towers only (onnx/*.onnx); importing pre-exported ONNX models is not supported yet, use a folder with model.safetensors`;
  }
  return `${folder} has no model.safetensors (nor model.safetensors.index.json)`;
}

// ---------------------------------------------------------------- tokenizer

function readTokenizerFiles(folder: string, clip: ClipConfig): TokenizerFiles {
  const vocabPath = join(folder, 'vocab.json');
  const mergesPath = join(folder, 'merges.txt');
  const tokenizerJsonPath = join(folder, 'tokenizer.json');
  let files: TokenizerFiles;
  let tokenizer: ClipTokenizer;
  let label: string;
  if (existsSync(vocabPath) && existsSync(mergesPath)) {
    files = { vocabJson: readText(vocabPath), mergesTxt: readText(mergesPath) };
    tokenizer = ClipTokenizer.fromStrings(files.vocabJson, files.mergesTxt, { vocab: vocabPath, merges: mergesPath });
    label = vocabPath;
  } else if (existsSync(tokenizerJsonPath)) {
    const json = readText(tokenizerJsonPath);
    tokenizer = ClipTokenizer.fromTokenizerJson(json, tokenizerJsonPath);
    files = tokenizerJsonToFiles(json);
    label = tokenizerJsonPath;
  } else {
    const missing = existsSync(vocabPath) ? mergesPath : vocabPath;
    throw badInput(`${missing} is missing (and there is no tokenizer.json)`);
  }
  const t = clip.text;
  if (tokenizer.sotId !== t.bosTokenId || tokenizer.eotId !== t.eosTokenId) {
    throw badInput(
      `${label}: start/end token ids ${tokenizer.sotId}/${tokenizer.eotId} differ from config.json's ${t.bosTokenId}/${t.eosTokenId}`,
    );
  }
  const maxId = tokenizer.maxId;
  if (maxId >= t.vocabSize)
    throw badInput(`${label}: token id ${maxId} is beyond text_config.vocab_size ${t.vocabSize}`);
  return files;
}

/** The vocab.json / merges.txt pair that a tokenizer.json's BPE model holds. */
function tokenizerJsonToFiles(json: string): TokenizerFiles {
  const model = (JSON.parse(json) as { model: { vocab: Record<string, number>; merges: (string | string[])[] } }).model;
  const entries = Object.entries(model.vocab).sort((a, b) => a[1] - b[1]);
  const vocabJson = '{' + entries.map(([token, id]) => `${JSON.stringify(token)}: ${id}`).join(', ') + '}';
  const merges = model.merges.map((m) => (typeof m === 'string' ? m : m.join(' ')));
  return { vocabJson, mergesTxt: '#version: 0.2\n' + merges.join('\n') + '\n' };
}

// ---------------------------------------------------------------- preprocessing

function readPreprocessing(folder: string, clip: ClipConfig): Preprocessing {
  const imageSize = clip.vision.imageSize;
  const path = join(folder, 'preprocessor_config.json');
  if (!existsSync(path)) return { imageSize, cropSize: imageSize, mean: clipMean, std: clipStd, resample: 'bicubic' };
  const p = readJsonObject(path);
  const field = (name: string) => `${path}: ${name}`;

  const resize = p['do_resize'] === false ? imageSize : edgeSize(p['size'] ?? imageSize, field('size'));
  const cropSize = p['do_center_crop'] === false ? resize : squareSize(p['crop_size'] ?? imageSize, field('crop_size'));
  if (cropSize !== imageSize) {
    throw badInput(
      `${field('crop_size')} ${cropSize} does not match config.json vision_config.image_size ${imageSize}`,
    );
  }
  // CLIP resizes the shorter side straight to the crop size; the engine's preprocessing does only that for now.
  if (resize !== cropSize) {
    throw badInput(
      `${field('size')} ${resize} differs from the crop ${cropSize}; resizing to another size before the crop is not supported yet`,
    );
  }
  const factor = p['rescale_factor'];
  if (
    p['do_rescale'] === false ||
    (factor !== undefined && (typeof factor !== 'number' || Math.abs(factor * 255 - 1) > 1e-6))
  ) {
    throw badInput(`${field('rescale_factor')} is not supported: only pixel values divided by 255`);
  }
  // PIL codes: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic.
  const resample = p['resample'] ?? 3;
  if (resample !== 3)
    throw badInput(`${field('resample')} ${JSON.stringify(resample)} is not supported (only 3, bicubic)`);
  const normalize = p['do_normalize'] !== false;
  return {
    imageSize: resize,
    cropSize,
    mean: normalize ? triple(p['image_mean'] ?? clipMean, field('image_mean'), false) : [0, 0, 0],
    std: normalize ? triple(p['image_std'] ?? clipStd, field('image_std'), true) : [1, 1, 1],
    resample: 'bicubic',
  };
}

/** `224`, `{shortest_edge: 224}` or a square `{height: 224, width: 224}`. */
function edgeSize(value: unknown, where: string): number {
  if (isSize(value)) return value;
  if (isRecord(value)) {
    if (isSize(value['shortest_edge'])) return value['shortest_edge'];
    return squareSize(value, where);
  }
  throw badInput(`${where} ${JSON.stringify(value)} is not a size`);
}

function squareSize(value: unknown, where: string): number {
  if (isSize(value)) return value;
  if (isRecord(value) && isSize(value['height']) && isSize(value['width'])) {
    if (value['height'] !== value['width'])
      throw badInput(`${where} ${value['height']}x${value['width']} is not square; only square inputs are supported`);
    return value['height'];
  }
  throw badInput(`${where} ${JSON.stringify(value)} is not a size`);
}

function triple(value: unknown, where: string, positive: boolean): [number, number, number] {
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))
  ) {
    return value as [number, number, number];
  }
  throw badInput(`${where} must be 3 ${positive ? 'positive ' : ''}numbers, got ${JSON.stringify(value)}`);
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

// ---------------------------------------------------------------- files

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw badInput(`Cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function readJsonObject(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readText(path));
  } catch (err) {
    if (err instanceof SyntaxError) throw badInput(`${path} is not valid JSON (${err.message})`);
    throw err;
  }
  if (!isRecord(value)) throw badInput(`${path} is not a JSON object`);
  return value;
}
