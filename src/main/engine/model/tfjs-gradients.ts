/**
 * Gradients for the tfjs kernels the engine differentiates through (the text tower, CoP, MeP, the loss).
 *
 * Why this file exists: tfjs-core registers no gradients by default. The official
 * `@tensorflow/tfjs-core/dist/register_all_gradients` is an ES module tree with extensionless imports that plain Node
 * cannot load, and the engine runs unbundled under Node (CLI, tests) and in Electron's main process. So the engine
 * registers its own, following the definitions in tfjs-core's `src/gradients`, for the kernels it uses. A kernel
 * that already has a gradient (from a tfjs package that ships them) is left alone. Each one is checked against
 * finite differences in test/model/tfjs-gradients.test.ts.
 *
 * All gradients reduce over broadcast axes, so every binary op works with broadcasting inputs.
 */
import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor>;

/** Sums `g` over the axes along which an input of `shape` was broadcast to `g`'s shape, then restores `shape`. */
function unbroadcast(g: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes([...shape], g.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, [...shape]);
}

function single(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(dy)) throw new Error('tfjs-gradients: expected one output gradient');
  return dy;
}

function savedAt(saved: tf.Tensor[], i: number): tf.Tensor {
  const t = saved[i];
  if (t === undefined) throw new Error(`tfjs-gradients: saved tensor ${i} missing`);
  return t;
}

function axesOf(axis: tf.NamedAttrMap[string] | undefined, rank: number): number[] {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return (list as number[]).map((a) => (a < 0 ? a + rank : a));
}

/** dy of a reduction, reshaped with kept dims and broadcast back to the input's shape. */
function expandReduced(dy: tf.Tensor, xShape: readonly number[], axes: readonly number[]): tf.Tensor {
  const kept = xShape.map((s, i) => (axes.includes(i) ? 1 : s));
  return tf.mul(tf.reshape(dy, kept), tf.ones([...xShape]));
}

/**
 * op(a)·op(b) with the transposes done as explicit copies: on the wasm backend a matMul with a transposed operand is
 * several times slower than transposing first (the copy is linear in the operand, the product is not).
 */
function product(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const swapLast = (t: tf.Tensor): tf.Tensor => tf.transpose(t, [...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2]);
  return tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b);
}

const float = (t: tf.Tensor): tf.Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

type Binary = (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, y: tf.Tensor | undefined) => [tf.Tensor, tf.Tensor];
type Unary = (dy: tf.Tensor, x: tf.Tensor | undefined, y: tf.Tensor | undefined) => tf.Tensor;

function binary(kernelName: string, f: Binary, saveOutput = false): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    ...(saveOutput ? { outputsToSave: [true] } : {}),
    gradFunc: (dy, saved) => {
      const a = savedAt(saved, 0);
      const b = savedAt(saved, 1);
      const y = saveOutput ? savedAt(saved, 2) : undefined;
      const d = single(dy);
      return {
        a: () => unbroadcast(f(d, a, b, y)[0], a.shape),
        b: () => unbroadcast(f(d, a, b, y)[1], b.shape),
      };
    },
  };
}

/** `uses` says what the derivative needs: the input x, the output y, or neither. */
function unary(kernelName: string, uses: 'x' | 'y' | 'none', f: Unary, inputName = 'x'): tf.GradConfig {
  return {
    kernelName,
    ...(uses === 'x' ? { inputsToSave: [inputName] } : uses === 'y' ? { outputsToSave: [true] } : {}),
    gradFunc: (dy, saved) => {
      const s = saved[0];
      return { [inputName]: () => f(single(dy), uses === 'x' ? s : undefined, uses === 'y' ? s : undefined) } as Grads;
    },
  };
}

const need = (t: tf.Tensor | undefined): tf.Tensor => {
  if (t === undefined) throw new Error('tfjs-gradients: saved tensor missing');
  return t;
};

const zeroGrad = (kernelName: string, inputs: readonly string[]): tf.GradConfig => ({
  kernelName,
  inputsToSave: [...inputs],
  gradFunc: (_dy, saved) =>
    Object.fromEntries(inputs.map((name, i) => [name, () => tf.zerosLike(float(savedAt(saved, i)))])),
});

