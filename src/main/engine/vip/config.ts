/** What a trained prompt is: ViP (CoP + a merge of the symptom features) or the CoOp baseline, and its sizes. */
import { badInput } from '@shared/errors';
import { DEFAULT_N_CTX } from './prompts';

/** exp(logit_scale) of CLIP, frozen (ViP never trains it). */
export const LOGIT_SCALE = 100;

export const aggregates = ['mep', 'mean', 'max'] as const;
/** How a class's symptom features become one class feature: MeP (the method) or the mean / max ablations. */
export type Aggregate = (typeof aggregates)[number];

export const methods = ['vip', 'coop'] as const;
export type Method = (typeof methods)[number];

export interface HeadConfig {
  method: Method;
  /** Ignored by CoOp (one prompt per class, nothing to merge); kept so one shape fits both. */
  aggregate: Aggregate;
  /** M, the CoP context length; 0 = no CoP (the prompts are `symptom + "."`). CoOp needs at least 1. */
  nCtx: number;
  /** One context per class (`[C, M, W]`) instead of one shared by all (`[M, W]`). */
  classSpecific: boolean;
}

export const defaultHeadConfig: HeadConfig = {
  method: 'vip',
  aggregate: 'mep',
  nCtx: DEFAULT_N_CTX,
  classSpecific: false,
};

/** Which tensors a configuration learns. */
export function trainedParts(config: HeadConfig): { ctx: boolean; mep: boolean } {
  return {
    ctx: config.nCtx > 0,
    mep: config.method === 'vip' && config.aggregate === 'mep',
  };
}

/** Rejects configurations with nothing to learn or that make no sense, before any work starts. */
export function checkHeadConfig(config: HeadConfig): void {
  if (!(methods as readonly string[]).includes(config.method)) {
    throw badInput(`method must be one of ${methods.join(', ')}, got "${String(config.method)}"`);
  }
  if (!(aggregates as readonly string[]).includes(config.aggregate)) {
    throw badInput(`aggregate must be one of ${aggregates.join(', ')}, got "${String(config.aggregate)}"`);
  }
  if (!Number.isInteger(config.nCtx) || config.nCtx < 0 || config.nCtx > 32) {
    throw badInput(`the number of context vectors must be a whole number from 0 to 32, got ${config.nCtx}`);
  }
  if (config.method === 'coop' && config.nCtx === 0) {
    throw badInput('CoOp learns only its context: it needs at least one context vector (not --no-cop)');
  }
  if (config.classSpecific && config.nCtx === 0) {
    throw badInput('a class-specific context needs at least one context vector (not --no-cop)');
  }
  const parts = trainedParts(config);
  if (!parts.ctx && !parts.mep) {
    throw badInput(`without CoP and with the ${config.aggregate} aggregate there is nothing to train`);
  }
}
