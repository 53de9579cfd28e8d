/**
 * The trainable part of ViP in tfjs: the CoP context, the MeP class tokens and Wq, Wk. The text tower is frozen and
 * bound at creation (the prompts' token embeddings are computed once and kept); only the variables here are trained.
 *
 * Per step the text side is image-independent: the symptom prompts go through the tower once, MeP merges each class's
 * symptom features into `s_c`, and the logits of a whole batch are `100 · f̂ · ŝ_cᵀ`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VipError, badInput } from '@shared/errors';
import type { TensorInput } from '../model/safetensors';
import { LOGIT_SCALE, checkHeadConfig, type HeadConfig } from './config';
import type { PromptBatch } from './prompts';
import { encodePrompts, promptEmbeddings, type TrainableTextTower } from './tf-prompts';
import { checkPromptWeights, initPromptWeights, type PromptWeights } from './weights';

export interface ViPHeadOptions {
  tower: TrainableTextTower;
  /** The symptom prompts (ViP; `nCtx` 0 for no CoP) or the class-name prompts (CoOp), classes in order. */
  prompts: PromptBatch;
  classes: readonly string[];
  config: HeadConfig;
  /** Seeds the initialisation (ignored with `init`). */
  seed?: number;
  /** Start from these weights (a saved prompt) instead of the random initialisation. */
  init?: PromptWeights;
}

export class ViPHead {
  readonly config: HeadConfig;
  readonly classes: readonly string[];
  readonly textWidth: number;
  readonly embedDim: number;
  /** `[M, W]` or `[C, M, W]`; null without CoP. */
  readonly ctx: tf.Variable | null;
  /** `[C, d]`; null unless the aggregate is MeP. */
  readonly classTokens: tf.Variable | null;
  /** `[d, d]`, torch layout (`y = x Wᵀ`). */
  readonly wq: tf.Variable | null;
  readonly wk: tf.Variable | null;

  private readonly tower: TrainableTextTower;
  private readonly prompts: PromptBatch;
  /** Token embeddings of the prompts (with CoP), or their features (without: then nothing upstream is trained). */
  private readonly constantInput: tf.Tensor;
  private disposed = false;

  constructor(options: ViPHeadOptions) {
    const { tower, prompts, classes, config } = options;
    checkHeadConfig(config);
    if (prompts.classRows.length !== classes.length) {
      throw new VipError('internal', `${prompts.classRows.length} prompt groups for ${classes.length} classes`);
    }
    if (prompts.layouts.some((l) => l.nCtx !== config.nCtx)) {
      throw new VipError(
        'internal',
        `the prompts were built for another number of context vectors than ${config.nCtx}`,
      );
    }
    if (config.method === 'coop' && prompts.classRows.some((r) => r.count !== 1)) {
      throw new VipError('internal', 'CoOp takes one class-name prompt per class');
    }
    this.config = { ...config };
    this.classes = [...classes];
    this.tower = tower;
    this.prompts = prompts;
    this.textWidth = tower.width;
    this.embedDim = tower.config.projectionDim;

    const weights =
      options.init ??
      initPromptWeights({
        classes,
        config,
        textWidth: this.textWidth,
        embedDim: this.embedDim,
        seed: options.seed ?? 0,
      });
    if (options.init) {
      checkPromptWeights(options.init);
      if (options.init.textWidth !== this.textWidth || options.init.embedDim !== this.embedDim) {
        throw badInput(
          `prompt weights are for text width ${options.init.textWidth} and feature size ${options.init.embedDim}; this model has ${this.textWidth} and ${this.embedDim}`,
        );
      }
    }
    const variable = (t: TensorInput | null): tf.Variable | null =>
      // tidy frees the initial tensor; the variable keeps its own copy of the data.
      t === null ? null : tf.tidy(() => tf.variable(tf.tensor(t.data, [...t.shape], 'float32'), true));
    this.ctx = variable(weights.ctx);
    this.classTokens = variable(weights.classTokens);
    this.wq = variable(weights.qProj);
    this.wk = variable(weights.kProj);

    this.constantInput = tf.tidy(() => {
      const base = promptEmbeddings(tower, prompts.layouts);
      return this.ctx === null ? encodePrompts(tower, prompts.layouts, base, null) : base;
    });
    tf.keep(this.constantInput);
  }

  /** The trainable variables, for `optimizer.minimize(..., varList)`. */
  get variables(): tf.Variable[] {
    return [this.ctx, this.classTokens, this.wq, this.wk].filter((v): v is tf.Variable => v !== null);
  }

  /** `[S, d]` features of every prompt (symptoms of all classes in order; one per class for CoOp), unnormalised. */
  promptFeatures(): tf.Tensor2D {
    this.assertAlive();
    if (this.ctx === null) return tf.clone(this.constantInput) as tf.Tensor2D;
    return encodePrompts(
      this.tower,
      this.prompts.layouts,
      this.constantInput as tf.Tensor3D,
      this.ctx as tf.Tensor2D | tf.Tensor3D,
    );
  }

  /** The prompts this head reads, classes in order. */
  get promptBatch(): PromptBatch {
    return this.prompts;
  }

  /**
   * The prompts' token embeddings `[S, L, W]` as host data (L = the last EOT + 1, rows padded with token 0), the
   * placeholders not yet replaced by the context; null without CoP. For text towers outside tfjs (training/split-step).
   */
  baseEmbeddings(): Float32Array | null {
    this.assertAlive();
    return this.ctx === null ? null : Float32Array.from(this.constantInput.dataSync() as Float32Array);
  }

  /** `[C, d]` class features `s_c` (unnormalised). */
  classFeatures(): tf.Tensor2D {
    this.assertAlive();
    return tf.tidy(() => this.classFeaturesFrom(this.promptFeatures()));
  }

