/**
 * The one contract between processes. Every request, response and event that crosses Electron IPC,
 * the `vip serve` WebSocket or the CLI is declared here as a zod schema; TypeScript types are inferred.
 * Transports validate incoming messages against these schemas before anything reaches the engine.
 */
import { z } from 'zod';
import { pacsEvents, pacsMethods } from './contract-pacs';

export * from './contract-pacs';

/** Binary payloads (image bytes). Structured clone carries them over IPC; the WebSocket codec base64-encodes them. */
export const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes' });

const Id = z.number().int().positive();
const IsoTime = z.string();

// ---------------------------------------------------------------- cases and images
export const ReviewStatus = z.enum(['unreviewed', 'reviewed']);

export const CaseSummary = z.object({
  id: Id,
  createdAt: IsoTime,
  studyDate: z.string().nullable(),
  modality: z.string().nullable(),
  bodyPart: z.string().nullable(),
  /** De-identified patient key (a hash), never the patient's name or ID. */
  patientKey: z.string().nullable(),
  description: z.string().nullable(),
  imageCount: z.number().int().nonnegative(),
  firstImageId: Id.nullable(),
  predictedClass: z.string().nullable(),
  predictedProbability: z.number().nullable(),
  reviewStatus: ReviewStatus,
  reviewLabel: z.string().nullable(),
});
export type CaseSummary = z.infer<typeof CaseSummary>;

/** A display window: modality values center ± width/2 map to black..white (DICOM PS3.3 C.11.2.1.2). */
export const DisplayWindow = z.object({ center: z.number(), width: z.number().positive() }).strict();
export type DisplayWindow = z.infer<typeof DisplayWindow>;
export const WindowPreset = DisplayWindow.extend({ explanation: z.string().nullable() });
export type WindowPreset = z.infer<typeof WindowPreset>;

export const ImageInfo = z.object({
  id: Id,
  caseId: Id,
  sha256: z.string(),
  originalName: z.string(),
  mediaType: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  frameCount: z.number().int().positive(),
  sizeBytes: z.number().int().nonnegative(),
  importedAt: IsoTime,
  dicom: z.record(z.string(), z.unknown()).nullable(),
  /** The windows the file offers (DICOM Window Center/Width and their explanations), first is the default. */
  windows: z.array(WindowPreset).optional(),
});
export type ImageInfo = z.infer<typeof ImageInfo>;

export const CaseDetail = CaseSummary.extend({
  notes: z.string().nullable(),
  images: z.array(ImageInfo),
});
export type CaseDetail = z.infer<typeof CaseDetail>;

export const CaseSort = z.enum([
  'created_desc',
  'created_asc',
  'study_date_desc',
  'study_date_asc',
  'probability_desc',
]);
/** A calendar day, YYYY-MM-DD. */
export const IsoDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'use a date like 2025-01-31');
export const CaseListParams = z
  .object({
    search: z.string().max(200).optional(),
    reviewStatus: ReviewStatus.optional(),
    modality: z.string().max(16).optional(),
    predictedClass: z.string().max(200).optional(),
    /** Reviewed cases whose review label differs from the case's current prediction. */
    disagreement: z.boolean().optional(),
    /** The case date (the study date, else the import day), inclusive bounds. */
    dateFrom: IsoDate.optional(),
    dateTo: IsoDate.optional(),
    sort: CaseSort.default('created_desc'),
    offset: z.number().int().nonnegative().default(0),
    limit: z.number().int().positive().max(1000).default(200),
  })
  .strict();
export const CaseListResult = z.object({ total: z.number().int().nonnegative(), cases: z.array(CaseSummary) });

export const ImportOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('imported'), path: z.string(), caseId: Id, imageId: Id }),
  z.object({ status: z.literal('duplicate'), path: z.string(), caseId: Id, imageId: Id }),
  z.object({ status: z.literal('error'), path: z.string(), error: z.string() }),
]);
export type ImportOutcome = z.infer<typeof ImportOutcome>;
export const ImportReport = z.object({
  batchId: z.string(),
  outcomes: z.array(ImportOutcome),
  imported: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
});
export type ImportReport = z.infer<typeof ImportReport>;

const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
export const UploadedFile = z
  .object({
    name: z.string().min(1).max(1024),
    data: Bytes.refine((b) => b.byteLength <= MAX_UPLOAD_BYTES, 'file too large'),
  })
  .strict();

export const RenderedImage = z.object({
  mediaType: z.literal('image/png'),
  data: Bytes,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The window applied to a grayscale image (absent or null for colour, or when a VOI LUT was applied). */
  window: z.object({ center: z.number(), width: z.number() }).nullable().optional(),
});
export type RenderedImage = z.infer<typeof RenderedImage>;

// ---------------------------------------------------------------- settings, app, audit
export const Settings = z
  .object({
    reviewerName: z.string().max(200),
    llmBaseUrl: z.string().max(2000),
    llmModel: z.string().max(200),
  })
  .strict();
export type Settings = z.infer<typeof Settings>;

