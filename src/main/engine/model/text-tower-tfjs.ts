/**
 * The CLIP text transformer in tfjs, differentiable with respect to its input embeddings so that CoP can learn context
 * vectors. Same weights (HF names `text_model.*`, `text_projection.weight`) and the same arithmetic as the ONNX text
 * tower; the parity test holds the two together. Weights are frozen constants; nothing here is trainable.
 *
 * Forward: x + position embedding → layers of pre-LN blocks (causal self-attention, MLP) → final LN on the EOT row →
 * projection. Activations stay 2-D `[N·L, W]` so every dense layer is one matMul; heads are a reshape and a transpose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VipError, badInput } from '@shared/errors';
import type { ClipConfig, HiddenAct, TextTowerConfig } from './clip-config';
import type { TensorInput } from './safetensors';
import './tfjs-gradients';

/** The text tower's sizes (ClipConfig.text) and the projected feature size E (`text_projection.weight` is `[E, W]`). */
export type TfjsTextTowerConfig = TextTowerConfig & { projectionDim: number };

/** Float tensors by Hugging Face name, as safetensors and the demo checkpoint hand them over (row-major). */
export type HostTensors = ReadonlyMap<string, TensorInput>;

interface LayerNormWeights {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

/**
 * A frozen linear layer `x · Wᵀ + b`, held in both layouts: `kernel` = Wᵀ `[in, out]` for the forward pass and
 * `weight` = W `[out, in]` (the Hugging Face layout) for the backward pass `dx = dy · W`. Both products are then
 * plain, untransposed matMuls: on the wasm backend a matMul with a transposed operand is several times slower, and
 * the backward pass is what CoP training repeats. The price is a second copy of each matrix.
 */
interface Dense {
  kernel: tf.Tensor2D;
  weight: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

interface BlockWeights {
  ln1: LayerNormWeights;
  /** q carries the attention scale head_dim^-½ in its weight and bias. */
  q: Dense;
  k: Dense;
  v: Dense;
  out: Dense;
  ln2: LayerNormWeights;
  fc1: Dense;
  fc2: Dense;
}

/** Masked scores get this instead of -Infinity: exp() is exactly 0 in float32 either way, and gradients stay finite. */
const MASKED = -1e9;

export class TfjsTextTower {
  readonly config: TfjsTextTowerConfig;
  private readonly tokenEmbedding: tf.Tensor2D;
  private readonly positionEmbedding: tf.Tensor2D;
  private readonly blocks: BlockWeights[];
  private readonly finalLn: LayerNormWeights;
  private readonly projection: Dense;
  private readonly owned: tf.Tensor[] = [];
  private disposed = false;

