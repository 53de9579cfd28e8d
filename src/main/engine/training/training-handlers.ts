/**
 * `training.start` and `training.cancel`: a run in a worker thread (the UI stays responsive), reported as
 * `training.progress` events and finished by a `finished` event with its status and model version.
 */
import { basename, extname, resolve } from 'node:path';
import type { ParsedParams, TrainingProgress, TrainingSchedule, TrainingTextBackend } from '@shared/contract';
import { badInput } from '@shared/errors';
import type { EngineContext } from '../context';
import type { HandlerGroup } from '../handlers';
import { listReviewedImages } from '../store/reviewed-images';
import { builtinSymptomSet } from '../vip/builtin-symptoms';
import { defaultHeadConfig } from '../vip/config';
import { openModelOrDefault } from '../vip/model-choice';
import { readSymptomSetFile } from '../vip/symptom-set';
import type { DatasetSpec, JobProgress } from './job-spec';
import { runTraining, type TrainingRequest } from './run-training';
import { storedSymptomSet } from '../review/stored-symptom-set';
import { defaultTrainOptions } from './option-names';
import { scheduleOptions, type ScheduleName } from './schedules';
import type { TextBackendChoice } from './text-backprop';

// The contract's lists are the engine's (the renderer cannot import the engine's): a compile error when they part.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameSchedules: Same<TrainingSchedule, ScheduleName> = true;
const sameTextBackends: Same<(typeof TrainingTextBackend.options)[number], TextBackendChoice> = true;
void sameSchedules;
void sameTextBackends;

type TrainingMethods = 'training.start' | 'training.cancel';

/** Runs of this process that can still be cancelled. */
const running = new Map<number, AbortController>();

function progressEvent(runId: number, p: JobProgress): TrainingProgress {
  switch (p.phase) {
    case 'ready':
      return { runId, phase: 'ready', total: p.counts.train };
    case 'warning':
      return { runId, phase: 'warning', message: p.message };
    case 'features':
      return { runId, phase: 'features', done: p.done, total: p.total, message: p.split };
    case 'step':
      return {
        runId,
        phase: 'step',
        epoch: p.epoch,
        epochs: p.epochs,
        step: p.step,
        steps: p.steps,
        loss: p.loss,
        accuracy: p.accuracy,
        etaSeconds: p.etaSeconds,
      };
    case 'epoch':
      return {
        runId,
        phase: 'epoch',
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.trainLoss,
        accuracy: p.trainAccuracy,
        valAccuracy: p.valAccuracy,
        valMacroF1: p.valMacroF1,
      };
    case 'evaluate':
      return { runId, phase: 'evaluate', message: p.split };
  }
}

async function trainingRequest(params: ParsedParams<'training.start'>, ctx: EngineContext): Promise<TrainingRequest> {
  if (params.dataset === undefined && !params.fromReviews)
    throw badInput('give a dataset folder, fromReviews, or both (a folder and the reviewed cases together)');
  const named = [params.symptomSet, params.symptomsPath, params.symptomSetVersionId].filter((v) => v !== undefined);
  if (named.length !== 1) {
    throw badInput('give a symptomSetVersionId, a built-in symptomSet or a symptomsPath: exactly one');
  }
  const stored =
    params.symptomSetVersionId !== undefined ? storedSymptomSet(ctx.store, params.symptomSetVersionId) : null;
  const symptoms = stored
    ? stored.symptoms
    : params.symptomSet
      ? builtinSymptomSet(params.symptomSet)
      : readSymptomSetFile(resolve(params.symptomsPath ?? ''));
  if (!symptoms) throw badInput(`no built-in symptom set "${params.symptomSet ?? ''}"`);
  const pkg = await openModelOrDefault(ctx.paths.models, params.modelId);
  const folder = params.dataset
    ? { root: resolve(params.dataset), ...(params.splitFile ? { splitFile: resolve(params.splitFile) } : {}) }
    : null;
  const dataset: DatasetSpec = !folder
    ? { kind: 'reviewed', images: listReviewedImages(ctx.store) }
    : params.fromReviews
      ? { kind: 'combined', ...folder, images: listReviewedImages(ctx.store) }
      : { kind: 'folder', ...folder };
  const fromFile = params.symptomsPath !== undefined;
  return {
    pkg,
    symptoms,
    symptomSetName: stored
      ? stored.name
      : fromFile
        ? basename(params.symptomsPath ?? '', extname(params.symptomsPath ?? ''))
        : `builtin:${params.symptomSet ?? ''}`,
    ...(params.task !== undefined ? { task: params.task } : stored ? { task: stored.task } : {}),
    // A file named by the person starting the run counts as vouched for by them; built-in sets do not.
    approvedBy: fromFile ? ctx.actor() : null,
    symptomsSource: stored
      ? stored.source
      : fromFile
        ? resolve(params.symptomsPath ?? '')
        : `built-in:${params.symptomSet ?? ''}`,
    dataset,
    head: defaultHeadConfig,
    train: {
      ...defaultTrainOptions,
      epochs: params.epochs,
      batchSize: params.batchSize,
      lr: params.lr,
      optimizer: params.optimizer,
      seed: params.seed,
      ...scheduleOptions(params.schedule),
      textBackend: params.textBackend,
    },
    views: params.views,
    valFraction: params.valFraction,
    evaluateTest: true,
  };
}

export const trainingHandlers: HandlerGroup<TrainingMethods> = {
  'training.start': async (params, ctx) => {
    const request = await trainingRequest(params, ctx);
    const controller = new AbortController();
    return new Promise((resolvePromise, reject) => {
      let runId: number | null = null;
      let lastStep = 0;
      runTraining({ paths: ctx.paths, store: ctx.store, actor: ctx.actor() }, request, {
        signal: controller.signal,
        onRunCreated: (id) => {
          runId = id;
          running.set(id, controller);
          resolvePromise({ runId: id });
        },
        onProgress: (p) => {
          if (runId === null) return;
          // Steps can come hundreds a second on small models: at most a few per second reach the UI.
          if (p.phase === 'step' && p.step !== p.steps && Date.now() - lastStep < 250) return;
          if (p.phase === 'step') lastStep = Date.now();
          ctx.events.emit('training.progress', progressEvent(runId, p));
        },
      })
        .then((outcome) => {
          ctx.events.emit('training.progress', {
            runId: outcome.runId,
            phase: 'finished',
            status: 'completed',
            versionId: outcome.version.id,
          });
        })
        .catch((err: unknown) => {
          if (runId === null) {
            reject(err);
            return;
          }
          const cancelled = controller.signal.aborted;
          ctx.events.emit('training.progress', {
            runId,
            phase: 'finished',
            status: cancelled ? 'cancelled' : 'failed',
            versionId: null,
            message: err instanceof Error ? err.message : String(err),
          });
        })
        .finally(() => {
          if (runId !== null) running.delete(runId);
        });
    });
  },

  'training.cancel': (params) => {
    const controller = running.get(params.runId);
    if (!controller) return { cancelled: false };
    controller.abort();
    return { cancelled: true };
  },
};