export const AppInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  transport: z.enum(['electron', 'http', 'cli']),
  schemaVersion: z.number().int(),
  platform: z.string(),
  cpuCount: z.number().int(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const AuditEntry = z.object({
  id: Id,
  at: IsoTime,
  actor: z.string(),
  action: z.string(),
  entity: z.string().nullable(),
  entityId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** What the engine computes on: onnxruntime's providers, tfjs's backend, the cores, the training text engine. */
export const ComputeStatus = z.object({
  cpuCount: z.number().int(),
  cpuModel: z.string(),
  platform: z.string(),
  arch: z.string(),
  onnx: z.object({
    runtime: z.string(),
    /** Providers this onnxruntime build can use, best first, always ending with cpu. */
    available: z.array(z.string()),
    /** Providers of the sessions open now (empty until a model has run in this session). */
    inUse: z.array(z.string()),
    /** VIP_ONNX_PROVIDER when set. */
    forced: z.string().nullable(),
  }),
  tfjs: z.object({
    /** The backend initialised in this process (tensorflow, wasm, cpu), null when tfjs has not started here. */
    initialised: z.string().nullable(),
    provider: z.string().nullable(),
    simd: z.boolean().nullable(),
    /** The packages tfjs would try, in order, when it starts. */
    wouldTry: z.array(z.string()),
    forced: z.string().nullable(),
  }),
  trainingText: z.object({
    /** What training uses by default: `auto` times one step of each engine and keeps the faster. */
    choice: z.string(),
    choices: z.array(z.string()),
    /** The engine the newest trained version used, and why; null before any training here. */
    lastPicked: z.string().nullable(),
    lastReason: z.string().nullable(),
    lastVersionId: Id.nullable(),
  }),
});
export type ComputeStatus = z.infer<typeof ComputeStatus>;

// ---------------------------------------------------------------- CLIP model packages
export const ModelPackageId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
export const DemoPreset = z.enum(['tiny', 'vit-b32', 'vit-b16', 'vit-l14']);

/** One installed package; a damaged one is listed with `ok: false` and why, so it can be removed. */
export const ModelPackageInfo = z.object({
  id: z.string(),
  ok: z.boolean(),
  error: z.string().nullable(),
  name: z.string().nullable(),
  /** demo, huggingface-folder, huggingface-hub, onnx-folder */
  sourceKind: z.string().nullable(),
  /** Repo id, folder or demo:<preset>:<seed>. */
  sourceRef: z.string().nullable(),
  revision: z.string().nullable(),
  randomWeights: z.boolean().nullable(),
  warning: z.string().nullable(),
  createdAt: z.string().nullable(),
  /** E.g. "ViT-B/32 224px, text 512x12, embed 512". */
  architecture: z.string().nullable(),
  imageSize: z.number().int().positive().nullable(),
  projectionDim: z.number().int().positive().nullable(),
  contextLength: z.number().int().positive().nullable(),
  sizeBytes: z.number().int().nonnegative(),
});
export type ModelPackageInfo = z.infer<typeof ModelPackageInfo>;

/** The three ways a package gets built, each a background job with the same progress, cancel and listing. */
export const ModelJobKind = z.enum(['fetch', 'create-demo', 'import']);
export type ModelJobKind = z.infer<typeof ModelJobKind>;

/** The steps of building a package, in order (the same for every kind of job). */
export const ModelBuildStep = z.enum([
  'tokenizer',
  'text-weights',
  'text-tower',
  'image-weights',
  'image-tower',
  'checksums',
]);
export type ModelBuildStep = z.infer<typeof ModelBuildStep>;

export const ModelBuildProgress = z.object({
  step: ModelBuildStep,
  /** 1-based position of the step, of `stepCount`. */
  stepIndex: z.number().int().positive(),
  stepCount: z.number().int().positive(),
  /** The whole build's share done, estimated from the bytes each step handles. */
  fraction: z.number().min(0).max(1),
  /** Within the step, where known: bytes done of `total`. */
  done: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative().optional(),
});
export type ModelBuildProgress = z.infer<typeof ModelBuildProgress>;

export const ModelJobProgress = z.object({
  jobId: Id,
  kind: ModelJobKind,
  packageId: z.string(),
  /** What is installed: the repository (fetch), the folder (import) or `demo:<preset>:<seed>` (create-demo). */
  source: z.string(),
  /**
   * download: bytes arriving; verify: checking a file's sha256 (both fetch only); build: writing the package;
   * finished: see status.
   */
  phase: z.enum(['download', 'verify', 'build', 'finished']),
  /** The file this event is about (download and verify). */
  file: z.string().optional(),
  /** Fetch: every file planned so far, with its bytes on disk and its size when the server said it. */
  files: z.array(
    z.object({ name: z.string(), bytes: z.number().int().nonnegative(), total: z.number().int().nullable() }),
  ),
  /** The build's latest step once it has begun (kept in the finished event: where a cancel or failure stopped it). */
  build: ModelBuildProgress.optional(),
  /** With phase 'finished'. */
  status: z.enum(['completed', 'failed', 'cancelled']).optional(),
  /** With status 'failed': what happened in plain words, and the technical message behind it. */
  error: z.object({ code: z.string(), message: z.string(), detail: z.string().optional() }).optional(),
});
export type ModelJobProgress = z.infer<typeof ModelJobProgress>;
const ModelJobStarted = z.object({ jobId: Id, packageId: z.string() });

// ---------------------------------------------------------------- ViP: model versions, predictions, training
// (owned by the ViP core; see src/main/engine/vip/vip-handlers.ts and training/training-handlers.ts)
export const ModelVersionInfo = z.object({
  id: Id,
  name: z.string(),
  /** At most one version per task is active: the one the workstation predicts with. */
  task: z.string(),
  modelPackageId: z.string(),
  symptomSetVersionId: Id,
  symptomSetName: z.string().nullable(),
  symptomSetVersion: z.number().int().nullable(),
  /** Whether a person approved the symptom set (null when the set is missing). */
  symptomSetApproved: z.boolean().nullable(),
  trainingRunId: Id.nullable(),
  classes: z.array(z.string()),
  method: z.string().nullable(),
  aggregate: z.string().nullable(),
  /** The training schedule that made it (exact, fast); null when not recorded. */
  schedule: z.string().nullable(),
  active: z.boolean(),
  createdAt: IsoTime,
  /** Test accuracy and macro-F1 (validation when there was no test split). */
  accuracy: z.number().nullable(),
  macroF1: z.number().nullable(),
  metrics: z.record(z.string(), z.unknown()).nullable(),
});
export type ModelVersionInfo = z.infer<typeof ModelVersionInfo>;

export const PredictMode = z.enum(['vip', 'zeroshot-classname', 'zeroshot-symptoms']);
export const BuiltinSymptomSetId = z.enum(['chest-xray', 'dermoscopy']);

export const SymptomEvidence = z.object({
  text: z.string(),
  /** MeP attention (1/k for zero-shot symptoms). */
  weight: z.number(),
  /** Cosine between the image and the symptom. */
  similarity: z.number(),
  /** The symptom's exact additive share of the class logit. */
  contribution: z.number(),
});
export const ImagePredictionInfo = z.object({
  imageId: Id,
  predictionId: Id,
  predictedClass: z.string(),
  probability: z.number(),
  probabilities: z.record(z.string(), z.number()),
  logits: z.array(z.number()),
  prototypeContribution: z.record(z.string(), z.number()),
  symptoms: z.record(z.string(), z.array(SymptomEvidence)),
});
export type ImagePredictionInfo = z.infer<typeof ImagePredictionInfo>;
export const CasePredictResult = z.object({
  caseId: Id,
  mode: PredictMode,
  versionId: Id.nullable(),
  modelPackageId: z.string(),
  classes: z.array(z.string()),
  predictions: z.array(ImagePredictionInfo),
  failures: z.array(z.object({ imageId: Id, error: z.string() })),
  /** The worklist row after the predictions (it shows the most confident image's prediction). */
  summary: CaseSummary,
});
export type CasePredictResult = z.infer<typeof CasePredictResult>;

/**
 * How often training updates the CoP context: `exact`, the authors' schedule, every step; `fast` (the default) every
 * 8 steps with the 8 gradients' mean replayed through the context's optimizer, the text tower then running once per
 * 8 steps (README, Performance: within 0.1 point of exact on the synthetic benchmark).
 */
export const TrainingSchedule = z.enum(['exact', 'fast']);
export type TrainingSchedule = z.infer<typeof TrainingSchedule>;
/** What runs the frozen text tower while training; auto times one step of each here and keeps the faster. */
export const TrainingTextBackend = z.enum(['auto', 'onnx-vjp', 'tfjs']);

export const TrainingStartParams = z
  .object({
    /** A dataset folder on the engine's machine: <dir>/<split>/<class>/<images>. */
    dataset: z.string().min(1).max(4096).optional(),
    splitFile: z.string().min(1).max(4096).optional(),
    /** Train on the reviewed cases (with `dataset`: the folder and the reviewed cases together, as one dataset). */
    fromReviews: z.boolean().default(false),
    /** A built-in symptom set, or symptomsPath (a JSON file on the engine's machine). */
    symptomSet: BuiltinSymptomSetId.optional(),
    symptomsPath: z.string().min(1).max(4096).optional(),
    /** Or a symptom set version of the store (symptoms.list); training takes approved ones only. */
    symptomSetVersionId: Id.optional(),
    modelId: ModelPackageId.optional(),
    task: z.string().min(1).max(200).optional(),
    epochs: z.number().int().min(1).max(10_000).default(50),
    batchSize: z.number().int().min(1).max(65_536).default(32),
    lr: z.number().positive().max(10).default(0.002),
    optimizer: z.enum(['sgd', 'adam']).default('sgd'),
    views: z.number().int().min(1).max(64).default(1),
    /** Held out of the training images (stratified, seeded) for validation when the data has no val split. */
    valFraction: z.number().min(0).max(0.5).default(0.1),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    schedule: TrainingSchedule.default('fast'),
    textBackend: TrainingTextBackend.default('auto'),
  })
  .strict();

export const TrainingProgress = z.object({
  runId: Id,
  phase: z.enum(['ready', 'warning', 'features', 'step', 'epoch', 'evaluate', 'finished']),
  epoch: z.number().int().optional(),
  epochs: z.number().int().optional(),
  step: z.number().int().optional(),
  steps: z.number().int().optional(),
  loss: z.number().optional(),
  accuracy: z.number().optional(),
  valAccuracy: z.number().nullable().optional(),
  valMacroF1: z.number().nullable().optional(),
  etaSeconds: z.number().optional(),
  /** Feature extraction: images done of total. */
  done: z.number().int().optional(),
  total: z.number().int().optional(),
  message: z.string().optional(),
  /** With phase 'finished'. */
  status: z.enum(['completed', 'failed', 'cancelled']).optional(),
  versionId: Id.nullable().optional(),
});
export type TrainingProgress = z.infer<typeof TrainingProgress>;

// ---------------------------------------------------------------- review (clinical UI: evidence, review, training runs)
// (owned by the clinical UI; see src/main/engine/review/*)
export const ReviewInfo = z.object({
  id: Id,
  caseId: Id,
  imageId: Id.nullable(),
  /** The prediction the reviewer saw (the image's latest, else the case's shown one); null when there was none. */
  predictionId: Id.nullable(),
  label: z.string(),
  /** Whether the label equals that prediction's class; null without a prediction. */
  agreesWithModel: z.boolean().nullable(),
  note: z.string().nullable(),
  reviewer: z.string(),
  createdAt: IsoTime,
});
export type ReviewInfo = z.infer<typeof ReviewInfo>;

/** A saved prediction with its evidence and what produced it (model version or zero-shot mode, symptom set). */
export const StoredPrediction = ImagePredictionInfo.extend({
  mode: z.string(),
  versionId: Id.nullable(),
  versionName: z.string().nullable(),
  modelPackageId: z.string().nullable(),
  /** Whether the CLIP package had random weights (the demo): such predictions mean nothing clinically. */
  randomWeights: z.boolean().nullable(),
  symptomSetVersionId: Id.nullable(),
  symptomSetName: z.string().nullable(),
  symptomSetVersion: z.number().int().nullable(),
  symptomSetApproved: z.boolean().nullable(),
  classes: z.array(z.string()),
  createdAt: IsoTime,
  actor: z.string().nullable(),
});
export type StoredPrediction = z.infer<typeof StoredPrediction>;

const EvalMetricsInfo = z.object({
  n: z.number().int().nonnegative(),
  accuracy: z.number(),
  macro_f1: z.number(),
  per_class: z.record(
    z.string(),
    z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().int() }),
  ),
  confusion_matrix: z.array(z.array(z.number().int().nonnegative())),
  auroc: z.number().nullable(),
});
export type EvalMetricsInfo = z.infer<typeof EvalMetricsInfo>;

export const TrainingEpochInfo = z.object({
  epoch: z.number().int(),
  lr: z.number().nullable(),
  trainLoss: z.number().nullable(),
  trainAccuracy: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  valMacroF1: z.number().nullable(),
  seconds: z.number().nullable(),
});
export type TrainingEpochInfo = z.infer<typeof TrainingEpochInfo>;

export const TrainingRunInfo = z.object({
  id: Id,
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted']),
  modelPackageId: z.string().nullable(),
  symptomSetVersionId: Id.nullable(),
  symptomSetName: z.string().nullable(),
  createdAt: IsoTime,
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  error: z.string().nullable(),
  /** The run's configuration as recorded (dataset, training options, head). */
  config: z.record(z.string(), z.unknown()).nullable(),
  epochs: z.array(TrainingEpochInfo),
  /** The model version the run produced (completed runs). */
  versionId: Id.nullable(),
});
export type TrainingRunInfo = z.infer<typeof TrainingRunInfo>;

/** What a training dataset holds, per class of the symptom set, before any training starts. */
export const TrainingPreview = z.object({
  classes: z.array(z.string()),
  counts: z.record(z.string(), z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() })),
  valSource: z.enum(['dataset', 'stratified', 'none']),
  skipped: z.number().int().nonnegative(),
  warnings: z.array(z.string()),
  /** Reviewed cases whose label is not a class of the set (not used), by label. */
  unmatched: z.record(z.string(), z.number().int()),
  /** What stops training on this data (e.g. a class nobody has reviewed yet); null when it can start. */
  problem: z.string().nullable(),
  /** Training time on this machine from its latest `vip bench`; null when it has none. */
  estimate: z
    .object({
      /** One epoch over these training and validation images, per schedule (batch 32, cached features). */
      secondsPerEpoch: z.object({ exact: z.number().nonnegative(), fast: z.number().nonnegative() }),
      /** Computing the image features of every image once (less for images whose features are cached). */
      featureSeconds: z.number().nonnegative(),
      /** The benchmark the figures come from, in words. */
      basis: z.string(),
    })
    .nullable(),
  /** A folder and the reviewed cases together: training images from each, and duplicates dropped by content. */
  sources: z
    .object({
      folder: z.number().int().nonnegative(),
      reviewed: z.number().int().nonnegative(),
      duplicates: z.number().int().nonnegative(),
    })
    .optional(),
});
export type TrainingPreview = z.infer<typeof TrainingPreview>;

