/**
 * One training job from start to finish, as plain data in and out (it runs inside a worker thread, or in-process
 * for the tests): check the inputs, cache the image features, train CoP + MeP in tfjs, then compute the best
 * prompt's text side with the ONNX tower the predictions use and evaluate validation and test with it. Nothing here
 * touches the store: the caller records the run and the model version.
 */
import { readFile } from 'node:fs/promises';
import { badInput } from '@shared/errors';
import { openClipSessions } from '../model/onnx-session';
import { packageTokenizer } from '../model/embed';
import type { ModelPackage } from '../model/package';
import { openModel } from '../model/registry';
import { readSafetensors } from '../model/safetensors';
import { TfjsTextTower } from '../model/text-tower-tfjs';
import { initTfjs } from '../model/tfjs-backend';
import { checkHeadConfig } from '../vip/config';
import { ViPHead } from '../vip/head';
import { predict, prepareTextSide } from '../vip/inference';
import { computePackageTextSide } from '../vip/predictor';
import { coopPrompts, symptomPrompts } from '../vip/prompts';
import { checkSymptomsFit, classNames, parseSymptomSetText, type SymptomSet } from '../vip/symptom-set';
import type { TextSide } from '../vip/text-side';
import { defaultAugment } from './augment';
import {
  datasetFromFolderAndReviews,
  datasetFromReviews,
  loadDataset,
  type Dataset,
  type DatasetItem,
  type SplitName,
} from './dataset';
import { FeatureCache, extractFeatures, featureCacheDir, viewPreprocessing } from './feature-cache';
import type { JobProgress, TrainingJobResult, TrainingJobSpec } from './job-spec';
import { evaluate, type EvalMetrics } from './metrics';
import { checkTrainOptions, trainHead, type EvalFeatures } from './trainer';
import { chooseTextEngine, type TextEngine } from './text-backprop-choice';

export interface JobHooks {
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
}

/** The symptom set of a spec, checked against the package's tokenizer for the prompts this configuration builds. */
export function jobSymptomSet(spec: TrainingJobSpec, pkg: ModelPackage): SymptomSet {
  const set = parseSymptomSetText(spec.symptomsText, { label: 'symptom set' });
  checkSymptomsFit(set, {
    tokenizer: packageTokenizer(pkg),
    nCtx: spec.head.nCtx,
    contextLength: pkg.manifest.tokenizer.contextLength,
  });
  return set;
}

