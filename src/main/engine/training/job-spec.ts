/**
 * What a training job needs and what it gives back, as plain data: it crosses into a worker thread (structured
 * clone), so every field is validated with zod on arrival, both ways.
 */
import { z } from 'zod';
import { aggregates, methods } from '../vip/config';
import { textSideSchema } from '../vip/text-side';
import { optimizerNames } from './optimizer';
import { textBackendChoices } from './text-backprop';

export const headConfigSchema = z.object({
  method: z.enum(methods),
  aggregate: z.enum(aggregates),
  nCtx: z.number().int().min(0).max(32),
  classSpecific: z.boolean(),
});

export const trainOptionsSchema = z.object({
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  lr: z.number().positive(),
  optimizer: z.enum(optimizerNames),
  weightDecay: z.number().nonnegative(),
  momentum: z.number().min(0).lt(1),
  warmupEpochs: z.number().int().nonnegative(),
  warmupLr: z.number().positive(),
  seed: z.number().int(),
  /** Context update interval (1 = exact; the `fast` schedule uses more). */
  contextEvery: z.number().int().positive().optional(),
  /** Which engine runs the frozen text tower while training (default auto). */
  textBackend: z.enum(textBackendChoices).optional(),
});

const reviewedImageSchema = z.object({ path: z.string(), name: z.string(), reviewLabel: z.string() });

export const datasetSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), root: z.string().min(1), splitFile: z.string().min(1).optional() }),
  z.object({ kind: z.literal('reviewed'), images: z.array(reviewedImageSchema) }),
  /** A folder and the reviewed cases as one dataset (datasetFromFolderAndReviews). */
  z.object({
    kind: z.literal('combined'),
    root: z.string().min(1),
    splitFile: z.string().min(1).optional(),
    images: z.array(reviewedImageSchema),
  }),
]);
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

export const trainingJobSpecSchema = z.object({
  modelsDir: z.string().min(1),
  featuresDir: z.string().min(1),
  packageId: z.string().min(1),
  /** The symptom set as JSON text (keeps the class order; see symptom-set-text.ts). */
  symptomsText: z.string().min(2),
  head: headConfigSchema,
  train: trainOptionsSchema,
  /** K cached views per training image; 1 = the unaugmented view only. */
  views: z.number().int().min(1).max(64),
  dataset: datasetSpecSchema,
  /** Held out from train for validation when the dataset has no val split. */
  valFraction: z.number().min(0).max(0.5),
  /** Evaluate the best epoch on the test split when the dataset has one. */
  evaluateTest: z.boolean(),
  /** Views per image-tower run. */
  featureBatch: z.number().int().positive().max(256).optional(),
});
export type TrainingJobSpec = z.infer<typeof trainingJobSpecSchema>;

const float32 = z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'expected a Float32Array' });
const tensorSchema = z.object({ shape: z.array(z.number().int().nonnegative()).readonly(), data: float32 }).nullable();

export const promptWeightsSchema = z.object({
  classes: z.array(z.string()),
  config: headConfigSchema,
  textWidth: z.number().int().positive(),
  embedDim: z.number().int().positive(),
  ctx: tensorSchema,
  classTokens: tensorSchema,
  qProj: tensorSchema,
  kProj: tensorSchema,
});

const classMetricsSchema = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().nonnegative(),
});
export const evalMetricsSchema = z.object({
  n: z.number().int().nonnegative(),
  accuracy: z.number(),
  macro_f1: z.number(),
  per_class: z.record(z.string(), classMetricsSchema),
  confusion_matrix: z.array(z.array(z.number().int().nonnegative())),
  auroc: z.number().nullable(),
});

export const epochReportSchema = z.object({
  epoch: z.number().int().positive(),
  lr: z.number(),
  trainLoss: z.number(),
  trainAccuracy: z.number(),
  valAccuracy: z.number().nullable(),
  valMacroF1: z.number().nullable(),
  seconds: z.number(),
});

export const jobProgressSchema = z.discriminatedUnion('phase', [
  z.object({
    phase: z.literal('ready'),
    classes: z.array(z.string()),
    counts: z.object({
      train: z.number().int(),
      val: z.number().int(),
      test: z.number().int(),
      skipped: z.number().int(),
    }),
    valSource: z.enum(['dataset', 'stratified', 'none']),
    tfjsBackend: z.string(),
    executionProvider: z.string(),
  }),
  z.object({ phase: z.literal('warning'), message: z.string() }),
  z.object({
    phase: z.literal('features'),
    split: z.enum(['train', 'val', 'test']),
    done: z.number().int(),
    total: z.number().int(),
    cached: z.number().int(),
    extractedViews: z.number().int(),
  }),
  z.object({
    phase: z.literal('step'),
    epoch: z.number().int(),
    epochs: z.number().int(),
    step: z.number().int(),
    steps: z.number().int(),
    loss: z.number(),
    accuracy: z.number(),
    lr: z.number(),
    etaSeconds: z.number(),
  }),
  epochReportSchema.extend({ phase: z.literal('epoch'), epochs: z.number().int() }),
  z.object({ phase: z.literal('evaluate'), split: z.enum(['val', 'test']) }),
]);
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const trainingJobResultSchema = z.object({
  classes: z.array(z.string()),
  weights: promptWeightsSchema,
  textSide: textSideSchema,
  bestEpoch: z.number().int().nonnegative(),
  epochs: z.array(epochReportSchema),
  /** Validation accuracy and macro-F1 of the initial (untrained) prompt. */
  initial: z.object({ valAccuracy: z.number(), valMacroF1: z.number() }).nullable(),
  val: evalMetricsSchema.nullable(),
  test: evalMetricsSchema.nullable(),
  counts: z.object({
    train: z.number().int(),
    val: z.number().int(),
    test: z.number().int(),
    skipped: z.number().int(),
  }),
  warnings: z.array(z.string()),
  timing: z.object({ featureSeconds: z.number(), trainSeconds: z.number(), secondsPerEpoch: z.number() }),
  tfjsBackend: z.string(),
  executionProvider: z.string(),
  /** The engine that ran the frozen text tower during training, and why (text-backprop-choice.ts). */
  textBackend: z.object({ name: z.string(), reason: z.string() }).optional(),
  /** Peak resident set size of the process that trained (bytes). */
  peakRssBytes: z.number(),
});
export type TrainingJobResult = z.infer<typeof trainingJobResultSchema>;