/** A new version and the active one scored on the same validation images (the new version's). */
export const VersionComparison = z.object({
  versionId: Id,
  /** The images scored: the version's validation split, else its test split. */
  split: z.enum(['val', 'test']),
  classes: z.array(z.string()),
  candidate: EvalMetricsInfo,
  activeVersionId: Id.nullable(),
  active: EvalMetricsInfo.nullable(),
  /** Why the active version was not scored (none active, other classes), or a caveat about the data. */
  note: z.string().nullable(),
});
export type VersionComparison = z.infer<typeof VersionComparison>;

const TrainingDataParams = {
  dataset: z.string().min(1).max(4096).optional(),
  splitFile: z.string().min(1).max(4096).optional(),
  fromReviews: z.boolean().default(false),
  symptomSet: BuiltinSymptomSetId.optional(),
  symptomsPath: z.string().min(1).max(4096).optional(),
  symptomSetVersionId: Id.optional(),
  valFraction: z.number().min(0).max(0.5).default(0.1),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(1),
};

export const reviewMethods = {
  /** Saves a review of a case (reviewer from settings, time now); the worklist shows it at once. */
  'cases.review': {
    params: z
      .object({
        caseId: Id,
        imageId: Id.optional(),
        label: z.string().trim().min(1).max(200),
        note: z.string().max(20_000).optional(),
      })
      .strict(),
    result: z.object({ review: ReviewInfo, summary: CaseSummary }),
  },
  'cases.reviews': { params: z.object({ caseId: Id }).strict(), result: z.object({ reviews: z.array(ReviewInfo) }) },
  /** The latest saved prediction of each image of a case, with its evidence. */
  'predictions.get': {
    params: z.object({ caseId: Id }).strict(),
    result: z.object({ caseId: Id, predictions: z.array(StoredPrediction) }),
  },
  'training.list': { params: z.object({}).strict(), result: z.object({ runs: z.array(TrainingRunInfo) }) },
  'training.get': { params: z.object({ runId: Id }).strict(), result: TrainingRunInfo },
  /** Reads a dataset (folder or reviewed cases) against a symptom set's classes and counts it per class and split. */
  'training.preview': { params: z.object(TrainingDataParams).strict(), result: TrainingPreview },
  /** Scores a version and the active version on the version's own validation images. */
  'versions.compare': { params: z.object({ id: Id }).strict(), result: VersionComparison },
  /** Deletes a version nobody uses (never active, no predictions made with it). */
  'versions.discard': { params: z.object({ id: Id }).strict(), result: z.object({ discarded: Id }) },
} as const;