export async function runTrainingJob(spec: TrainingJobSpec, hooks: JobHooks = {}): Promise<TrainingJobResult> {
  const { signal } = hooks;
  const progress = (p: JobProgress): void => hooks.onProgress?.(p);

  // Inputs first: nothing long starts until the model, the symptoms, the options and the dataset are known good.
  checkHeadConfig(spec.head);
  checkTrainOptions(spec.train);
  const pkg = await openModel(spec.modelsDir, spec.packageId);
  const symptoms = jobSymptomSet(spec, pkg);
  const classes = classNames(symptoms);
  const dataset = await openDataset(spec, classes);
  for (const w of dataset.warnings) progress({ phase: 'warning', message: w });
  const backend = await initTfjs();
  const sessions = await openClipSessions(pkg);
  progress({
    phase: 'ready',
    classes,
    counts: countsOf(dataset),
    valSource: dataset.valSource,
    tfjsBackend: backend.backend,
    executionProvider: sessions.executionProvider,
  });

  const featureStart = Date.now();
  const cache = new FeatureCache(featureCacheDir(spec.featuresDir, pkg), pkg.manifest.architecture.projectionDim);
  const d = cache.embedDim;
  const warnings = [...dataset.warnings];
  const features = async (split: SplitName, items: readonly DatasetItem[], views: number) => {
    const result = await extractFeatures(
      cache,
      sessions.embedImages.bind(sessions),
      items.map((it) => ({ sha256: it.sha256, name: it.name, read: () => readFile(it.path) })),
      {
        views,
        // One view is the evaluation view; more are the authors' training augmentation.
        augment: views > 1 ? defaultAugment : null,
        seed: spec.train.seed,
        preprocessing: viewPreprocessing(pkg),
        ...(spec.featureBatch !== undefined ? { batchSize: spec.featureBatch } : {}),
        ...(signal ? { signal } : {}),
        onProgress: (p) => progress({ phase: 'features', split, ...p }),
      },
    );
    for (const f of result.failures) {
      const message = `skipped ${f.name}: ${f.reason}`;
      warnings.push(message);
      progress({ phase: 'warning', message });
    }
    const kept = items.flatMap((it, i) => {
      const f = result.features[i];
      return f ? [{ item: it, f }] : [];
    });
    const flat = new Float32Array(kept.length * views * d);
    kept.forEach(({ f }, i) => flat.set(f, i * views * d));
    return { features: flat, labels: Int32Array.from(kept, ({ item }) => item.label), skipped: result.failures.length };
  };
  const train = await features('train', dataset.splits.train, spec.views);
  const val = await features('val', dataset.splits.val, 1);
  const test = spec.evaluateTest ? await features('test', dataset.splits.test, 1) : null;
  const featureSeconds = (Date.now() - featureStart) / 1000;
  const missing = classes.filter((_, c) => !train.labels.includes(c));
  if (missing.length > 0) {
    throw badInput(`no readable training images for class(es) ${missing.map((m) => `"${m}"`).join(', ')}`);
  }

  const trainStart = Date.now();
  const arch = pkg.manifest.architecture;
  const textWeights = readSafetensors(pkg.path('text.safetensors')).tensors;
  const tower = TfjsTextTower.fromClipConfig(arch, textWeights);
  let trained;
  let engine: TextEngine | undefined;
  try {
    const tokenizer = packageTokenizer(pkg);
    const contextLength = pkg.manifest.tokenizer.contextLength;
    const prompts =
      spec.head.method === 'coop'
        ? coopPrompts(tokenizer, classes, spec.head.nCtx, contextLength)
        : symptomPrompts(tokenizer, symptoms, spec.head.nCtx, contextLength);
    const head = new ViPHead({ tower, prompts, classes, config: spec.head, seed: spec.train.seed });
    try {
      engine = await chooseTextEngine({
        choice: spec.train.textBackend ?? 'auto',
        head,
        tower,
        config: arch,
        weights: textWeights,
        contextEvery: spec.train.contextEvery ?? 1,
        executionProvider: sessions.executionProvider,
      });
      trained = await trainHead({
        head,
        train: { features: train.features, views: spec.views, labels: train.labels },
        val: val.labels.length > 0 ? val : null,
        options: spec.train,
        text: engine.text,
        ...(signal ? { signal } : {}),
        onStep: (p) => progress({ phase: 'step', ...p }),
        onEpoch: (r) => progress({ phase: 'epoch', ...r, epochs: spec.train.epochs }),
      });
    } finally {
      head.dispose();
      await engine?.text?.dispose();
    }
  } finally {
    tower.dispose();
  }
  const trainSeconds = (Date.now() - trainStart) / 1000;

  const textSide = await computePackageTextSide(pkg, sessions, { mode: 'vip', symptoms, prompt: trained.best });
  const score = (split: 'val' | 'test', data: EvalFeatures | null): EvalMetrics | null => {
    if (!data || data.labels.length === 0) return null;
    progress({ phase: 'evaluate', split });
    return evaluateFeatures(textSide, data, d);
  };
  const skipped = dataset.skipped + train.skipped + val.skipped + (test?.skipped ?? 0);
  return {
    classes,
    weights: trained.best,
    textSide,
    bestEpoch: trained.bestEpoch,
    epochs: trained.epochs,
    initial: trained.initial,
    val: score('val', val),
    test: score('test', test),
    counts: { train: train.labels.length, val: val.labels.length, test: test?.labels.length ?? 0, skipped },
    warnings,
    timing: { featureSeconds, trainSeconds, secondsPerEpoch: trainSeconds / spec.train.epochs },
    tfjsBackend: backend.backend,
    executionProvider: sessions.executionProvider,
    ...(engine ? { textBackend: { name: engine.name, reason: engine.reason } } : {}),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** Metrics of unaugmented features `[N, d]` under a text side (the prediction path). */
export function evaluateFeatures(side: TextSide, data: EvalFeatures, d: number): EvalMetrics {
  const prepared = prepareTextSide(side);
  const probabilities = Array.from(
    { length: data.labels.length },
    (_, i) => predict(prepared, data.features.subarray(i * d, (i + 1) * d)).probabilities,
  );
  return evaluate(prepared.classes, data.labels, probabilities);
}

async function openDataset(spec: TrainingJobSpec, classes: string[]): Promise<Dataset> {
  const common = { classes, valFraction: spec.valFraction, seed: spec.train.seed };
  if (spec.dataset.kind === 'reviewed') return datasetFromReviews(spec.dataset.images, common);
  if (spec.dataset.kind === 'combined') {
    const { root, splitFile, images } = spec.dataset;
    return datasetFromFolderAndReviews({ root, ...(splitFile !== undefined ? { splitFile } : {}) }, images, common);
  }
  return loadDataset({
    root: spec.dataset.root,
    ...(spec.dataset.splitFile !== undefined ? { splitFile: spec.dataset.splitFile } : {}),
    require: ['train'],
    ...common,
  });
}

function countsOf(d: Dataset): { train: number; val: number; test: number; skipped: number } {
  return { train: d.splits.train.length, val: d.splits.val.length, test: d.splits.test.length, skipped: d.skipped };
}