const configs: tf.GradConfig[] = [
  // Elementwise, two inputs.
  binary('Add', (dy) => [dy, dy]),
  binary('Sub', (dy) => [dy, tf.neg(dy)]),
  binary('Multiply', (dy, a, b) => [tf.mul(dy, float(b)), tf.mul(dy, float(a))]),
  binary('RealDiv', (dy, a, b) => [tf.div(dy, b), tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))]),
  binary('SquaredDifference', (dy, a, b) => {
    const twice = tf.mul(tf.sub(a, b), 2);
    return [tf.mul(dy, twice), tf.neg(tf.mul(dy, twice))];
  }),
  binary('Maximum', (dy, a, b) => [tf.mul(dy, float(tf.greaterEqual(a, b))), tf.mul(dy, float(tf.less(a, b)))]),
  binary('Minimum', (dy, a, b) => [tf.mul(dy, float(tf.lessEqual(a, b))), tf.mul(dy, float(tf.greater(a, b)))]),
  binary(
    'Pow',
    (dy, a, b, y) => {
      const base = tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1))));
      const logA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
      return [base, tf.mul(dy, tf.mul(need(y), logA))];
    },
    true,
  ),
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => tf.clone(single(dy))])),
  },

  // Elementwise, one input.
  unary('Neg', 'none', (dy) => tf.neg(dy)),
  unary('Square', 'x', (dy, x) => tf.mul(dy, tf.mul(need(x), 2))),
  unary('Sqrt', 'y', (dy, _x, y) => tf.div(dy, tf.mul(need(y), 2))),
  unary('Rsqrt', 'y', (dy, _x, y) => tf.mul(dy, tf.mul(tf.pow(need(y), 3), -0.5))),
  unary('Exp', 'y', (dy, _x, y) => tf.mul(dy, need(y))),
  unary('Log', 'x', (dy, x) => tf.div(dy, need(x))),
  unary('Log1p', 'x', (dy, x) => tf.div(dy, tf.add(need(x), 1))),
  unary('Reciprocal', 'x', (dy, x) => tf.neg(tf.div(dy, tf.square(need(x))))),
  unary('Abs', 'x', (dy, x) => tf.mul(dy, tf.sign(need(x)))),
  unary('Sigmoid', 'y', (dy, _x, y) => tf.mul(dy, tf.mul(need(y), tf.sub(1, need(y))))),
  unary('Tanh', 'y', (dy, _x, y) => tf.mul(dy, tf.sub(1, tf.square(need(y))))),
  unary('Erf', 'x', (dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(need(x)))), 2 / Math.sqrt(Math.PI)))),
  unary('Relu', 'x', (dy, x) => tf.mul(dy, float(tf.greater(need(x), 0)))),
  unary('Softplus', 'x', (dy, x) => tf.mul(dy, tf.sigmoid(need(x)))),
  unary('Cast', 'none', (dy) => tf.clone(dy)),
  unary('Identity', 'none', (dy) => tf.clone(dy)),
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      const lo = attrs['clipValueMin'] as number;
      const hi = attrs['clipValueMax'] as number;
      return { x: () => tf.mul(single(dy), float(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)))) };
    },
  },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: (dy, saved) => {
      const condition = savedAt(saved, 0);
      const d = single(dy);
      return {
        condition: () => tf.zerosLike(float(condition)),
        t: () => tf.mul(d, float(condition)),
        e: () => tf.mul(d, float(tf.logicalNot(condition))),
      };
    },
  },
  // Piecewise constant: zero almost everywhere. Registered so a path through them does not stop backprop.
  ...['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'].map((k) => zeroGrad(k, ['a', 'b'])),
  ...['Sign', 'Floor', 'Ceil', 'Round', 'Step', 'ZerosLike', 'OnesLike'].map((k) => zeroGrad(k, ['x'])),

  // Reductions.
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      return { x: () => expandReduced(single(dy), x.shape, axesOf(attrs['axis'], x.rank)) };
    },
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      const axes = axesOf(attrs['axis'], x.rank);
      const count = axes.reduce((n, a) => n * (x.shape[a] ?? 1), 1);
      return { x: () => tf.div(expandReduced(single(dy), x.shape, axes), count) };
    },
  },
  ...(['Max', 'Min'] as const).map((kernelName): tf.GradConfig => ({
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      // Max names its axes `reductionIndices`, Min names them `axis`.
      const axes = axesOf(attrs['reductionIndices'] ?? attrs['axis'], x.rank);
      const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
      const y = tf.reshape(savedAt(saved, 1), kept);
      // Like tfjs: every position equal to the extreme receives the full gradient.
      return { x: () => tf.mul(tf.reshape(single(dy), kept), float(tf.equal(x, y))) };
    },
  })),
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = savedAt(saved, 0);
      const dim = attrs['dim'] as number;
      const dyY = tf.mul(single(dy), y);
      return { logits: () => tf.sub(dyY, tf.mul(tf.sum(dyY, [dim], true), y)) };
    },
  },

  // Shape and data movement.
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.reshape(single(dy), savedAt(saved, 0).shape) }),
  },
  {
    kernelName: 'ExpandDims',
    inputsToSave: ['input'],
    gradFunc: (dy, saved) => ({ input: () => tf.reshape(single(dy), savedAt(saved, 0).shape) }),
  },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs) => {
      const perm = attrs['perm'] as number[];
      const undo = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(single(dy), undo) };
    },
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      const d = single(dy);
      const raw = attrs['begin'] as number | number[];
      const begin = x.shape.map((_, i) => (typeof raw === 'number' ? (i === 0 ? raw : 0) : (raw[i] ?? 0)));
      const paddings = x.shape.map((s, i): [number, number] => [
        begin[i] ?? 0,
        s - (begin[i] ?? 0) - (d.shape[i] ?? 0),
      ]);
      return { x: () => tf.pad(d, paddings) };
    },
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      const begin = (attrs['paddings'] as number[][]).map((p) => p[0] ?? 0);
      return { x: () => tf.slice(single(dy), begin, x.shape) };
    },
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const first = savedAt(saved, 0);
      const axis = axesOf(attrs['axis'], first.rank)[0] ?? 0;
      const parts = tf.split(
        single(dy),
        saved.map((t) => t.shape[axis] ?? 0),
        axis,
      );
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as tf.Tensor[], attrs['axis'] as number) }),
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, _saved, attrs) => {
      const parts = tf.unstack(single(dy), attrs['axis'] as number);
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
  {
    kernelName: 'Unpack',
    gradFunc: (dy, _saved, attrs) => ({ value: () => tf.stack(dy as tf.Tensor[], attrs['axis'] as number) }),
  },
  {
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      const reps = attrs['reps'] as number[];
      // dy has shape [r0·s0, r1·s1, ...]; viewed as [r0, s0, r1, s1, ...] the copies sit on the even axes.
      const interleaved = x.shape.flatMap((s, i) => [reps[i] ?? 1, s]);
      const copyAxes = x.shape.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(single(dy), interleaved), copyAxes), x.shape) };
    },
  },
  {
    kernelName: 'BroadcastTo',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => unbroadcast(single(dy), savedAt(saved, 0).shape) }),
  },
  {
    // Only axis 0 without batch dims (embedding lookups). A one-hot product instead of UnsortedSegmentSum, which the
    // wasm backend lacks.
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedAt(saved, 0);
      const indices = savedAt(saved, 1);
      if ((attrs['axis'] as number) !== 0 || ((attrs['batchDims'] as number | undefined) ?? 0) !== 0) {
        throw new Error('tfjs-gradients: gather is differentiable only along axis 0 without batch dims');
      }
      const rows = x.shape[0] ?? 0;
      const rest = x.shape.slice(1).reduce((a, b) => a * b, 1);
      return {
        x: () => {
          const picks = tf.oneHot(tf.reshape(tf.cast(indices, 'int32'), [-1]), rows);
          return tf.reshape(tf.matMul(float(picks), tf.reshape(single(dy), [-1, rest]), true, false), x.shape);
        },
        indices: () => tf.zerosLike(float(indices)),
      };
    },
  },

  // Matrix product, with batch dimensions that may broadcast.
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const a = savedAt(saved, 0);
      const b = savedAt(saved, 1);
      const d = single(dy);
      const ta = attrs['transposeA'] === true;
      const tb = attrs['transposeB'] === true;
      // C = op(A)·op(B): dA = dC·op(B)ᵀ (or its transpose when A was transposed), dB likewise.
      const da = (): tf.Tensor => (ta ? product(b, d, tb, true) : product(d, b, false, !tb));
      const db = (): tf.Tensor => (tb ? product(d, a, true, ta) : product(a, d, !ta, false));
      return { a: () => unbroadcast(da(), a.shape), b: () => unbroadcast(db(), b.shape) };
    },
  },
];

let registered = false;

/** Registers the gradients once per process (idempotent; import side effect of the model modules). */
export function registerEngineGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of configs) if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
}

registerEngineGradients();