// ---------------------------------------------------------------- symptoms (symptom sets, the VSG, approval)
// (owned by the symptom generator; see src/main/engine/symptoms/*)
export const SymptomClass = z.object({ name: z.string(), symptoms: z.array(z.string()) });
export type SymptomClass = z.infer<typeof SymptomClass>;
export const DroppedSymptomInfo = z.object({ className: z.string(), text: z.string(), reason: z.string() });
export type DroppedSymptomInfo = z.infer<typeof DroppedSymptomInfo>;
export const SymptomSetOrigin = z.enum(['generated', 'edited', 'imported', 'built-in', 'training']);

export const SymptomSetVersionSummary = z.object({
  id: Id,
  setId: Id,
  name: z.string(),
  task: z.string(),
  version: z.number().int().positive(),
  /** In class order (the label order). */
  classes: z.array(SymptomClass),
  approved: z.boolean(),
  approvedBy: z.string().nullable(),
  approvedAt: IsoTime.nullable(),
  createdAt: IsoTime,
  createdBy: z.string().nullable(),
  origin: SymptomSetOrigin,
  parentVersionId: Id.nullable(),
  /** Generated with fewer than k valid symptoms somewhere (or stopped by the endpoint). */
  partial: z.boolean(),
});
export type SymptomSetVersionSummary = z.infer<typeof SymptomSetVersionSummary>;

