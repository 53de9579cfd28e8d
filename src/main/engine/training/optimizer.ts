/**
 * SGD with momentum and Adam with torch's semantics, including its `weight_decay` (an L2 term added to the gradient,
 * not AdamW's decoupled decay), which tfjs's optimizers lack. The learning rate is passed to each step, so the
 * schedule needs no optimizer state. State tensors are kept across steps and replaced (old ones disposed) in place.
 *
 * torch SGD (dampening 0, not Nesterov): g ← ∇ + wd·θ; b ← μ·b + g (b = g on the first step); θ ← θ − lr·b.
 * torch Adam: g ← ∇ + wd·θ; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − lr·m̂ / (√v̂ + ε).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { OptimizerName } from './option-names';
export { optimizerNames, type OptimizerName } from './option-names';

export interface OptimizerOptions {
  name: OptimizerName;
  weightDecay: number;
  /** SGD momentum (the authors: 0.9). */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface Optimizer {
  /**
   * One update of `variables` from `grads` (same order); `grads` stay owned by the caller. A variable whose gradient
   * is undefined is left alone this step (its state too): schedules that update the context less often.
   */
  step(variables: readonly tf.Variable[], grads: readonly (tf.Tensor | undefined)[], lr: number): void;
  dispose(): void;
}

export function createOptimizer(options: OptimizerOptions): Optimizer {
  return options.name === 'adam' ? adam(options) : sgd(options);
}

function decayed(v: tf.Variable, g: tf.Tensor, wd: number): tf.Tensor {
  return wd === 0 ? g : tf.add(g, tf.mul(v, wd));
}

function sgd(options: OptimizerOptions): Optimizer {
  const mu = options.momentum ?? 0.9;
  const wd = options.weightDecay;
  const buffers: (tf.Tensor | undefined)[] = [];
  return {
    step(variables, grads, lr) {
      variables.forEach((v, i) => {
        const g = grads[i];
        if (!g) return;
        const old = buffers[i];
        const buf = tf.tidy(() => {
          const d = decayed(v, g, wd);
          // A clone, never the caller's gradient itself: the buffer is disposed on the next step.
          return mu === 0 || old === undefined ? tf.clone(d) : tf.add(tf.mul(old, mu), d);
        });
        tf.tidy(() => v.assign(tf.sub(v, tf.mul(buf, lr))));
        old?.dispose();
        buffers[i] = tf.keep(buf);
      });
    },
    dispose() {
      for (const b of buffers) b?.dispose();
      buffers.length = 0;
    },
  };
}

function adam(options: OptimizerOptions): Optimizer {
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.epsilon ?? 1e-8;
  const wd = options.weightDecay;
  const m: (tf.Tensor | undefined)[] = [];
  const s: (tf.Tensor | undefined)[] = [];
  let t = 0;
  return {
    step(variables, grads, lr) {
      t++;
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      variables.forEach((v, i) => {
        const g = grads[i];
        if (!g) return;
        const [mOld, sOld] = [m[i], s[i]];
        const [mNew, sNew] = tf.tidy(() => {
          const d = decayed(v, g, wd);
          const mi = tf.add(tf.mul(mOld ?? tf.zerosLike(d), b1), tf.mul(d, 1 - b1));
          const si = tf.add(tf.mul(sOld ?? tf.zerosLike(d), b2), tf.mul(tf.square(d), 1 - b2));
          v.assign(tf.sub(v, tf.mul(tf.div(tf.div(mi, c1), tf.add(tf.sqrt(tf.div(si, c2)), eps)), lr)));
          return [mi, si];
        });
        mOld?.dispose();
        sOld?.dispose();
        m[i] = mNew;
        s[i] = sNew;
      });
    },
    dispose() {
      for (const x of [...m, ...s]) x?.dispose();
      m.length = 0;
      s.length = 0;
    },
  };
}
