/**
 * A CoP training step with the frozen text tower outside tfjs (text-backprop.ts): the prompts with the current context
 * go through the tower's forward pass; tfjs differentiates MeP and the loss with respect to the prompt features and
 * the MeP variables; the tower's VJP turns the feature gradient into the gradient of the input embeddings, whose rows
 * at the placeholder positions are the context's gradient. The optimizer then updates everything as the fused tfjs
 * step would: same gradients, same order, same optimizer.
 *
 * `contextEvery` k > 1 is an approximation offered as a named schedule: the context is updated every k steps (MeP
 * every step). Between updates the context is constant, so the prompt features are computed once and every step's
 * feature gradient is taken at the same point; their sum goes through one VJP, which is exactly the sum of the k
 * context gradients at that point (the VJP is linear). The context then takes the k optimizer steps it missed, each
 * with the mean of those k gradients (its own optimizer state: momentum, Adam's moments and step count advance as in
 * k exact steps); without a context optimizer it moves once by the sum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VipError } from '@shared/errors';
import { crossEntropy, type ViPHead } from '../vip/head';
import type { Optimizer } from './optimizer';
import type { PromptInput, TextBackprop, TextForward } from './text-backprop';

export interface TextBackpropStepOptions {
  head: ViPHead;
  text: TextBackprop;
  optimizer: Optimizer;
  /** Update the context every k steps (1: every step, the exact method). */
  contextEvery?: number;
  /**
   * With k > 1: the context's own optimizer (same settings as `optimizer`), which then replays the k missed steps
   * with the mean gradient. The caller owns it.
   */
  contextOptimizer?: Optimizer;
}

export interface StepOutcome {
  loss: number;
  correct: number;
}

export class TextBackpropStep {
  private readonly head: ViPHead;
  private readonly text: TextBackprop;
  private readonly optimizer: Optimizer;
  private readonly contextEvery: number;
  private readonly contextOptimizer: Optimizer | null;
  private readonly base: Float32Array;
  private readonly input: Omit<PromptInput, 'embeds'>;
  private readonly width: number;
  /** Features and tape at the current context; null once the context has moved. */
  private current: TextForward | null = null;
  /** Σ ∂loss/∂features of the steps since the last context update. */
  private pending: Float32Array | null = null;
  private sinceUpdate = 0;

  constructor(options: TextBackpropStepOptions) {
    const { head } = options;
    const base = head.baseEmbeddings();
    if (base === null || head.ctx === null) {
      throw new VipError('internal', 'the split text step is for heads with a context (CoP)');
    }
    const k = options.contextEvery ?? 1;
    if (!Number.isInteger(k) || k < 1) throw new VipError('internal', `context update interval ${k}`);
    this.head = head;
    this.text = options.text;
    this.optimizer = options.optimizer;
    this.contextEvery = k;
    this.contextOptimizer = k > 1 ? (options.contextOptimizer ?? null) : null;
    this.base = base;
    this.width = head.textWidth;
    const layouts = head.promptBatch.layouts;
    const eotIndex = layouts.map((l) => l.eotIndex);
    const length = base.length / (layouts.length * this.width);
    if (!Number.isInteger(length) || length !== Math.max(...eotIndex) + 1) {
      throw new VipError('internal', `prompt embeddings of ${base.length} values do not match the prompts`);
    }
    this.input = { n: layouts.length, length, eotIndex };
  }

  /** The prompts' input embeddings with the current context at positions 1..M. */
  promptInput(): PromptInput {
    const ctx = this.head.ctx as tf.Variable;
    const values = ctx.dataSync() as Float32Array;
    const m = ctx.shape[ctx.rank - 2] ?? 0;
    const w = this.width;
    const embeds = Float32Array.from(this.base);
    this.head.promptBatch.layouts.forEach((layout, row) => {
      const from = (ctx.rank === 3 ? layout.classIndex * m : 0) * w;
      embeds.set(values.subarray(from, from + m * w), (row * this.input.length + 1) * w);
    });
    return { ...this.input, embeds };
  }

  /** `[S, d]` prompt features at the current context (computed once per context). */
  async features(): Promise<Float32Array> {
    return (await this.forward()).features;
  }

  /** Softmax probabilities `[B, C]` at the current weights, for validation. */
  async probabilities(imageFeatures: tf.Tensor2D): Promise<number[][]> {
    const features = await this.features();
    return tf.tidy(() => {
      const t = tf.tensor2d(features, [this.input.n, this.head.embedDim]);
      return tf.softmax(this.head.forwardFrom(t, imageFeatures)).arraySync() as number[][];
    });
  }