export const SymptomSetVersionDetail = SymptomSetVersionSummary.extend({
  /** Prompts, raw answers, model, times, edits and who made them. */
  provenance: z.record(z.string(), z.unknown()).nullable(),
  /** Candidates the generator dropped, each with its reason (the clinician may add one back). */
  dropped: z.array(DroppedSymptomInfo),
  warnings: z.array(z.string()),
  /** Model versions trained on this symptom set version. */
  usedBy: z.array(z.object({ id: Id, name: z.string(), active: z.boolean() })),
});
export type SymptomSetVersionDetail = z.infer<typeof SymptomSetVersionDetail>;

export const LlmStatus = z.object({
  baseUrl: z.string(),
  model: z.string(),
  hasApiKey: z.boolean(),
  /** Where the key is kept, in words. */
  keyStorage: z.string(),
  keyPersistent: z.boolean(),
});
export type LlmStatus = z.infer<typeof LlmStatus>;

export const SymptomGenerateParams = z
  .object({
    name: z.string().trim().min(1).max(200),
    task: z.string().trim().min(1).max(200).optional(),
    modality: z.string().trim().min(1).max(200),
    classes: z.array(z.string().trim().min(1).max(200)).min(2).max(50),
    /** Stage 2 images: a folder on the engine's machine with one folder per class, or the reviewed cases. */
    imagesDir: z.string().min(1).max(4096).optional(),
    fromReviews: z.boolean().default(false),
    k: z.number().int().min(1).max(32).default(4),
    grids: z.number().int().min(1).max(10).default(3),
    /** Override the endpoint from the settings for this run. */
    llmBaseUrl: z.string().max(2000).optional(),
    llmModel: z.string().max(200).optional(),
    timeoutSeconds: z.number().int().min(1).max(3600).default(120),
    /** Near duplicates by the CLIP text tower: 'auto' uses it unless the default package has random weights. */
    clipMatching: z.enum(['auto', 'on', 'off']).default('auto'),
    clipDuplicateThreshold: z.number().min(0).max(1).optional(),
    stringDuplicateThreshold: z.number().min(0).max(1).optional(),
  })
  .strict();

