/**
 * Predictions with a model package and a text side. The text side (symptom features, MeP weights, class features)
 * is computed once per model version, or per symptom set, mode and template for the zero-shot baselines, through the
 * ONNX `text-embeds` tower, and kept in memory (and on disk by the caller: the version folder, text-side.json). A
 * prediction is then one image-tower run, usually answered from the feature cache, plus `predict()`'s dot products.
 */
import { createHash } from 'node:crypto';
import { badInput } from '@shared/errors';
import { packageTokenizer } from '../model/embed';
import type { ClipSessions } from '../model/onnx-session';
import type { ModelPackage } from '../model/package';
import { readSafetensors, type TensorInput } from '../model/safetensors';
import {
  FeatureCache,
  extractFeatures,
  featureCacheDir,
  viewPreprocessing,
  type ExtractFailure,
  type FeatureSource,
} from '../training/feature-cache';
import { embeddingPromptFeatures } from './host-prompts';
import { predict, prepareTextSide, type PreparedTextSide, type Prediction } from './inference';
import { DEFAULT_TEMPLATE } from './prompts';
import { symptomSetToJson, type SymptomSet } from './symptom-set';
import { computeTextSide, type PredictMode, type TextSide } from './text-side';
import type { PromptWeights } from './weights';

const TOKEN_EMBEDDING = 'text_model.embeddings.token_embedding.weight';
const tokenEmbeddings = new Map<string, TensorInput>();

/** The token-embedding table of a package (read once per package checksum). */
export function packageTokenEmbedding(pkg: ModelPackage): TensorInput {
  const key = `${pkg.dir}:${pkg.manifest.files['text.safetensors']?.sha256 ?? ''}`;
  let table = tokenEmbeddings.get(key);
  if (!table) {
    const file = readSafetensors(pkg.path('text.safetensors'), { only: (name) => name === TOKEN_EMBEDDING });
    const t = file.tensors.get(TOKEN_EMBEDDING);
    if (!t) throw badInput(`model package "${pkg.manifest.id}": text.safetensors has no ${TOKEN_EMBEDDING}`);
    table = { shape: t.shape, data: t.data };
    tokenEmbeddings.set(key, table);
  }
  return table;
}

export interface TextSideRequest {
  mode: PredictMode;
  symptoms: SymptomSet;
  /** The trained prompt (mode `vip`). */
  prompt?: PromptWeights | null;
  /** Zero-shot class names only. */
  template?: string;
}

/** The text side through the ONNX text towers of the package (what every prediction path uses). */
export async function computePackageTextSide(
  pkg: ModelPackage,
  sessions: ClipSessions,
  request: TextSideRequest,
): Promise<TextSide> {
  const arch = pkg.manifest.architecture;
  return computeTextSide({
    features: embeddingPromptFeatures(
      sessions.embedTextEmbeddings.bind(sessions),
      packageTokenEmbedding(pkg),
      arch.projectionDim,
    ),
    tokenizer: packageTokenizer(pkg),
    symptoms: request.symptoms,
    mode: request.mode,
    ...(request.prompt ? { prompt: request.prompt } : {}),
    ...(request.template !== undefined ? { template: request.template } : {}),
    contextLength: pkg.manifest.tokenizer.contextLength,
    embedDim: arch.projectionDim,
    textWidth: arch.text.hiddenSize,
  });
}

/** A key naming everything a text side depends on. */
export function textSideKey(pkg: ModelPackage, request: TextSideRequest): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([pkg.manifest.files['text.safetensors']?.sha256 ?? pkg.manifest.id, request.mode]));
  h.update(JSON.stringify(Object.entries(symptomSetToJson(request.symptoms))));
  if (request.mode === 'zeroshot-classname') h.update(request.template ?? DEFAULT_TEMPLATE);
  const p = request.mode === 'vip' ? request.prompt : null;
  if (p) {
    h.update(JSON.stringify([p.classes, p.config, p.textWidth, p.embedDim]));
    for (const t of [p.ctx, p.classTokens, p.qProj, p.kProj]) {
      if (t) h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      h.update('|');
    }
  }
  return h.digest('hex');
}

const memory = new Map<string, PreparedTextSide & { side: TextSide }>();
const MEMORY_LIMIT = 32;

/**
 * The prepared text side for a request, from memory when this process has computed it before. `stored`, when
 * given, is tried first (a version's text-side.json) and `save` receives a newly computed one.
 */
export async function preparedTextSide(
  pkg: ModelPackage,
  sessions: ClipSessions,
  request: TextSideRequest,
  disk: { stored?: () => TextSide | null; save?: (side: TextSide) => void } = {},
): Promise<PreparedTextSide & { side: TextSide }> {
  const key = textSideKey(pkg, request);
  const known = memory.get(key);
  if (known) return known;
  let side = disk.stored?.() ?? null;
  if (!side) {
    side = await computePackageTextSide(pkg, sessions, request);
    disk.save?.(side);
  }
  const prepared = { ...prepareTextSide(side), side };
  if (memory.size >= MEMORY_LIMIT) memory.delete(memory.keys().next().value as string);
  memory.set(key, prepared);
  return prepared;
}

export interface ImagePrediction extends Prediction {
  /** Index into the sources given. */
  index: number;
}

export interface PredictImagesResult {
  predictions: ImagePrediction[];
  failures: ExtractFailure[];
}

/**
 * Predicts images with a prepared text side: their unaugmented features (from the feature cache, else one
 * image-tower run in batches), then `predict()`. Unreadable images come back as failures.
 */
export async function predictImages(
  pkg: ModelPackage,
  sessions: ClipSessions,
  featuresRoot: string,
  side: PreparedTextSide,
  sources: readonly FeatureSource[],
  signal?: AbortSignal,
): Promise<PredictImagesResult> {
  const cache = new FeatureCache(featureCacheDir(featuresRoot, pkg), pkg.manifest.architecture.projectionDim);
  const { features, failures } = await extractFeatures(cache, sessions.embedImages.bind(sessions), sources, {
    views: 1,
    augment: null,
    seed: 0,
    preprocessing: viewPreprocessing(pkg),
    ...(signal ? { signal } : {}),
  });
  const predictions: ImagePrediction[] = [];
  features.forEach((f, index) => {
    if (f) predictions.push({ ...predict(side, f), index });
  });
  return { predictions, failures };
}
