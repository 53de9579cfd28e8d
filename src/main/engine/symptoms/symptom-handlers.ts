/**
 * The contract's `symptoms.*` methods. Generation runs in the background of this process (it waits on the LLM, not on
 * the CPU) and reports `symptoms.progress` events, ending with a `finished` event that carries its status and the
 * stored version; `symptoms.cancel` stops it at once.
 */
import type { LlmStatus, symptomMethods } from '@shared/contract';
import { badInput, VipError } from '@shared/errors';
import { resolve } from 'node:path';
import type { EngineContext } from '../context';
import type { HandlerGroup } from '../handlers';
import { listReviewedImages } from '../store/reviewed-images';
import { openModelOrDefault } from '../vip/model-choice';
import { parseSymptomSetText } from '../vip/symptom-set';
import { prepareGeneration } from './generation-job';
import { knowledgeCheck, type KnowledgeSource } from './knowledge-check';
import { LLM_API_KEY, secretStore } from './secret-store';
import {
  approveVersion,
  detail,
  ensureBuiltinSymptomSets,
  listVersions,
  requireVersion,
  saveEditedVersion,
} from './symptom-service';

type SymptomMethods = keyof typeof symptomMethods;

/** Generation runs of this process that can still be cancelled. */
const running = new Map<number, AbortController>();
let nextJobId = 1;

function llmStatus(ctx: EngineContext): LlmStatus {
  const settings = ctx.store.settings.get();
  const secrets = secretStore();
  const info = secrets.info();
  return {
    baseUrl: process.env['VIP_LLM_URL']?.trim() || settings.llmBaseUrl,
    model: process.env['VIP_LLM_MODEL']?.trim() || settings.llmModel,
    hasApiKey: secrets.get(LLM_API_KEY) !== null,
    keyStorage: info.storage,
    keyPersistent: info.persistent,
  };
}

export const symptomHandlers: HandlerGroup<SymptomMethods> = {
  'symptoms.list': (_params, ctx) => {
    ensureBuiltinSymptomSets(ctx.store, ctx.actor());
    return { versions: listVersions(ctx.store) };
  },

  'symptoms.get': (params, ctx) => detail(ctx.store, requireVersion(ctx.store, params.id)),

  'symptoms.saveVersion': (params, ctx) => {
    const saved = saveEditedVersion(ctx.store, {
      baseVersionId: params.baseVersionId,
      classes: params.classes,
      note: params.note,
      actor: ctx.actor(),
    });
    return { created: saved.created, version: detail(ctx.store, saved.version) };
  },

  'symptoms.approve': (params, ctx) => detail(ctx.store, approveVersion(ctx.store, params.id, ctx.actor())),

  'symptoms.generate': async (params, ctx) => {
    const controller = new AbortController();
    const jobId = nextJobId++;
    const run = await prepareGeneration({ paths: ctx.paths, store: ctx.store, actor: ctx.actor() }, params, {
      signal: controller.signal,
      onProgress: (p) => ctx.events.emit('symptoms.progress', { jobId, ...p }),
      onRetry: (r) =>
        ctx.events.emit('symptoms.progress', {
          jobId,
          phase: 'retry',
          message: `the LLM answered ${r.reason}; trying again in ${Math.ceil(r.waitMs / 1000)} s`,
        }),
    });
    running.set(jobId, controller);
    // Started after this call has answered, so the caller knows the job id before its first event.
    setImmediate(() => {
      run()
        .then(({ record, stored }) => {
          const error =
            record.error ?? (stored ? undefined : 'a class ended with no valid symptom, so nothing was stored');
          ctx.events.emit('symptoms.progress', {
            jobId,
            phase: 'finished',
            status: stored ? record.status : 'failed',
            versionId: stored?.version.id ?? null,
            ...(error !== undefined ? { error } : {}),
            message: record.warnings.join('\n'),
          });
        })
        .catch((err: unknown) => {
          const cancelled = controller.signal.aborted || (err instanceof VipError && err.code === 'cancelled');
          ctx.events.emit('symptoms.progress', {
            jobId,
            phase: 'finished',
            status: cancelled ? 'cancelled' : 'failed',
            versionId: null,
            error: cancelled ? 'cancelled' : err instanceof Error ? err.message : String(err),
          });
        })
        .finally(() => running.delete(jobId));
    });
    return { jobId };
  },

  'symptoms.cancel': (params) => {
    const controller = running.get(params.jobId);
    if (!controller) return { cancelled: false };
    controller.abort();
    return { cancelled: true };
  },

  'symptoms.check': async (params, ctx) => {
    if ((params.dataset === undefined) === !params.fromReviews) {
      throw badInput('give a dataset folder or fromReviews, not both or neither');
    }
    const row = requireVersion(ctx.store, params.id);
    const set = parseSymptomSetText(row.classesJson, { label: `symptom set ${row.name} v${row.version}` });
    const source: KnowledgeSource =
      params.dataset !== undefined
        ? {
            kind: 'folder',
            root: resolve(params.dataset),
            ...(params.splitFile !== undefined ? { splitFile: resolve(params.splitFile) } : {}),
            split: params.split,
          }
        : { kind: 'reviewed', images: listReviewedImages(ctx.store) };
    const pkg = await openModelOrDefault(ctx.paths.models, params.modelId);
    const report = await knowledgeCheck(pkg, set, source, { featuresDir: ctx.paths.features });
    return { versionId: row.id, ...report };
  },

  'symptoms.llmStatus': (_params, ctx) => llmStatus(ctx),

  'symptoms.setApiKey': (params, ctx) => {
    secretStore().set(LLM_API_KEY, params.apiKey);
    ctx.store.audit.record({
      actor: ctx.actor(),
      action: params.apiKey.trim() === '' ? 'symptoms.apiKey.remove' : 'symptoms.apiKey.set',
      entity: 'settings',
      entityId: 'llm-api-key',
      detail: null,
    });
    return llmStatus(ctx);
  },
};