export const SymptomProgress = z.object({
  jobId: Id,
  phase: z.enum(['stage1', 'stage2', 'validate', 'retry', 'finished']),
  className: z.string().optional(),
  done: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative().optional(),
  message: z.string().optional(),
  /** With phase 'finished'. */
  status: z.enum(['complete', 'partial', 'failed', 'cancelled']).optional(),
  versionId: Id.nullable().optional(),
  error: z.string().optional(),
});
export type SymptomProgress = z.infer<typeof SymptomProgress>;

export const SymptomPerception = z.object({
  className: z.string(),
  symptom: z.string(),
  /** ROC AUC of the symptom's similarity alone for its class against the rest (null: a side had no images). */
  auc: z.number().nullable(),
  meanOwn: z.number(),
  meanOther: z.number(),
  verdict: z.enum(['perceived', 'weak', 'not perceived', 'reversed', 'unknown']),
});
export const KnowledgeReport = z.object({
  versionId: Id,
  modelPackageId: z.string(),
  randomWeights: z.boolean(),
  source: z.string(),
  classes: z.array(z.string()),
  imagesPerClass: z.array(z.number().int().nonnegative()),
  zeroShotAccuracy: z.number(),
  symptoms: z.array(SymptomPerception),
  warnings: z.array(z.string()),
});
export type KnowledgeReport = z.infer<typeof KnowledgeReport>;

export const symptomMethods = {
  /** Every symptom set version (built-in sets are added on first use of a data folder), newest first per set. */
  'symptoms.list': { params: z.object({}).strict(), result: z.object({ versions: z.array(SymptomSetVersionSummary) }) },
  'symptoms.get': { params: z.object({ id: Id }).strict(), result: SymptomSetVersionDetail },
  /** The clinician's edit of a version (reworded, reordered, added or removed symptoms) as a new, unapproved version. */
  'symptoms.saveVersion': {
    params: z
      .object({
        baseVersionId: Id,
        classes: z
          .array(z.object({ name: z.string(), symptoms: z.array(z.string().max(1000)).max(64) }))
          .min(2)
          .max(50),
        note: z.string().max(2000).optional(),
      })
      .strict(),
    result: z.object({ created: z.boolean(), version: SymptomSetVersionDetail }),
  },
  /** A clinician vouches for a version; only approved versions can be trained on. */
  'symptoms.approve': { params: z.object({ id: Id }).strict(), result: SymptomSetVersionDetail },
  /** Starts the VSG; progress arrives as `symptoms.progress` events, ending with a `finished` one. */
  'symptoms.generate': { params: SymptomGenerateParams, result: z.object({ jobId: Id }) },
  'symptoms.cancel': { params: z.object({ jobId: Id }).strict(), result: z.object({ cancelled: z.boolean() }) },
  /** How well the image model perceives each symptom: its zero-shot separability on labelled images. */
  'symptoms.check': {
    params: z
      .object({
        id: Id,
        /** A dataset folder on the engine's machine (<dir>/<split>/<class>/<images>), or the reviewed cases. */
        dataset: z.string().min(1).max(4096).optional(),
        splitFile: z.string().min(1).max(4096).optional(),
        split: z.enum(['train', 'val', 'test']).default('test'),
        fromReviews: z.boolean().default(false),
        modelId: ModelPackageId.optional(),
      })
      .strict(),
    result: KnowledgeReport,
  },
  'symptoms.llmStatus': { params: z.object({}).strict(), result: LlmStatus },
  /** Keeps the LLM API key in the main process (an empty key removes it); the key is never sent back. */
  'symptoms.setApiKey': { params: z.object({ apiKey: z.string().max(4096) }).strict(), result: LlmStatus },
} as const;

export const symptomEvents = { 'symptoms.progress': SymptomProgress } as const;

