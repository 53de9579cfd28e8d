/**
 * `training.list` and `training.get`: the recorded runs with their per-epoch history, so a screen opened while a
 * run is going (or after it ended) can show everything so far and then follow the `training.progress` events.
 */
import type { TrainingEpochInfo, TrainingRunInfo } from '@shared/contract';
import { notFound } from '@shared/errors';
import { getSymptomSetVersion } from '../store/symptom-set-repo';
import type { Store } from '../store/store';
import type { TrainingRun } from '../store/training-run-repo';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function toEpoch(raw: unknown): TrainingEpochInfo | null {
  if (raw === null || typeof raw !== 'object') return null;
  const e = raw as Record<string, unknown>;
  const epoch = num(e['epoch']);
  if (epoch === null || !Number.isInteger(epoch)) return null;
  return {
    epoch,
    lr: num(e['lr']),
    trainLoss: num(e['trainLoss']),
    trainAccuracy: num(e['trainAccuracy']),
    valAccuracy: num(e['valAccuracy']),
    valMacroF1: num(e['valMacroF1']),
    seconds: num(e['seconds']),
  };
}

function versionOfRun(store: Store, runId: number): number | null {
  const row = store.db
    .prepare<[number], { id: number }>('SELECT id FROM model_versions WHERE training_run_id = ? ORDER BY id LIMIT 1')
    .get(runId);
  return row?.id ?? null;
}

export function runInfo(store: Store, run: TrainingRun): TrainingRunInfo {
  const ssv = run.symptomSetVersionId !== null ? getSymptomSetVersion(store.db, run.symptomSetVersionId) : null;
  const config =
    run.config !== null && typeof run.config === 'object' && !Array.isArray(run.config)
      ? (run.config as Record<string, unknown>)
      : null;
  return {
    id: run.id,
    status: run.status,
    modelPackageId: run.modelPackageId,
    symptomSetVersionId: run.symptomSetVersionId,
    symptomSetName: ssv ? `${ssv.name} v${ssv.version}` : null,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error,
    config,
    epochs: run.epochs.map(toEpoch).filter((e): e is TrainingEpochInfo => e !== null),
    versionId: versionOfRun(store, run.id),
  };
}

export function listRuns(store: Store): TrainingRunInfo[] {
  return store.trainingRuns.list().map((r) => runInfo(store, r));
}

export function getRun(store: Store, runId: number): TrainingRunInfo {
  const run = store.trainingRuns.get(runId);
  if (!run) throw notFound(`Training run ${runId} does not exist`);
  return runInfo(store, run);
}
