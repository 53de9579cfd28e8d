/**
 * A training run as the store sees it, shared by `vip train` and the engine's `training.start`: the symptom set is
 * recorded (a new version only when its content is new), a training_runs row follows the run (queued, running,
 * each epoch, then completed, failed or cancelled), the job runs off the calling thread, and its result becomes an
 * immutable model version. Every step is audit logged.
 */
import { badInput, VipError } from '@shared/errors';
import { packageTokenizer } from '../model/embed';
import type { ModelPackage } from '../model/package';
import type { DataPaths } from '../paths';
import type { Store } from '../store/store';
import { upsertModelPackage } from '../store/model-version-repo';
import { importSymptomSetVersion, type SymptomSetVersionRow } from '../store/symptom-set-repo';
import type { HeadConfig } from '../vip/config';
import { checkHeadConfig } from '../vip/config';
import { checkSymptomsFit, type SymptomSet } from '../vip/symptom-set';
import { symptomSetText } from '../vip/symptom-set-text';
import { createModelVersion, type VersionInfo } from '../vip/versions';
import { runJob, type JobRunner } from '../worker/client';
import type { DatasetSpec, JobProgress, TrainingJobResult } from './job-spec';
import { scheduleOf } from './schedules';
import { checkTrainOptions, type TrainOptions } from './trainer';

export interface TrainingRequest {
  pkg: ModelPackage;
  symptoms: SymptomSet;
  /** The symptom set's name in the store (a new version is added when the content differs). */
  symptomSetName: string;
  /** Defaults to the set's name. */
  task?: string;
  /** Who vouches for the symptoms (the CLI user importing a file), or null to record them unapproved. */
  approvedBy: string | null;
  /** Where the symptoms came from, for the record (a file path, a built-in set id). */
  symptomsSource: string;
  dataset: DatasetSpec;
  head: HeadConfig;
  train: TrainOptions;
  views: number;
  valFraction: number;
  evaluateTest: boolean;
  versionName?: string;
}

export interface TrainingContext {
  paths: DataPaths;
  store: Store;
  actor: string;
}

export interface TrainingHooks {
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  runner?: JobRunner;
  /** Called once the run row exists (the UI returns its id right away). */
  onRunCreated?: (runId: number) => void;
}

export interface TrainingOutcome {
  runId: number;
  runner: JobRunner;
  version: VersionInfo;
  symptomSetVersion: SymptomSetVersionRow;
  result: TrainingJobResult;
}

/** Checks everything that needs no images: options, configuration, symptoms against the package's tokenizer. */
export function checkTrainingRequest(req: TrainingRequest): void {
  checkHeadConfig(req.head);
  checkTrainOptions(req.train);
  if (!Number.isInteger(req.views) || req.views < 1 || req.views > 64) {
    throw badInput(`views must be a whole number from 1 to 64, got ${req.views}`);
  }
  if (!(req.valFraction >= 0 && req.valFraction <= 0.5)) {
    throw badInput(`the validation fraction must be from 0 to 0.5, got ${req.valFraction}`);
  }
  checkSymptomsFit(req.symptoms, {
    tokenizer: packageTokenizer(req.pkg),
    nCtx: req.head.nCtx,
    contextLength: req.pkg.manifest.tokenizer.contextLength,
  });
}