// ---------------------------------------------------------------- export/audit (case export, reports, audit trail)
// (owned by the export module; see src/main/engine/export/*)
export const ExportFilter = z
  .object({
    search: z.string().max(200).optional(),
    reviewStatus: ReviewStatus.optional(),
    modality: z.string().max(16).optional(),
    predictedClass: z.string().max(200).optional(),
    /** Reviewed cases whose review label differs from the current prediction. */
    disagreement: z.boolean().optional(),
    dateFrom: IsoDate.optional(),
    dateTo: IsoDate.optional(),
  })
  .strict();
export type ExportFilter = z.infer<typeof ExportFilter>;

export const ExportParams = z
  .object({
    /** These cases; or `filter`: every case of the worklist that matches it (an empty filter: every case). */
    caseIds: z.array(Id).min(1).max(100_000).optional(),
    filter: ExportFilter.optional(),
    /** An absolute path on the engine's machine: a folder to create, or a file ending in .zip. */
    out: z.string().min(1).max(4096),
    pdf: z.boolean().default(false),
    dicomSr: z.boolean().default(false),
    /** Keep patient name, ID, birth date, dates and UIDs. Off by default; recorded in the audit log. */
    identified: z.boolean().default(false),
    /** Chosen by the caller so it can match `export.progress` events and call `export.cancel` before the first one. */
    exportId: z.uuid().optional(),
  })
  .strict();

export const ExportResult = z.object({
  exportId: z.string(),
  path: z.string(),
  format: z.enum(['folder', 'zip']),
  cases: z.number().int().nonnegative(),
  images: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  identified: z.boolean(),
  pdfReports: z.number().int().nonnegative(),
  structuredReports: z.number().int().nonnegative(),
  /** Exported with what they have (images, notes, reviews) and marked so. */
  casesWithoutPredictions: z.array(Id),
  warnings: z.array(z.string()),
});
export type ExportResult = z.infer<typeof ExportResult>;

export const AuditQueryParams = z
  .object({
    offset: z.number().int().nonnegative().default(0),
    limit: z.number().int().positive().max(1000).default(100),
    /** Exact action (`cases.export`), or a prefix ending in a dot (`cases.`). */
    action: z.string().max(200).optional(),
    actor: z.string().max(200).optional(),
    entity: z.string().max(100).optional(),
    entityId: z.string().max(200).optional(),
  })
  .strict();

export const exportMethods = {
  /** Writes case documents, summary.csv and evidence PNGs (and PDF reports, DICOM SRs) to a folder or a zip. */
  'export.run': { params: ExportParams, result: ExportResult },
  /** Stops a running export; it then fails with code `cancelled` and leaves nothing at its destination. */
  'export.cancel': {
    params: z.object({ exportId: z.uuid() }).strict(),
    /** False when no such export runs, or when it is already making its output appear (too late to stop). */
    result: z.object({ cancelled: z.boolean() }),
  },
  /** The audit log, newest first, optionally narrowed to an action, actor or entity. */
  'audit.query': {
    params: AuditQueryParams,
    result: z.object({
      total: z.number().int().nonnegative(),
      entries: z.array(AuditEntry),
      /** Every action in the log, for the filter's choices. */
      actions: z.array(z.string()),
    }),
  },
  /** Writes the audit log (or the entries matching the filter) as CSV to an absolute path on the engine's machine. */
  'audit.export': {
    params: z
      .object({
        out: z.string().min(1).max(4096),
        action: z.string().max(200).optional(),
        actor: z.string().max(200).optional(),
        entity: z.string().max(100).optional(),
        entityId: z.string().max(200).optional(),
      })
      .strict(),
    result: z.object({ path: z.string(), entries: z.number().int().nonnegative() }),
  },
} as const;

export const exportEvents = {
  'export.progress': z.object({
    exportId: z.string(),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    caseId: Id.nullable(),
  }),
} as const;

// ---------------------------------------------------------------- the method table
const NoParams = z.object({}).strict();