  /**
   * `[C, d]` class features from given prompt features `[S, d]` (from any text tower): MeP (or the ablation) per class.
   * Differentiable with respect to the prompt features and the MeP variables.
   */
  classFeaturesFrom(t: tf.Tensor2D): tf.Tensor2D {
    this.assertAlive();
    return tf.tidy(() => {
      if (this.config.method === 'coop') return tf.clone(t);
      const rows = this.prompts.classRows.map(({ start, count }, c) => {
        const tc = tf.slice(t, [start, 0], [count, this.embedDim]);
        return this.merge(tc, c);
      });
      return tf.concat(rows, 0);
    });
  }

  /** `[B, C]` logits `100 · cos(f, s_c)` for `[B, d]` image features (unnormalised CLIP image features). */
  forward(imageFeatures: tf.Tensor2D): tf.Tensor2D {
    this.assertAlive();
    if (imageFeatures.shape[1] !== this.embedDim) {
      throw badInput(
        `image features have ${imageFeatures.shape[1]} values, this model's text features ${this.embedDim}`,
      );
    }
    return tf.tidy(() => cosineLogits(imageFeatures, this.classFeatures()));
  }

  /** `[B, C]` logits from given prompt features `[S, d]` (see classFeaturesFrom). */
  forwardFrom(promptFeatures: tf.Tensor2D, imageFeatures: tf.Tensor2D): tf.Tensor2D {
    this.assertAlive();
    return tf.tidy(() => cosineLogits(imageFeatures, this.classFeaturesFrom(promptFeatures)));
  }

  /** Mean cross-entropy of the logits against integer labels. */
  loss(imageFeatures: tf.Tensor2D, labels: readonly number[] | Int32Array): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.forward(imageFeatures), labels, this.classes.length));
  }

  /**
   * `½ · wd · Σ θ²` over the trainable variables. Added to the loss, its gradient `wd · θ` is exactly what torch's
   * SGD/Adam `weight_decay` adds to each gradient (the authors' 5e-4), which tfjs optimizers lack.
   */
  weightDecayPenalty(weightDecay: number): tf.Scalar {
    return tf.tidy(() => {
      const sums = this.variables.map((v) => tf.sum(tf.square(v)));
      return tf.mul(tf.addN(sums), 0.5 * weightDecay) as tf.Scalar;
    });
  }

  /** The current weights as host arrays (for the prompt file and the inference text side). */
  exportWeights(): PromptWeights {
    this.assertAlive();
    const host = (v: tf.Variable | null): TensorInput | null =>
      v === null ? null : { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) };
    return {
      classes: [...this.classes],
      config: { ...this.config },
      textWidth: this.textWidth,
      embedDim: this.embedDim,
      ctx: host(this.ctx),
      classTokens: host(this.classTokens),
      qProj: host(this.wq),
      kProj: host(this.wk),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.constantInput.dispose();
    for (const v of this.variables) v.dispose();
  }

  /**
   * One class's `[k, d]` symptom features to `[1, d]`.
   * MeP: `a = softmax((g Wqᵀ)(T Wkᵀ)ᵀ / √d)`, `s = g + a T` (the authors' MergePrompt: value = the raw features).
   * The ablations replace the whole merge, class token included: the authors' public code has no switch for them and
   * the paper only says "mean" and "max", so we take the plain reading over the same unnormalised features that MeP
   * attends over: `s = mean_k T_k`, and `s = max_k T_k` element by element.
   */
  private merge(tc: tf.Tensor2D, c: number): tf.Tensor2D {
    switch (this.config.aggregate) {
      case 'mean':
        return tf.mean(tc, 0, true);
      case 'max':
        return tf.max(tc, 0, true);
      case 'mep': {
        const { classTokens, wq, wk } = this;
        if (!classTokens || !wq || !wk) throw new VipError('internal', 'MeP weights missing');
        const g = tf.slice(classTokens, [c, 0], [1, this.embedDim]) as tf.Tensor2D;
        const q = tf.matMul(g, wq as tf.Tensor2D, false, true);
        const k = tf.matMul(tc, wk as tf.Tensor2D, false, true);
        const a = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(this.embedDim)));
        return tf.add(g, tf.matMul(a, tc));
      }
    }
  }

  private assertAlive(): void {
    if (this.disposed) throw new VipError('internal', 'ViP head used after dispose()');
  }
}

/** `[B, C]` = 100 · f̂ ŝᵀ. */
export function cosineLogits(imageFeatures: tf.Tensor2D, classFeatures: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const f = unitRows(imageFeatures);
    const s = unitRows(classFeatures);
    return tf.mul(tf.matMul(f, s, false, true), LOGIT_SCALE);
  });
}

/** Rows scaled to unit length (rsqrt of the sum of squares: kernels whose gradients the engine registers). */
function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.sum(tf.square(x), 1, true)));
}

/** Mean softmax cross-entropy for integer labels in 0..C-1. */
export function crossEntropy(
  logits: tf.Tensor2D,
  labels: readonly number[] | Int32Array,
  numClasses: number,
): tf.Scalar {
  if (labels.length !== logits.shape[0]) {
    throw new VipError('internal', `${labels.length} labels for ${logits.shape[0]} logit rows`);
  }
  const bad = Array.from(labels).find((l) => !Number.isInteger(l) || l < 0 || l >= numClasses);
  // tf.oneHot would turn an out-of-range label into an all-zero row: a silent zero loss for that sample.
  if (bad !== undefined) throw new VipError('internal', `label ${bad} outside 0..${numClasses - 1}`);
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), numClasses);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}
