/**
 * The pieces both CLIP towers share, emitted once: LayerNorm, linear layers in Hugging Face layout, the activations,
 * and the pre-norm residual encoder block (self-attention, then MLP). Weights are looked up by their Hugging Face
 * names; the caller has checked them with checkTensors, so a missing one here is a programming error.
 */
import type { HiddenAct } from '../clip-config';
import type { TensorInput } from '../safetensors';
import { float, int, ints, type GraphBuilder } from './graph';

export type Weights = ReadonlyMap<string, TensorInput>;

export function weight(weights: Weights, name: string): TensorInput {
  const t = weights.get(name);
  if (!t) throw new Error(`ONNX builder: tensor ${name} is missing (checkTensors should have caught this)`);
  return t;
}

/** A tensor as an initializer under its own name and shape. */
export function initializer(g: GraphBuilder, weights: Weights, name: string, dims?: readonly number[]): string {
  const t = weight(weights, name);
  return g.floatInit(name, dims ?? t.shape, t.data);
}

/** [rows, cols] -> [cols, rows], so `x @ Wᵀ` becomes a plain MatMul with a stored matrix. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[row + c] as number;
  }
  return out;
}

/** `x Wᵀ (+ b)` for a Hugging Face Linear `prefix.weight` [out, in] (and `prefix.bias` [out] when `bias`). */
export function linear(g: GraphBuilder, weights: Weights, x: string, prefix: string, bias = true): string {
  const w = weight(weights, `${prefix}.weight`);
  const [out, inp] = w.shape as [number, number];
  const wT = g.floatInit(`${prefix}.weight_transposed`, [inp, out], transpose(w.data, out, inp));
  const y = g.op('MatMul', [x, wT]);
  return bias ? g.op('Add', [y, initializer(g, weights, `${prefix}.bias`)]) : y;
}

export function layerNorm(g: GraphBuilder, weights: Weights, x: string, prefix: string, eps: number): string {
  const scale = initializer(g, weights, `${prefix}.weight`);
  const shift = initializer(g, weights, `${prefix}.bias`);
  return g.op('LayerNormalization', [x, scale, shift], { axis: int(-1), epsilon: float(eps) }, 'ln');
}

/** quick_gelu: x·σ(1.702x) (OpenAI CLIP); gelu: the exact erf form 0.5·x·(1 + erf(x/√2)). */
export function activation(g: GraphBuilder, x: string, act: HiddenAct): string {
  if (act === 'quick_gelu') {
    const gate = g.op('Sigmoid', [g.op('Mul', [x, g.floatConst(1.702)])]);
    return g.op('Mul', [x, gate], {}, 'quick_gelu');
  }
  const erf = g.op('Erf', [g.op('Div', [x, g.floatConst(Math.SQRT2)])]);
  const onePlus = g.op('Add', [erf, g.floatConst(1)]);
  return g.op('Mul', [g.op('Mul', [x, onePlus]), g.floatConst(0.5)], {}, 'gelu');
}

export interface EncoderSpec {
  /** e.g. "text_model.encoder" */
  prefix: string;
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  hiddenAct: HiddenAct;
  layerNormEps: number;
  /** An additive [L, L] attention mask (0 where allowed, very negative elsewhere), or none. */
  mask?: string;
}

/** Multi-head self-attention on x [N, L, W] (the input already layer-normed). */
function selfAttention(g: GraphBuilder, weights: Weights, h: string, prefix: string, spec: EncoderSpec): string {
  const heads = spec.numHeads;
  const headDim = spec.hiddenSize / heads;
  // [N, L, W] -> [N, L, H, D]; 0 in a Reshape shape keeps that input dimension.
  const split = g.int64Const([0, 0, heads, headDim]);
  const project = (name: string) => g.op('Reshape', [linear(g, weights, h, `${prefix}.${name}`), split]);
  // Hugging Face scales the projected queries (bias included) by D^-½ before the product.
  const q = g.op('Mul', [project('q_proj'), g.floatConst(headDim ** -0.5)]);
  const qHeads = g.op('Transpose', [q], { perm: ints([0, 2, 1, 3]) }); // [N, H, L, D]
  const kHeadsT = g.op('Transpose', [project('k_proj')], { perm: ints([0, 2, 3, 1]) }); // [N, H, D, L]
  const vHeads = g.op('Transpose', [project('v_proj')], { perm: ints([0, 2, 1, 3]) }); // [N, H, L, D]
  let scores = g.op('MatMul', [qHeads, kHeadsT], {}, 'scores'); // [N, H, L, L]
  if (spec.mask) scores = g.op('Add', [scores, spec.mask], {}, 'masked_scores');
  const probs = g.op('Softmax', [scores], { axis: int(-1) }, 'attention');
  const context = g.op('MatMul', [probs, vHeads]); // [N, H, L, D]
  const merged = g.op('Reshape', [
    g.op('Transpose', [context], { perm: ints([0, 2, 1, 3]) }),
    g.int64Const([0, 0, spec.hiddenSize]),
  ]);
  return linear(g, weights, merged, `${prefix}.out_proj`);
}

/** One pre-norm residual block: x + attn(LN1(x)), then + fc2(act(fc1(LN2(x)))). */
export function encoderLayer(g: GraphBuilder, weights: Weights, x: string, index: number, spec: EncoderSpec): string {
  const p = `${spec.prefix}.layers.${index}`;
  const attended = selfAttention(
    g,
    weights,
    layerNorm(g, weights, x, `${p}.layer_norm1`, spec.layerNormEps),
    `${p}.self_attn`,
    spec,
  );
  const afterAttention = g.op('Add', [x, attended], {}, `layer${index}_attn_residual`);
  const h = layerNorm(g, weights, afterAttention, `${p}.layer_norm2`, spec.layerNormEps);
  const mlp = linear(g, weights, activation(g, linear(g, weights, h, `${p}.mlp.fc1`), spec.hiddenAct), `${p}.mlp.fc2`);
  return g.op('Add', [afterAttention, mlp], {}, `layer${index}_output`);
}

export function encoder(g: GraphBuilder, weights: Weights, x: string, spec: EncoderSpec): string {
  let h = x;
  for (let i = 0; i < spec.numLayers; i++) h = encoderLayer(g, weights, h, i, spec);
  return h;
}