export const methods = {
  'app.info': { params: NoParams, result: AppInfo },
  /** The compute backends in use and available (answers without starting any of them). */
  'engine.status': { params: NoParams, result: ComputeStatus },
  'cases.list': { params: CaseListParams, result: CaseListResult },
  'cases.get': { params: z.object({ id: Id }).strict(), result: CaseDetail },
  /** Import files by path on the engine's machine (Electron file dialog, CLI, a folder on the server). */
  'cases.importPaths': {
    params: z.object({ paths: z.array(z.string().min(1)).min(1).max(100_000), caseId: Id.optional() }).strict(),
    result: ImportReport,
  },
  /** Import uploaded file contents (drag and drop in the renderer; works over every transport). */
  'cases.importFiles': {
    params: z.object({ files: z.array(UploadedFile).min(1).max(1000), caseId: Id.optional() }).strict(),
    result: ImportReport,
  },
  'cases.updateNotes': { params: z.object({ id: Id, notes: z.string().max(20_000) }).strict(), result: CaseDetail },
  /** The image as display pixels (8-bit; DICOM: the window asked for, else the file's first), scaled to fit maxSize. */
  'images.render': {
    params: z
      .object({
        imageId: Id,
        maxSize: z.number().int().min(16).max(8192).default(1024),
        frame: z.number().int().nonnegative().default(0),
        /** Overrides the file's window (interactive window/level); ignored for colour images. */
        window: DisplayWindow.optional(),
        /** Shows the grayscale inverted (on top of MONOCHROME1's own inversion) or colour as a negative. */
        invert: z.boolean().optional(),
      })
      .strict(),
    result: RenderedImage,
  },
  'settings.get': { params: NoParams, result: Settings },
  'settings.update': { params: Settings.partial().strict(), result: Settings },
  'audit.list': {
    params: z
      .object({
        offset: z.number().int().nonnegative().default(0),
        limit: z.number().int().positive().max(1000).default(200),
      })
      .strict(),
    result: z.object({ total: z.number().int().nonnegative(), entries: z.array(AuditEntry) }),
  },
  /** Installed CLIP packages, and the one used when none is named (the first with real weights, else the demo). */
  'models.list': {
    params: NoParams,
    result: z.object({ packages: z.array(ModelPackageInfo), defaultId: z.string() }),
  },
  'models.remove': { params: z.object({ id: ModelPackageId }).strict(), result: z.object({ removed: z.string() }) },
  // The three package builds are background jobs: each answers at once with its job id (what can be refused at once,
  // such as an id already installed or being built, is an error of the call), then reports `models.jobProgress`
  // events ending with a `finished` one; `models.jobCancel` stops it and nothing is left half-installed.
  /** Generate the demo CLIP (random weights, not for clinical use). */
  'models.createDemo': {
    params: z
      .object({
        id: ModelPackageId.default('demo'),
        preset: DemoPreset.default('tiny'),
        seed: z.number().int().min(0).max(0xffffffff).default(0),
      })
      .strict(),
    result: ModelJobStarted,
  },
  /** Import a Hugging Face CLIPModel folder on the engine's machine (checked before the call answers). */
  'models.import': {
    params: z.object({ folder: z.string().min(1).max(4096), id: ModelPackageId }).strict(),
    result: ModelJobStarted,
  },
  /** Download a CLIP checkpoint from the Hugging Face Hub ($HF_ENDPOINT, else huggingface.co; $HF_TOKEN), then build. */
  'models.fetch': {
    params: z
      .object({
        repo: z.string().trim().min(3).max(200),
        revision: z.string().trim().min(1).max(200).optional(),
        id: ModelPackageId.optional(),
      })
      .strict(),
    result: ModelJobStarted,
  },
  /**
   * Stops a model job: a download keeps its partial files (the same fetch later resumes); a build removes what it
   * wrote. False when no such job runs; the finished event says whether it stopped before the package was installed.
   */
  'models.jobCancel': { params: z.object({ jobId: Id }).strict(), result: z.object({ cancelled: z.boolean() }) },
  /** The model jobs of this engine process, newest first: running ones' latest progress, recent finished ones' end. */
  'models.jobs': { params: NoParams, result: z.object({ jobs: z.array(ModelJobProgress) }) },
  /** The newest `vip bench` result saved in the data folder (of one preset, or any), null before any run. */
  'bench.latest': {
    params: z.object({ preset: z.enum(['tiny', 'vit-b16']).optional() }).strict(),
    result: z.object({ path: z.string().nullable(), result: z.record(z.string(), z.unknown()).nullable() }),
  },
  // ---- ViP: model versions, predictions, training
  'versions.list': { params: NoParams, result: z.object({ versions: z.array(ModelVersionInfo) }) },
  'versions.activate': { params: z.object({ id: Id }).strict(), result: ModelVersionInfo },
  /**
   * Predict every image of a case and save the predictions: with `versionId`, else the active version (the newest
   * active one when several tasks have one), else zero-shot with visual symptoms (`symptomSet`, default by modality).
   */
  'cases.predict': {
    params: z
      .object({
        caseId: Id,
        versionId: Id.optional(),
        mode: z.enum(['auto', 'zeroshot-classname', 'zeroshot-symptoms']).default('auto'),
        symptomSet: BuiltinSymptomSetId.optional(),
      })
      .strict(),
    result: CasePredictResult,
  },
  /** Starts a training run in a worker thread; progress arrives as `training.progress` events. */
  'training.start': { params: TrainingStartParams, result: z.object({ runId: Id }) },
  'training.cancel': { params: z.object({ runId: Id }).strict(), result: z.object({ cancelled: z.boolean() }) },
  ...reviewMethods,
  ...symptomMethods,
  ...exportMethods,
  ...pacsMethods,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** What a caller passes (defaults may be omitted). */
export type Params<M extends MethodName> = z.input<Methods[M]['params']>;
/** What a handler receives (defaults filled in). */
export type ParsedParams<M extends MethodName> = z.output<Methods[M]['params']>;
export type Result<M extends MethodName> = z.output<Methods[M]['result']>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

// ---------------------------------------------------------------- events (engine → UI)
export const events = {
  'import.progress': z.object({
    batchId: z.string(),
    index: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    outcome: ImportOutcome,
  }),
  'cases.changed': z.object({ caseIds: z.array(Id) }),
  'training.progress': TrainingProgress,
  'models.jobProgress': ModelJobProgress,
  ...symptomEvents,
  ...exportEvents,
  ...pacsEvents,
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
