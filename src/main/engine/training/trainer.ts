/**
 * The training loop of a ViP (or CoOp) head over cached image features: seeded shuffling, one cached view per image
 * and epoch, the authors' schedule (constant warm-up, then cosine), torch-style SGD or Adam with weight decay, a
 * validation pass after every epoch and the best epoch's weights kept. The image tower never runs here: its features
 * were extracted once (feature-cache.ts), so a step costs the text side, MeP and the loss.
 *
 * Everything allocated per step lives inside a tidy or is disposed explicitly; the tensor count is the same after
 * every epoch. The loop yields to the event loop between steps so a worker thread can receive a cancel message.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VipError, badInput } from '@shared/errors';
import { Prng } from '../model/prng';
import { crossEntropy, type ViPHead } from '../vip/head';
import type { PromptWeights } from '../vip/weights';
import { accuracy, argmax, macroF1 } from './metrics';
import { createOptimizer, optimizerNames, type OptimizerName } from './optimizer';
import { learningRateAt } from './schedule';
import { shuffled } from './shuffle';
import type { TextBackendChoice, TextBackprop } from './text-backprop';
import { TextBackpropStep } from './text-backprop-step';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  weightDecay: number;
  momentum: number;
  warmupEpochs: number;
  warmupLr: number;
  seed: number;
  /**
   * Update the CoP context every k steps with the sum of its k gradients (MeP every step); 1 (the default) is the
   * exact method. k > 1 is the `fast` schedule's approximation (schedules.ts). Needs a split text engine.
   */
  contextEvery?: number;
  /** Which engine runs the frozen text tower (job.ts; default auto). */
  textBackend?: TextBackendChoice;
}

/** The authors' settings (VIP_METHOD.md §3). */
import { defaultTrainOptions } from './option-names';
export { defaultTrainOptions } from './option-names';

/** Image features of the training images: `[N, K, d]` row-major, K cached views per image. */
export interface TrainFeatures {
  features: Float32Array;
  views: number;
  labels: Int32Array;
}

/** Features of held-out images (one unaugmented view each): `[N, d]`. */
export interface EvalFeatures {
  features: Float32Array;
  labels: Int32Array;
}

export interface StepProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  /** Accuracy on the batch just trained. */
  accuracy: number;
  lr: number;
  etaSeconds: number;
}

export interface EpochReport {
  /** 1-based. */
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  valAccuracy: number | null;
  valMacroF1: number | null;
  seconds: number;
}

export interface TrainResult {
  /** The weights of the best epoch on validation (the last epoch when there is no validation set). */
  best: PromptWeights;
  bestEpoch: number;
  epochs: EpochReport[];
  /** Validation before any step (the initial prompt), null without validation. */
  initial: { valAccuracy: number; valMacroF1: number } | null;
}

export interface TrainHeadOptions {
  head: ViPHead;
  train: TrainFeatures;
  val?: EvalFeatures | null;
  options?: Partial<TrainOptions>;
  /**
   * The frozen text tower outside the fused tfjs step (onnxruntime's forward + VJP, or tfjs split the same way), for
   * heads with a context. Absent: the fused tfjs step (forward and backward through the tfjs tower in one tape).
   */
  text?: TextBackprop | null;
  signal?: AbortSignal;
  onStep?: (p: StepProgress) => void;
  onEpoch?: (r: EpochReport) => void;
}

