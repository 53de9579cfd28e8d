/**
 * The learned numbers of a ViP (or CoOp) prompt as plain arrays: what the trainer starts from, what the prompt file
 * stores and what the text side is computed from. Layouts follow the authors' PyTorch code: `ctx` `[M, W]` (or
 * `[C, M, W]`), class tokens `[C, d]`, Wq and Wk `[d, d]` in torch `Linear` layout (`y = x Wᵀ`).
 */
import { badInput } from '@shared/errors';
import { Prng } from '../model/prng';
import type { TensorInput } from '../model/safetensors';
import { checkHeadConfig, trainedParts, type HeadConfig } from './config';

export interface PromptWeights {
  classes: string[];
  config: HeadConfig;
  /** W, the text tower's width (the context vectors live in its embedding space). */
  textWidth: number;
  /** d, the projected feature size (class tokens, Wq and Wk). */
  embedDim: number;
  /** `[M, W]`, or `[C, M, W]` when class-specific; null without CoP. */
  ctx: TensorInput | null;
  /** MeP tensors; null unless the aggregate is MeP. */
  classTokens: TensorInput | null;
  qProj: TensorInput | null;
  kProj: TensorInput | null;
}

/** The authors' initialisation (N(0, 0.02) context and class tokens, Xavier-normal Wq and Wk), seeded per tensor. */
export function initPromptWeights(options: {
  classes: readonly string[];
  config: HeadConfig;
  textWidth: number;
  embedDim: number;
  seed: number;
}): PromptWeights {
  const { classes, config, textWidth: w, embedDim: d, seed } = options;
  checkHeadConfig(config);
  const c = classes.length;
  const parts = trainedParts(config);
  const normal = (name: string, shape: number[], std: number): TensorInput => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    return { shape, data: new Prng(`${seed >>> 0}:${name}`).fillNormal(data, std) };
  };
  // torch's xavier_normal_ for a [d, d] weight: std = sqrt(2 / (fan_in + fan_out)).
  const xavier = Math.sqrt(2 / (d + d));
  return {
    classes: [...classes],
    config: { ...config },
    textWidth: w,
    embedDim: d,
    ctx: parts.ctx ? normal('cop.ctx', config.classSpecific ? [c, config.nCtx, w] : [config.nCtx, w], 0.02) : null,
    classTokens: parts.mep ? normal('mep.class_tokens', [c, d], 0.02) : null,
    qProj: parts.mep ? normal('mep.q_proj.weight', [d, d], xavier) : null,
    kProj: parts.mep ? normal('mep.k_proj.weight', [d, d], xavier) : null,
  };
}

/** Checks that the tensors present are exactly those the configuration uses, with consistent shapes. */
export function checkPromptWeights(p: PromptWeights, label = 'prompt weights'): void {
  checkHeadConfig(p.config);
  const c = p.classes.length;
  const parts = trainedParts(p.config);
  const expect = (name: string, t: TensorInput | null, used: boolean, shape: number[]): void => {
    if (!used) {
      if (t !== null) throw badInput(`${label}: ${name} is present but this configuration does not use it`);
      return;
    }
    if (t === null) throw badInput(`${label}: tensor ${name} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw badInput(`${label}: ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    if (t.data.length !== shape.reduce((a, b) => a * b, 1)) throw badInput(`${label}: ${name} has the wrong size`);
    if (!t.data.every(Number.isFinite)) throw badInput(`${label}: ${name} holds non-finite values`);
  };
  const { nCtx, classSpecific } = p.config;
  expect('cop.ctx', p.ctx, parts.ctx, classSpecific ? [c, nCtx, p.textWidth] : [nCtx, p.textWidth]);
  expect('mep.class_tokens', p.classTokens, parts.mep, [c, p.embedDim]);
  expect('mep.q_proj.weight', p.qProj, parts.mep, [p.embedDim, p.embedDim]);
  expect('mep.k_proj.weight', p.kProj, parts.mep, [p.embedDim, p.embedDim]);
}

/** What a model and a symptom set need from a prompt: the same classes in the same order, the same sizes. */
export interface PromptExpectations {
  classes?: readonly string[];
  textWidth?: number;
  embedDim?: number;
}

export function checkPromptMatches(p: PromptWeights, expected: PromptExpectations, label = 'prompt file'): void {
  const { classes, textWidth, embedDim } = expected;
  if (classes && (classes.length !== p.classes.length || classes.some((name, i) => name !== p.classes[i]))) {
    throw badInput(
      `${label} was trained for classes ${JSON.stringify(p.classes)}; the symptom set has ${JSON.stringify(classes)}`,
    );
  }
  if (textWidth !== undefined && textWidth !== p.textWidth) {
    throw badInput(`${label} is for text width ${p.textWidth}, this model has ${textWidth}`);
  }
  if (embedDim !== undefined && embedDim !== p.embedDim) {
    throw badInput(`${label} is for feature size ${p.embedDim}, this model has ${embedDim}`);
  }
}