  constructor(config: TfjsTextTowerConfig, weights: HostTensors) {
    const { hiddenSize: w, intermediateSize: inner, numHeads: heads } = config;
    if (w % heads !== 0)
      throw badInput(`text config: hidden_size ${w} is not divisible by num_attention_heads ${heads}`);
    this.config = config;
    // A bad weight file must not leave half the tensors allocated.
    try {
      const take = (name: string, shape: readonly number[]): Float32Array => readWeight(weights, name, shape);
      const vec = (name: string, n: number): tf.Tensor1D => this.own(tf.tensor1d(take(name, [n])));
      const linear = (weight: Float32Array, out: number, inp: number, bias?: Float32Array): Dense => ({
        kernel: this.own(tf.tensor2d(transpose2d(weight, out, inp), [inp, out])),
        weight: this.own(tf.tensor2d(weight, [out, inp])),
        ...(bias === undefined ? {} : { bias: this.own(tf.tensor1d(bias)) }),
      });
      const hf = (prefix: string, out: number, inp: number): Dense =>
        linear(take(`${prefix}.weight`, [out, inp]), out, inp, take(`${prefix}.bias`, [out]));
      const ln = (prefix: string): LayerNormWeights => ({
        gamma: vec(`${prefix}.weight`, w),
        beta: vec(`${prefix}.bias`, w),
      });

      this.tokenEmbedding = this.own(
        tf.tensor2d(take('text_model.embeddings.token_embedding.weight', [config.vocabSize, w]), [config.vocabSize, w]),
      );
      this.positionEmbedding = this.own(
        tf.tensor2d(take('text_model.embeddings.position_embedding.weight', [config.maxPositions, w]), [
          config.maxPositions,
          w,
        ]),
      );
      const scale = 1 / Math.sqrt(w / heads);
      this.blocks = [];
      for (let i = 0; i < config.numLayers; i++) {
        const p = `text_model.encoder.layers.${i}`;
        this.blocks.push({
          ln1: ln(`${p}.layer_norm1`),
          q: linear(
            take(`${p}.self_attn.q_proj.weight`, [w, w]).map((x) => x * scale),
            w,
            w,
            take(`${p}.self_attn.q_proj.bias`, [w]).map((x) => x * scale),
          ),
          k: hf(`${p}.self_attn.k_proj`, w, w),
          v: hf(`${p}.self_attn.v_proj`, w, w),
          out: hf(`${p}.self_attn.out_proj`, w, w),
          ln2: ln(`${p}.layer_norm2`),
          fc1: hf(`${p}.mlp.fc1`, inner, w),
          fc2: hf(`${p}.mlp.fc2`, w, inner),
        });
      }
      this.finalLn = ln('text_model.final_layer_norm');
      const e = config.projectionDim;
      this.projection = linear(take('text_projection.weight', [e, w]), e, w);
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /** The tower of a CLIP checkpoint: `weights` must hold the `text_model.*` tensors and `text_projection.weight`. */
  static fromClipConfig(config: ClipConfig, weights: HostTensors): TfjsTextTower {
    return new TfjsTextTower({ ...config.text, projectionDim: config.projectionDim }, weights);
  }

  get width(): number {
    return this.config.hiddenSize;
  }

  /** Token embeddings `[N, L, W]` (no position embeddings). Rows shorter than the longest are padded with id 0. */
  tokenEmbeddings(ids: readonly (readonly number[])[]): tf.Tensor3D {
    this.assertAlive();
    const { rows, length } = padIds(ids, this.config.vocabSize);
    return tf.tidy(() => {
      const rowsEmbedded = tf.gather(this.tokenEmbedding, tf.tensor1d(rows, 'int32'));
      return tf.reshape(rowsEmbedded, [ids.length, length, this.width]);
    });
  }

  /**
   * Text features `[N, E]` (not normalised) from input embeddings `x` `[N, L, W]`; position embeddings are added here.
   * `eotIndex[n]` is the row read out for sequence n. Differentiable with respect to `x`.
   */
  encodeEmbeddings(x: tf.Tensor3D, eotIndex: readonly number[]): tf.Tensor2D {
    this.assertAlive();
    const [n, l, w] = x.shape;
    if (w !== this.width)
      throw new VipError('internal', `text tower: embeddings have width ${w}, the model ${this.width}`);
    if (l > this.config.maxPositions) {
      throw new VipError('internal', `text tower: ${l} positions, the model holds ${this.config.maxPositions}`);
    }
    if (eotIndex.length !== n)
      throw new VipError('internal', `text tower: ${eotIndex.length} EOT indices for ${n} sequences`);
    for (const e of eotIndex) {
      if (!Number.isInteger(e) || e < 0 || e >= l)
        throw new VipError('internal', `text tower: EOT index ${e} outside 0..${l - 1}`);
    }
    // The mask is causal, so positions after the batch's last EOT cannot change any EOT row: drop them.
    const len = Math.max(...eotIndex) + 1;
    return tf.tidy(() => {
      const cut = len < l ? tf.slice(x, [0, 0, 0], [n, len, w]) : x;
      const positioned = tf.add(cut, tf.slice(this.positionEmbedding, [0, 0], [len, w]));
      let h: tf.Tensor2D = tf.reshape(positioned, [n * len, w]);
      const mask = causalMask(len);
      for (const block of this.blocks) h = this.block(h, block, n, len, mask);
      const eot = this.readRows(h, eotIndex, n, len);
      const normed = layerNorm(eot, this.finalLn, this.config.layerNormEps);
      return dense(normed, this.projection);
    });
  }

  /** Text features `[N, E]` for token ids (each row with its EOT, the largest id, as in CLIP). */
  encodeIds(ids: readonly (readonly number[])[]): tf.Tensor2D {
    const eot = eotIndices(ids);
    const len = Math.max(...eot) + 1;
    return tf.tidy(() => this.encodeEmbeddings(this.tokenEmbeddings(ids.map((row) => row.slice(0, len))), eot));
  }

  /** Frees the weights; the tower is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }

  private block(h: tf.Tensor2D, b: BlockWeights, n: number, len: number, mask: tf.Tensor2D): tf.Tensor2D {
    const { hiddenSize: w, numHeads: heads, layerNormEps: eps } = this.config;
    const d = w / heads;
    const x = layerNorm(h, b.ln1, eps);
    // Heads by reshape and transpose: q and v to [N, H, L, D], k straight to [N, H, D, L] so that q·kᵀ is an
    // untransposed matMul (see Dense).
    const q = tf.transpose(tf.reshape(dense(x, b.q), [n, len, heads, d]), [0, 2, 1, 3]);
    const kT = tf.transpose(tf.reshape(dense(x, b.k), [n, len, heads, d]), [0, 2, 3, 1]);
    const v = tf.transpose(tf.reshape(dense(x, b.v), [n, len, heads, d]), [0, 2, 1, 3]);
    const scores = tf.add(tf.matMul(q, kT), mask);
    const context = tf.matMul(tf.softmax(scores), v);
    const merged = tf.reshape<tf.Rank.R2>(tf.transpose(context, [0, 2, 1, 3]), [n * len, w]);
    const attended = tf.add<tf.Tensor2D>(h, dense(merged, b.out));
    const up = dense(layerNorm(attended, b.ln2, eps), b.fc1);
    const down = dense(activate(up, this.config.hiddenAct), b.fc2);
    return tf.add<tf.Tensor2D>(attended, down);
  }

  /** Rows `eotIndex[i]` of each sequence as `[N, W]`, by a one-hot weighted sum: differentiable on every backend. */
  private readRows(h: tf.Tensor2D, eotIndex: readonly number[], n: number, len: number): tf.Tensor2D {
    const pick = new Float32Array(n * len);
    eotIndex.forEach((e, i) => (pick[i * len + e] = 1));
    const weights = tf.tensor3d(pick, [n, len, 1]);
    return tf.sum(tf.mul(tf.reshape(h, [n, len, this.width]), weights), 1);
  }

  private own<T extends tf.Tensor>(t: T): T {
    this.owned.push(tf.keep(t));
    return t;
  }

  private assertAlive(): void {
    if (this.disposed) throw new VipError('internal', 'text tower used after dispose()');
  }
}

/** CLIP reads each sequence at its EOT token, the largest id in the row (first occurrence, like torch.argmax). */
export function eotIndices(ids: readonly (readonly number[])[]): number[] {
  return ids.map((row) => {
    if (row.length === 0) throw new VipError('internal', 'text tower: empty token sequence');
    let best = 0;
    for (let i = 1; i < row.length; i++) if ((row[i] ?? 0) > (row[best] ?? 0)) best = i;
    return best;
  });
}

/**
 * Puts `context` (`[M, W]`, shared by all rows, or `[N, M, W]`) in place of the embeddings at positions
 * `start..start+M-1` of `x` `[N, L, W]`. Differentiable with respect to both, which is how CoP trains its context.
 */
export function insertContext(x: tf.Tensor3D, context: tf.Tensor2D | tf.Tensor3D, start = 1): tf.Tensor3D {
  const [n, l, w] = x.shape;
  const m = context.rank === 2 ? context.shape[0] : context.shape[1];
  if (start < 0 || start + m > l)
    throw new VipError('internal', `context of ${m} vectors at ${start} does not fit ${l} positions`);
  return tf.tidy(() => {
    const ctx = context.rank === 2 ? tf.tile(tf.expandDims(context, 0), [n, 1, 1]) : context;
    const parts: tf.Tensor3D[] = [];
    if (start > 0) parts.push(tf.slice(x, [0, 0, 0], [n, start, w]));
    parts.push(ctx as tf.Tensor3D);
    if (start + m < l) parts.push(tf.slice(x, [0, start + m, 0], [n, l - start - m, w]));
    return tf.concat(parts, 1);
  });
}

/**
 * `x · Wᵀ + b` with a custom gradient that flows to `x` only (the layer is frozen): one untransposed matMul each way.
 * (tf.fused.matMul would also compute the unused weight and bias gradients, eagerly.)
 */
function dense(x: tf.Tensor2D, layer: Dense): tf.Tensor2D {
  const op = tf.customGrad<tf.Tensor2D>((input) => {
    const product = tf.matMul<tf.Tensor2D>(input as tf.Tensor2D, layer.kernel);
    return {
      value: layer.bias === undefined ? product : tf.add<tf.Tensor2D>(product, layer.bias),
      gradFunc: (dy) => tf.matMul(dy, layer.weight),
    };
  });
  return op(x);
}

function layerNorm(x: tf.Tensor2D, p: LayerNormWeights, eps: number): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, p.gamma), p.beta);
}

function activate(x: tf.Tensor2D, act: HiddenAct): tf.Tensor2D {
  switch (act) {
    case 'quick_gelu':
      return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }
}

/** `[L, L]` additive mask: 0 where a query may look (itself and earlier positions), a large negative elsewhere. */
function causalMask(len: number): tf.Tensor2D {
  const m = new Float32Array(len * len);
  for (let i = 0; i < len; i++) m.fill(MASKED, i * len + i + 1, (i + 1) * len);
  return tf.tensor2d(m, [len, len]);
}

function padIds(ids: readonly (readonly number[])[], vocabSize: number): { rows: Int32Array; length: number } {
  if (ids.length === 0) throw new VipError('internal', 'text tower: no token sequences');
  const length = Math.max(...ids.map((r) => r.length));
  const rows = new Int32Array(ids.length * length);
  ids.forEach((row, i) =>
    row.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
        throw new VipError('internal', `text tower: token id ${id} outside the vocabulary`);
      rows[i * length + j] = id;
    }),
  );
  return { rows, length };
}

function readWeight(weights: HostTensors, name: string, shape: readonly number[]): Float32Array {
  const t = weights.get(name);
  if (t === undefined) throw badInput(`text weights: tensor ${name} is missing`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw badInput(`text weights: tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  return t.data;
}

/** Row-major `[rows, cols]` → `[cols, rows]`, so dense layers are `x · K` rather than `x · Wᵀ`. */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] ?? 0;
  return out;
}