export function checkTrainOptions(o: TrainOptions): void {
  const positiveInt = (v: number, name: string, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max)
      throw badInput(`${name} must be a whole number from 1 to ${max}, got ${v}`);
  };
  positiveInt(o.epochs, 'epochs', 10_000);
  positiveInt(o.batchSize, 'batch size', 65_536);
  if (!Number.isInteger(o.warmupEpochs) || o.warmupEpochs < 0 || o.warmupEpochs >= o.epochs + 1) {
    throw badInput(`warm-up epochs must be a whole number from 0 to ${o.epochs}, got ${o.warmupEpochs}`);
  }
  for (const [name, v] of [
    ['learning rate', o.lr],
    ['warm-up learning rate', o.warmupLr],
  ] as const) {
    if (!(v > 0) || !Number.isFinite(v) || v > 10) throw badInput(`${name} must be above 0 and at most 10, got ${v}`);
  }
  if (!(o.weightDecay >= 0) || !Number.isFinite(o.weightDecay))
    throw badInput(`weight decay must be 0 or more, got ${o.weightDecay}`);
  if (!(o.momentum >= 0 && o.momentum < 1)) throw badInput(`momentum must be from 0 to below 1, got ${o.momentum}`);
  if (!(optimizerNames as readonly string[]).includes(o.optimizer)) {
    throw badInput(`optimizer must be one of ${optimizerNames.join(', ')}, got "${String(o.optimizer)}"`);
  }
  if (!Number.isSafeInteger(o.seed)) throw badInput(`seed must be a whole number, got ${o.seed}`);
  const every = o.contextEvery ?? 1;
  if (!Number.isInteger(every) || every < 1 || every > 10_000) {
    throw badInput(`the context update interval must be a whole number from 1 to 10000, got ${every}`);
  }
}

export async function trainHead(args: TrainHeadOptions): Promise<TrainResult> {
  const o: TrainOptions = { ...defaultTrainOptions, ...args.options };
  checkTrainOptions(o);
  const { head, train, signal } = args;
  const d = head.embedDim;
  const c = head.classes.length;
  const n = train.labels.length;
  const k = train.views;
  if (n === 0) throw badInput('there are no training images');
  if (!Number.isInteger(k) || k < 1 || train.features.length !== n * k * d) {
    throw new VipError('internal', `training features: ${train.features.length} values is not ${n} x ${k} x ${d}`);
  }
  checkLabels(train.labels, c);
  const val = args.val && args.val.labels.length > 0 ? args.val : null;
  if (val) {
    checkLabels(val.labels, c);
    if (val.features.length !== val.labels.length * d) {
      throw new VipError(
        'internal',
        `validation features: ${val.features.length} values is not ${val.labels.length} x ${d}`,
      );
    }
  }

  // Like torch's DataLoader(drop_last=True) in the authors' code: a last partial batch is dropped, unless the
  // whole set is smaller than one batch.
  const batch = Math.min(o.batchSize, n);
  const steps = Math.floor(n / batch);
  const totalSteps = steps * o.epochs;
  const optimizer = createOptimizer({ name: o.optimizer, weightDecay: o.weightDecay, momentum: o.momentum });
  const contextEvery = o.contextEvery ?? 1;
  if (contextEvery > 1 && head.ctx !== null && !args.text) {
    throw new VipError('internal', 'updating the context every few steps needs a split text engine');
  }
  // With a context interval the context has its own optimizer state, replaying the steps it skipped.
  const contextOptimizer =
    contextEvery > 1 && head.ctx !== null
      ? createOptimizer({ name: o.optimizer, weightDecay: o.weightDecay, momentum: o.momentum })
      : null;
  const split =
    head.ctx !== null && args.text
      ? new TextBackpropStep({
          head,
          text: args.text,
          optimizer,
          contextEvery,
          ...(contextOptimizer ? { contextOptimizer } : {}),
        })
      : null;
  const valX = val ? tf.tensor2d(val.features, [val.labels.length, d]) : null;
  const validate = async (): Promise<{ valAccuracy: number; valMacroF1: number } | null> => {
    if (!valX || !val) return null;
    const probs = split ? await split.probabilities(valX) : tf.tidy(() => tf.softmax(head.forward(valX)).arraySync());
    const predicted = probs.map(argmax);
    return { valAccuracy: accuracy(val.labels, predicted), valMacroF1: macroF1(val.labels, predicted, c) };
  };

  const epochs: EpochReport[] = [];
  const started = Date.now();
  let done = 0;
  try {
    const initial = await validate();
    let best = { weights: head.exportWeights(), epoch: 0, acc: -1, f1: -1 };
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const epochStart = Date.now();
      const lr = learningRateAt(epoch, o);
      const order = shuffled(n, new Prng(`${o.seed}:shuffle:${epoch}`));
      const viewRng = new Prng(`${o.seed}:views:${epoch}`);
      const view = Int32Array.from({ length: n }, () => (k === 1 ? 0 : viewRng.nextUint32() % k));
      let lossSum = 0;
      let hits = 0;
      for (let s = 0; s < steps; s++) {
        if (signal?.aborted) throw new VipError('cancelled', 'training was cancelled');
        const rows = order.subarray(s * batch, (s + 1) * batch);
        const x = new Float32Array(batch * d);
        const y = new Int32Array(batch);
        rows.forEach((i, r) => {
          const from = (i * k + (view[i] ?? 0)) * d;
          x.set(train.features.subarray(from, from + d), r * d);
          y[r] = train.labels[i] ?? 0;
        });
        const { loss, correct } = split
          ? await split.step(x, y, batch, lr, s === steps - 1)
          : step(head, optimizer, x, y, batch, lr);
        lossSum += loss * batch;
        hits += correct;
        done++;
        const elapsed = (Date.now() - started) / 1000;
        args.onStep?.({
          epoch: epoch + 1,
          epochs: o.epochs,
          step: s + 1,
          steps,
          loss,
          accuracy: correct / batch,
          lr,
          etaSeconds: (elapsed / done) * (totalSteps - done),
        });
        await yieldToEventLoop();
      }
      const v = await validate();
      const report: EpochReport = {
        epoch: epoch + 1,
        lr,
        trainLoss: lossSum / (steps * batch),
        trainAccuracy: hits / (steps * batch),
        valAccuracy: v?.valAccuracy ?? null,
        valMacroF1: v?.valMacroF1 ?? null,
        seconds: (Date.now() - epochStart) / 1000,
      };
      epochs.push(report);
      // The authors keep the best validation accuracy (strictly better); macro-F1 breaks ties, which matters for
      // the small validation sets of medical data.
      const better = v === null || v.valAccuracy > best.acc || (v.valAccuracy === best.acc && v.valMacroF1 > best.f1);
      if (better)
        best = { weights: head.exportWeights(), epoch: epoch + 1, acc: v?.valAccuracy ?? 0, f1: v?.valMacroF1 ?? 0 };
      args.onEpoch?.(report);
    }
    return { best: best.weights, bestEpoch: best.epoch, epochs, initial };
  } finally {
    split?.dispose();
    contextOptimizer?.dispose();
    optimizer.dispose();
    valX?.dispose();
  }
}