  /**
   * One optimizer step on a batch `x` `[batch, d]` with labels `y`. `flush` forces the context update now (the end
   * of an epoch), so no gradient is carried across epochs or lost at the end.
   */
  async step(x: Float32Array, y: Int32Array, batch: number, lr: number, flush: boolean): Promise<StepOutcome> {
    const head = this.head;
    const ctx = head.ctx as tf.Variable;
    const forward = await this.forward();
    const others = head.variables.filter((v) => v !== ctx);
    // tidy frees the initial tensor; the variable keeps its own copy.
    const promptFeatures = tf.tidy(() =>
      tf.variable(tf.tensor2d(forward.features, [this.input.n, head.embedDim]), true),
    );
    const xs = tf.tensor2d(x, [batch, head.embedDim]);
    let predicted: tf.Tensor | undefined;
    let grads: tf.NamedTensorMap = {};
    let lossValue: tf.Scalar | undefined;
    let ctxGrad: tf.Tensor | undefined;
    try {
      ({ value: lossValue, grads } = tf.variableGrads(() => {
        const logits = head.forwardFrom(promptFeatures, xs);
        predicted = tf.keep(tf.argMax(logits, 1));
        return crossEntropy(logits, y, head.classes.length);
      }, [promptFeatures, ...others]));
      const dFeatures = grads[promptFeatures.name];
      if (!dFeatures) throw new VipError('internal', 'no gradient for the prompt features');
      this.accumulate(dFeatures.dataSync() as Float32Array);
      this.sinceUpdate++;
      let replay = 0;
      if (this.sinceUpdate >= this.contextEvery || flush) {
        const dEmbeds = await this.text.backward(forward.tape, this.pending as Float32Array);
        const sum = this.contextGradient(dEmbeds);
        replay = this.contextOptimizer ? this.sinceUpdate : 0;
        if (replay > 0) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) / replay;
        ctxGrad = tf.tensor(sum, ctx.shape);
        // The context moves below: the features and tape are stale from here.
        forward.tape.release();
        this.current = null;
        this.pending = null;
        this.sinceUpdate = 0;
      }
      const loss = lossValue.dataSync()[0] ?? NaN;
      if (!Number.isFinite(loss)) {
        throw new VipError('internal', 'the training loss is not finite; try a smaller learning rate');
      }
      this.optimizer.step(
        head.variables,
        head.variables.map((v) => (v === ctx ? (replay > 0 ? undefined : ctxGrad) : grads[v.name])),
        lr,
      );
      for (let i = 0; i < replay; i++) this.contextOptimizer?.step([ctx], [ctxGrad], lr);
      const p = predicted ? (predicted.dataSync() as Int32Array) : new Int32Array(batch).fill(-1);
      let correct = 0;
      for (let i = 0; i < batch; i++) if (p[i] === y[i]) correct++;
      return { loss, correct };
    } finally {
      lossValue?.dispose();
      for (const g of Object.values(grads)) g.dispose();
      ctxGrad?.dispose();
      predicted?.dispose();
      xs.dispose();
      promptFeatures.dispose();
    }
  }

  /** Releases the tape held between steps (the text engine itself belongs to the caller). */
  dispose(): void {
    this.current?.tape.release();
    this.current = null;
    this.pending = null;
  }

  private async forward(): Promise<TextForward> {
    this.current ??= await this.text.forward(this.promptInput());
    return this.current;
  }

  private accumulate(d: Float32Array): void {
    if (this.pending === null) this.pending = Float32Array.from(d);
    else for (let i = 0; i < d.length; i++) this.pending[i] = (this.pending[i] as number) + (d[i] as number);
  }

  /** Rows 1..M of each prompt's embedding gradient, summed into the shared (or its class's) context. */
  private contextGradient(dEmbeds: Float32Array): Float32Array {
    const ctx = this.head.ctx as tf.Variable;
    const m = ctx.shape[ctx.rank - 2] ?? 0;
    const w = this.width;
    const out = new Float32Array(ctx.size);
    this.head.promptBatch.layouts.forEach((layout, row) => {
      const to = (ctx.rank === 3 ? layout.classIndex * m : 0) * w;
      const from = (row * this.input.length + 1) * w;
      for (let i = 0; i < m * w; i++) out[to + i] = (out[to + i] as number) + (dEmbeds[from + i] as number);
    });
    return out;
  }
}