export async function runTraining(
  ctx: TrainingContext,
  req: TrainingRequest,
  hooks: TrainingHooks = {},
): Promise<TrainingOutcome> {
  checkTrainingRequest(req);
  const { store, actor } = ctx;
  const packageId = req.pkg.manifest.id;
  const runConfig = {
    modelPackageId: packageId,
    dataset: describeDataset(req.dataset),
    head: req.head,
    train: req.train,
    // Named as well as implied by train.contextEvery, so versions and runs say which schedule trained them.
    schedule: scheduleOf(req.train.contextEvery),
    views: req.views,
    valFraction: req.valFraction,
    symptomsSource: req.symptomsSource,
  };
  const { ssv, runId } = store.durableTransaction(() => {
    const imported = importSymptomSetVersion(store.db, {
      name: req.symptomSetName,
      task: req.task ?? req.symptomSetName,
      classesJson: symptomSetText(req.symptoms),
      approvedBy: req.approvedBy,
      provenance: { source: req.symptomsSource, importedBy: actor },
    });
    if (imported.created) {
      store.audit.record({
        actor,
        action: 'symptoms.import',
        entity: 'symptom_set_version',
        entityId: imported.version.id,
        detail: {
          name: imported.version.name,
          version: imported.version.version,
          approved: imported.version.approved,
          source: req.symptomsSource,
        },
      });
    }
    // Training accepts approved symptom sets only; throwing here rolls back the run (and a version new to the store).
    if (!imported.version.approved) throw notApproved(imported.version, imported.created, req.symptomsSource);
    // The run row refers to a package row; model_packages is filled as packages get used.
    upsertModelPackage(store.db, {
      id: packageId,
      name: req.pkg.manifest.name,
      source: `${req.pkg.manifest.source.kind}:${req.pkg.manifest.source.ref}`,
      randomWeights: req.pkg.manifest.randomWeights,
      manifest: req.pkg.manifest,
    });
    const id = store.trainingRuns.create({
      config: runConfig,
      modelPackageId: packageId,
      symptomSetVersionId: imported.version.id,
    });
    store.audit.record({ actor, action: 'training.start', entity: 'training_run', entityId: id, detail: runConfig });
    return { ssv: imported.version, runId: id };
  });
  hooks.onRunCreated?.(runId);
  store.trainingRuns.markRunning(runId);

  let outcome: { result: TrainingJobResult; runner: JobRunner };
  try {
    outcome = await runJob(
      {
        modelsDir: ctx.paths.models,
        featuresDir: ctx.paths.features,
        packageId,
        symptomsText: symptomSetText(req.symptoms),
        head: req.head,
        train: req.train,
        views: req.views,
        dataset: req.dataset,
        valFraction: req.valFraction,
        evaluateTest: req.evaluateTest,
      },
      {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        ...(hooks.runner ? { runner: hooks.runner } : {}),
        onProgress: (p) => {
          if (p.phase === 'epoch') {
            const { phase: _phase, epochs: _epochs, ...report } = p;
            store.trainingRuns.appendEpoch(runId, report);
          }
          hooks.onProgress?.(p);
        },
      },
    );
  } catch (err) {
    const cancelled = err instanceof VipError && err.code === 'cancelled';
    const message = err instanceof Error ? err.message : String(err);
    store.trainingRuns.finish(runId, cancelled ? 'cancelled' : 'failed', message);
    store.audit.record({
      actor,
      action: cancelled ? 'training.cancel' : 'training.fail',
      entity: 'training_run',
      entityId: runId,
      detail: { error: message },
    });
    throw err;
  }

  const { result } = outcome;
  const metrics = {
    bestEpoch: result.bestEpoch,
    initial: result.initial,
    val: result.val,
    test: result.test,
    epochs: result.epochs,
    counts: result.counts,
    warnings: result.warnings,
    timing: result.timing,
    tfjsBackend: result.tfjsBackend,
    executionProvider: result.executionProvider,
    ...(result.textBackend ? { textBackend: result.textBackend } : {}),
    peakRssBytes: result.peakRssBytes,
  };
  const version = createModelVersion(store, ctx.paths, {
    ...(req.versionName !== undefined ? { name: req.versionName } : {}),
    ...(req.task !== undefined ? { task: req.task } : {}),
    pkg: req.pkg,
    symptomSetVersion: ssv,
    symptoms: req.symptoms,
    trainingRunId: runId,
    weights: result.weights,
    config: { ...runConfig, classes: result.classes },
    metrics,
    textSide: result.textSide,
    actor,
  });
  store.trainingRuns.finish(runId, 'completed');
  store.audit.record({
    actor,
    action: 'training.finish',
    entity: 'training_run',
    entityId: runId,
    detail: { versionId: version.id, bestEpoch: result.bestEpoch },
  });
  return { runId, runner: outcome.runner, version, symptomSetVersion: ssv, result };
}

function notApproved(v: SymptomSetVersionRow, isNew: boolean, source: string): VipError {
  return badInput(
    isNew
      ? `the symptoms from ${source} are not approved, and training accepts approved symptom sets only: a clinician approves them on the Symptoms screen or with \`vip symptoms approve ID\` (\`vip symptoms list\` shows the ids)`
      : `symptom set "${v.name}" v${v.version} (id ${v.id}) is not approved, and training accepts approved symptom sets only: a clinician approves it on the Symptoms screen or with \`vip symptoms approve ${v.id}\``,
  );
}

function describeDataset(d: DatasetSpec): Record<string, unknown> {
  if (d.kind === 'reviewed') return { kind: 'reviewed', images: d.images.length };
  const folder = { root: d.root, ...(d.splitFile ? { splitFile: d.splitFile } : {}) };
  return d.kind === 'folder' ? { kind: 'folder', ...folder } : { kind: 'combined', ...folder, images: d.images.length };
}
