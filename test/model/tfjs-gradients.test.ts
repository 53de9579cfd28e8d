/**
 * Every gradient the engine registers, checked against central finite differences on small random inputs, on both
 * backends the engine can run without native TensorFlow.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../../src/main/engine/model/tfjs-backend';
import { seededNormal } from './helpers/random-weights';

beforeAll(async () => {
  process.env['VIP_TFJS_BACKEND'] = 'wasm';
  await initTfjs();
});

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

let seed = 100;
function rand(shape: number[], opts: { min?: number; awayFromZero?: number } = {}): tf.Tensor {
  const normal = seededNormal(seed++);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => {
    let v = normal();
    if (opts.awayFromZero !== undefined) v = Math.sign(v || 1) * (Math.abs(v) + opts.awayFromZero);
    if (opts.min !== undefined) v = opts.min + Math.abs(v);
    return v;
  });
  return tf.tensor(data, shape);
}

/** Analytic gradients of sum(f(xs)·w) (w fixed random weights) against central differences, element by element. */
function checkGradients(f: Fn, inputs: tf.Tensor[], eps = 1e-2): void {
  const out = tf.tidy(() => f(...inputs));
  const w = rand(out.shape);
  out.dispose();
  const loss = (...xs: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(f(...xs), w));
  const analytic = tf
    .grads(loss)(inputs)
    .map((g) => g.dataSync().slice());
  inputs.forEach((x, k) => {
    const base = x.dataSync().slice();
    const numeric = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number): number =>
        tf.tidy(() => {
          const bumped = base.slice();
          bumped[i] = (bumped[i] ?? 0) + delta;
          const xs = inputs.map((orig, j) => (j === k ? tf.tensor(bumped, x.shape) : orig));
          return loss(...xs).dataSync()[0] ?? NaN;
        });
      numeric[i] = (at(eps) - at(-eps)) / (2 * eps);
    }
    const got = analytic[k] ?? new Float32Array();
    expect(got.length).toBe(numeric.length);
    numeric.forEach((want, i) => {
      const diff = Math.abs((got[i] ?? NaN) - want);
      if (!(diff <= 2e-3 * (1 + Math.abs(want)))) {
        throw new Error(`input ${k} element ${i}: analytic ${got[i]} vs numeric ${want}`);
      }
    });
  });
  tf.dispose([w, ...inputs]);
}