function step(
  head: ViPHead,
  optimizer: ReturnType<typeof createOptimizer>,
  x: Float32Array,
  y: Int32Array,
  batch: number,
  lr: number,
): { loss: number; correct: number } {
  const d = head.embedDim;
  const variables = head.variables;
  const xs = tf.tensor2d(x, [batch, d]);
  let predicted: tf.Tensor | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const logits = head.forward(xs);
      predicted = tf.keep(tf.argMax(logits, 1));
      return crossEntropy(logits, y, head.classes.length);
    }, variables);
    try {
      optimizer.step(
        variables,
        variables.map((v) => {
          const g = grads[v.name];
          if (!g) throw new VipError('internal', `no gradient for ${v.name}`);
          return g;
        }),
        lr,
      );
      const loss = value.dataSync()[0] ?? NaN;
      if (!Number.isFinite(loss))
        throw new VipError('internal', 'the training loss is not finite; try a smaller learning rate');
      const p = predicted ? (predicted.dataSync() as Int32Array) : new Int32Array(batch).fill(-1);
      let correct = 0;
      for (let i = 0; i < batch; i++) if (p[i] === y[i]) correct++;
      return { loss, correct };
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  } finally {
    xs.dispose();
    predicted?.dispose();
  }
}

function checkLabels(labels: Int32Array, c: number): void {
  const bad = labels.find((l) => l < 0 || l >= c);
  if (bad !== undefined) throw new VipError('internal', `label ${bad} outside 0..${c - 1}`);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