describe.each(['wasm', 'cpu'])('registered gradients on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('elementwise binary ops, with broadcasting both ways', () => {
    for (const op of [tf.add, tf.sub, tf.mul, tf.squaredDifference]) {
      checkGradients((a, b) => op(a as tf.Tensor, b as tf.Tensor), [rand([2, 3]), rand([3])]);
      checkGradients((a, b) => op(a as tf.Tensor, b as tf.Tensor), [rand([2, 1]), rand([2, 3])]);
    }
    checkGradients(
      (a, b) => tf.div(a as tf.Tensor, b as tf.Tensor),
      [rand([2, 3]), rand([2, 1], { awayFromZero: 0.5 })],
    );
    checkGradients((a, b) => tf.maximum(a as tf.Tensor, b as tf.Tensor), [rand([2, 3]), rand([2, 3])]);
    checkGradients((a, b) => tf.minimum(a as tf.Tensor, b as tf.Tensor), [rand([2, 3]), rand([3])]);
    checkGradients((a, b) => tf.pow(a as tf.Tensor, b as tf.Tensor), [rand([2, 3], { min: 0.5 }), rand([2, 3])]);
    checkGradients((a, b, c) => tf.addN([a, b, c] as tf.Tensor[]), [rand([2, 2]), rand([2, 2]), rand([2, 2])]);
  });

  it('elementwise unary ops', () => {
    const positive: [string, Fn][] = [
      ['sqrt', (x) => tf.sqrt(x as tf.Tensor)],
      ['rsqrt', (x) => tf.rsqrt(x as tf.Tensor)],
      ['log', (x) => tf.log(x as tf.Tensor)],
      ['log1p', (x) => tf.log1p(x as tf.Tensor)],
      ['reciprocal', (x) => tf.reciprocal(x as tf.Tensor)],
    ];
    const anywhere: [string, Fn][] = [
      ['neg', (x) => tf.neg(x as tf.Tensor)],
      ['square', (x) => tf.square(x as tf.Tensor)],
      ['exp', (x) => tf.exp(x as tf.Tensor)],
      ['sigmoid', (x) => tf.sigmoid(x as tf.Tensor)],
      ['tanh', (x) => tf.tanh(x as tf.Tensor)],
      ['erf', (x) => tf.erf(x as tf.Tensor)],
      ['softplus', (x) => tf.softplus(x as tf.Tensor)],
      ['abs', (x) => tf.abs(x as tf.Tensor)],
      ['relu', (x) => tf.relu(x as tf.Tensor)],
      ['clipByValue', (x) => tf.clipByValue(x as tf.Tensor, -0.3, 0.4)],
      ['cast + identity', (x) => tf.cast(tf.clone(x as tf.Tensor), 'float32')],
      ['a path through a comparison', (x) => tf.mul(x as tf.Tensor, tf.cast(tf.greater(x as tf.Tensor, 0), 'float32'))],
    ];
    for (const [, f] of positive) checkGradients(f, [rand([2, 3], { min: 0.5 })]);
    // Away from the kinks of abs, relu and clipByValue (whose bounds sit between the shifted values).
    for (const [, f] of anywhere) checkGradients(f, [rand([2, 3], { awayFromZero: 0.5 })]);
  });

  it('where selects the gradient of the chosen branch', () => {
    checkGradients(
      (a, b) =>
        tf.where(
          tf.tensor2d(
            [
              [1, 0, 1],
              [0, 0, 1],
            ],
            [2, 3],
            'bool',
          ),
          a as tf.Tensor,
          b as tf.Tensor,
        ),
      [rand([2, 3]), rand([2, 3])],
    );
  });

  it('reductions and softmax', () => {
    checkGradients((x) => tf.sum(x as tf.Tensor, 1), [rand([2, 3, 2])]);
    checkGradients((x) => tf.sum(x as tf.Tensor, [0, 2], true), [rand([2, 3, 2])]);
    checkGradients((x) => tf.sum(x as tf.Tensor), [rand([2, 3])]);
    checkGradients((x) => tf.mean(x as tf.Tensor, -1), [rand([2, 3])]);
    checkGradients((x) => tf.mean(x as tf.Tensor), [rand([2, 3])]);
    checkGradients((x) => tf.max(x as tf.Tensor, 1), [rand([3, 4])]);
    checkGradients((x) => tf.min(x as tf.Tensor, 0, true), [rand([3, 4])]);
    checkGradients((x) => tf.softmax(x as tf.Tensor), [rand([2, 5])]);
    checkGradients((x) => tf.logSoftmax(x as tf.Tensor), [rand([2, 5])]);
    checkGradients(
      (x) => {
        const { mean, variance } = tf.moments(x as tf.Tensor, -1, true);
        return tf.mul(tf.sub(x as tf.Tensor, mean), tf.rsqrt(tf.add(variance, 1e-5)));
      },
      [rand([3, 6])],
    );
  });

  it('shape and data movement', () => {
    checkGradients((x) => tf.reshape(x as tf.Tensor, [3, 2]), [rand([2, 3])]);
    checkGradients((x) => tf.expandDims(x as tf.Tensor, 1), [rand([2, 3])]);
    checkGradients((x) => tf.transpose(x as tf.Tensor, [2, 0, 1]), [rand([2, 3, 4])]);
    checkGradients((x) => tf.slice(x as tf.Tensor, [0, 1, 1], [2, 2, -1]), [rand([2, 3, 4])]);
    checkGradients((x) => tf.slice(x as tf.Tensor, 1, 2), [rand([4, 2])]);
    checkGradients(
      (x) =>
        tf.pad(x as tf.Tensor, [
          [1, 0],
          [0, 2],
        ]),
      [rand([2, 3])],
    );
    checkGradients((a, b) => tf.concat([a, b] as tf.Tensor[], -1), [rand([2, 3]), rand([2, 1])]);
    // Only two of three outputs used: the unused one contributes a zero gradient.
    checkGradients(
      (x) => {
        const [p, , r] = tf.split(x as tf.Tensor, [1, 2, 1], 1);
        return tf.concat([tf.mul(p as tf.Tensor, 2), r as tf.Tensor], 1);
      },
      [rand([2, 4])],
    );
    checkGradients((a, b) => tf.stack([a, b] as tf.Tensor[], 1), [rand([2, 3]), rand([2, 3])]);
    checkGradients(
      (x) => {
        const parts = tf.unstack(x as tf.Tensor, 1);
        return tf.mul(parts[0] as tf.Tensor, parts[2] as tf.Tensor);
      },
      [rand([2, 3])],
    );
    checkGradients((x) => tf.tile(x as tf.Tensor, [2, 3]), [rand([2, 2])]);
    checkGradients((x) => tf.tile(x as tf.Tensor, [3, 1, 2]), [rand([1, 2, 2])]);
    checkGradients((x) => tf.broadcastTo(x as tf.Tensor, [3, 2, 4]), [rand([2, 1])]);
    checkGradients((x) => tf.gather(x as tf.Tensor, tf.tensor1d([2, 0, 2, 1], 'int32')), [rand([4, 3])]);
  });

  it('matMul in all transpose combinations and with broadcast batch dimensions', () => {
    checkGradients((a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor), [rand([2, 3]), rand([3, 4])]);
    checkGradients((a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, false, true), [rand([2, 3]), rand([4, 3])]);
    checkGradients((a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, true, false), [rand([3, 2]), rand([3, 4])]);
    checkGradients((a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, true, true), [rand([3, 2]), rand([4, 3])]);
    checkGradients((a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor), [rand([2, 2, 3]), rand([3, 2])]);
    checkGradients(
      (a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, false, true),
      [rand([2, 2, 2, 3]), rand([2, 2, 4, 3])],
    );
  });
});
