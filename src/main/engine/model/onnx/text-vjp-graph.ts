/**
 * The frozen CLIP text tower's forward pass and its vector-Jacobian product with respect to the input embeddings, as
 * two ONNX graphs, so that onnxruntime (fast on a CPU, threaded) does the expensive part of a CoP training step while
 * tfjs keeps the trainable prompt, MeP, the loss and the optimizer.
 *
 * text-tape:  inputs_embeds float [N, L, W], eot_index int64 [N]
 *               -> text_embeds float [N, E] and the tape: what the backward pass reads (per layer its input, the
 *                  attention's q, kᵀ, v and probabilities, the input of the second LayerNorm, the MLP's
 *                  pre-activation; the EOT rows of the last hidden state)
 * text-vjp:   the tape, eot_index int64 [N], grad_text_embeds float [N, E]
 *               -> grad_inputs_embeds float [N, L, W] = (∂ text_embeds / ∂ inputs_embeds)ᵀ · grad_text_embeds
 *
 * The forward ops are those of text-graph.ts / transformer.ts in the same order, so the features equal those of
 * text-embeds.onnx. The backward pass is written out by hand for the pre-LN causal transformer (no autodiff in
 * onnxruntime's inference build): LayerNorm, attention with the causal mask and softmax, quick_gelu (or gelu) MLP,
 * EOT gather, projection. Only input gradients are formed; the weights are frozen, so no weight gradient is computed.
 */
import { checkTensors, type ClipConfig, type HiddenAct } from '../clip-config';
import { GraphBuilder, int, ints, type Dim } from './graph';
import { activation, initializer, layerNorm, linear, weight, type Weights } from './transformer';

const producer = 'vip-workstation';
const maskValue = -1e9;

/** Tape tensors of one layer, in the order the forward graph outputs them. */
const layerTapeParts = ['x', 'q', 'k', 'v', 'probs', 'mid', 'pre_act'] as const;
const swapLastTwo = ints([0, 1, 3, 2]);
type LayerTapePart = (typeof layerTapeParts)[number];

export function tapeName(layer: number, part: LayerTapePart): string {
  return `tape_l${layer}_${part}`;
}
export const tapeEotRows = 'tape_eot_rows';

/** Every tape tensor name, forward output order = backward input order. */
export function tapeNames(config: ClipConfig): string[] {
  const names: string[] = [];
  for (let i = 0; i < config.text.numLayers; i++) for (const p of layerTapeParts) names.push(tapeName(i, p));
  names.push(tapeEotRows);
  return names;
}

function causalMask(size: number): Float32Array {
  const mask = new Float32Array(size * size);
  for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) mask[i * size + j] = maskValue;
  return mask;
}

function describe(config: ClipConfig, graph: string): Record<string, string> {
  const t = config.text;
  return {
    'vip.tower': 'text',
    'vip.graph': graph,
    'vip.width': String(t.hiddenSize),
    'vip.layers': String(t.numLayers),
    'vip.projection_dim': String(config.projectionDim),
  };
}

/**
 * `[s·Wq; Wk; Wv]ᵀ` as one `[W, 3W]` matrix and its bias, so q, k and v are one product (the attention scale s
 * folded into the q columns: s·(h Wqᵀ + b) = h (s Wq)ᵀ + s b).
 */
function qkvProjection(g: GraphBuilder, weights: Weights, prefix: string, w: number, scale: number): string[] {
  const kernel = new Float32Array(w * 3 * w);
  const bias = new Float32Array(3 * w);
  (['q_proj', 'k_proj', 'v_proj'] as const).forEach((name, part) => {
    const m = weight(weights, `${prefix}.${name}.weight`).data; // [out, in]
    const b = weight(weights, `${prefix}.${name}.bias`).data;
    const f = part === 0 ? scale : 1;
    for (let o = 0; o < w; o++) {
      for (let i = 0; i < w; i++) kernel[i * 3 * w + part * w + o] = (m[o * w + i] as number) * f;
      bias[part * w + o] = (b[o] as number) * f;
    }
  });
  return [g.floatInit(`${prefix}.qkv_kernel`, [w, 3 * w], kernel), g.floatInit(`${prefix}.qkv_bias`, [3 * w], bias)];
}

/**
 * inputs_embeds + eot_index -> text_embeds, plus the tape the VJP graph needs. The same arithmetic as text-graph.ts,
 * laid out for speed: activations as `[N·L, W]` rows so every linear layer is one matrix product with its bias fused,
 * and q, k, v in one product.
 */
export function buildTextTapeModel(config: ClipConfig, weights: Weights): Uint8Array {
  checkTensors(config, weights, 'text', 'text tower weights');
  const t = config.text;
  const W = t.hiddenSize;
  const H = t.numHeads;
  const D = W / H;
  const g = new GraphBuilder('clip_text_tape');
  const source = g.input('inputs_embeds', 'float', ['N', 'L', W]);
  const eot = g.input('eot_index', 'int64', ['N']);
  const tape = (value: string, name: string, dims: readonly Dim[]) => g.output(value, name, 'float', dims);
  const rows: Dim = 'NL';

  const nl = g.op('Shape', [source], { start: int(0), end: int(2) }, 'batch_and_length'); // [N, L]
  const length = g.op('Shape', [source], { start: int(1), end: int(2) }, 'seq_len'); // [L]
  const zero = g.int64Const([0]);
  const positions = g.op('Slice', [
    initializer(g, weights, 'text_model.embeddings.position_embedding.weight'),
    zero,
    length,
    zero,
  ]);
  let x = g.op('Reshape', [g.op('Add', [source, positions], {}, 'embeddings'), g.int64Const([-1, W])]);
  const mask = g.op('Slice', [
    g.floatInit('causal_mask', [t.maxPositions, t.maxPositions], causalMask(t.maxPositions)),
    g.int64Const([0, 0]),
    g.op('Concat', [length, length], { axis: int(0) }),
    g.int64Const([0, 1]),
  ]);
  const qkvShape = g.op('Concat', [nl, g.int64Const([3, H, D])], { axis: int(0) });
  const part = (qkv: string, i: number) => g.op('Gather', [qkv, g.int64Const([i], true)], { axis: int(0) });

  for (let i = 0; i < t.numLayers; i++) {
    const p = `text_model.encoder.layers.${i}`;
    tape(x, tapeName(i, 'x'), [rows, W]);
    const h = layerNorm(g, weights, x, `${p}.layer_norm1`, t.layerNormEps);
    const [kernel, bias] = qkvProjection(g, weights, `${p}.self_attn`, W, D ** -0.5) as [string, string];
    const qkv = g.op('Add', [g.op('MatMul', [h, kernel]), bias]); // [N·L, 3W]
    // [N, L, 3, H, D] -> [3, N, H, L, D]
    const heads = g.op('Transpose', [g.op('Reshape', [qkv, qkvShape])], { perm: ints([2, 0, 3, 1, 4]) });
    const q = part(heads, 0);
    const k = part(heads, 1);
    const v = part(heads, 2);
    const scores = g.op('Add', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: swapLastTwo })]), mask]);
    const probs = g.op('Softmax', [scores], { axis: int(-1) }, 'attention');
    tape(q, tapeName(i, 'q'), ['N', H, 'L', D]);
    tape(k, tapeName(i, 'k'), ['N', H, 'L', D]);
    tape(v, tapeName(i, 'v'), ['N', H, 'L', D]);
    tape(probs, tapeName(i, 'probs'), ['N', H, 'L', 'L']);
    const context = g.op('MatMul', [probs, v]); // [N, H, L, D]
    const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: ints([0, 2, 1, 3]) }), g.int64Const([-1, W])]);
    const mid = g.op('Add', [x, linear(g, weights, merged, `${p}.self_attn.out_proj`)]);
    tape(mid, tapeName(i, 'mid'), [rows, W]);
    const h2 = layerNorm(g, weights, mid, `${p}.layer_norm2`, t.layerNormEps);
    const pre = linear(g, weights, h2, `${p}.mlp.fc1`);
    tape(pre, tapeName(i, 'pre_act'), [rows, t.intermediateSize]);
    x = g.op('Add', [mid, linear(g, weights, activation(g, pre, t.hiddenAct), `${p}.mlp.fc2`)]);
  }
  // Row n·L + eot[n] of the [N·L, W] states.
  const batch = g.op('Squeeze', [g.op('Shape', [eot]), zero]);
  const lengthScalar = g.op('Squeeze', [length, zero]);
  const firstRows = g.op('Mul', [
    g.op('Range', [g.int64Const([0], true), batch, g.int64Const([1], true)]),
    lengthScalar,
  ]);
  const eotRows = g.op('Gather', [x, g.op('Add', [firstRows, eot])], { axis: int(0) });
  tape(eotRows, tapeEotRows, ['N', W]);
  const pooled = layerNorm(g, weights, eotRows, 'text_model.final_layer_norm', t.layerNormEps);
  g.output(linear(g, weights, pooled, 'text_projection', false), 'text_embeds', 'float', ['N', config.projectionDim]);
  return g.encode({
    producer,
    docString: 'CLIP text tower forward (inputs_embeds + eot_index) with the tape of its VJP',
    metadata: describe(config, 'tape'),
  });
}

/** `dy · W` for a frozen Hugging Face Linear `prefix.weight` [out, in]: the input gradient of `x Wᵀ + b`. */
function linearBackward(g: GraphBuilder, weights: Weights, dy: string, prefix: string): string {
  return g.op('MatMul', [dy, initializer(g, weights, `${prefix}.weight`)]);
}

/**
 * LayerNorm's input gradient over the last axis, with the statistics recomputed from the saved input:
 * x̂ = (x − μ)·r, r = (var + ε)^-½; dx = r · (ĝ − mean(ĝ) − x̂ · mean(ĝ x̂)), ĝ = dy · γ.
 */
function layerNormBackward(
  g: GraphBuilder,
  weights: Weights,
  x: string,
  dy: string,
  prefix: string,
  eps: number,
): string {
  const mean = (v: string) => g.op('ReduceMean', [v], { axes: ints([-1]), keepdims: int(1) });
  const centred = g.op('Sub', [x, mean(x)]);
  const variance = mean(g.op('Mul', [centred, centred]));
  const rstd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.floatConst(eps)])])]);
  const xHat = g.op('Mul', [centred, rstd]);
  const gHat = g.op('Mul', [dy, initializer(g, weights, `${prefix}.weight`)]);
  const inner = g.op('Sub', [g.op('Sub', [gHat, mean(gHat)]), g.op('Mul', [xHat, mean(g.op('Mul', [gHat, xHat]))])]);
  return g.op('Mul', [inner, rstd], {}, 'ln_grad');
}

/** d act(u) / du · dy. quick_gelu: σ(αu)·(1 + αu(1 − σ(αu))); gelu: Φ(u) + u·φ(u). */
function activationBackward(g: GraphBuilder, u: string, dy: string, act: HiddenAct): string {
  if (act === 'quick_gelu') {
    const alphaU = g.op('Mul', [u, g.floatConst(1.702)]);
    const s = g.op('Sigmoid', [alphaU]);
    const oneMinus = g.op('Sub', [g.floatConst(1), s]);
    const slope = g.op('Mul', [s, g.op('Add', [g.floatConst(1), g.op('Mul', [alphaU, oneMinus])])]);
    return g.op('Mul', [dy, slope], {}, 'quick_gelu_grad');
  }
  const cdf = g.op('Mul', [
    g.op('Add', [g.op('Erf', [g.op('Div', [u, g.floatConst(Math.SQRT2)])]), g.floatConst(1)]),
    g.floatConst(0.5),
  ]);
  const pdf = g.op('Mul', [
    g.op('Exp', [g.op('Mul', [g.op('Mul', [u, u]), g.floatConst(-0.5)])]),
    g.floatConst(1 / Math.sqrt(2 * Math.PI)),
  ]);
  return g.op('Mul', [dy, g.op('Add', [cdf, g.op('Mul', [u, pdf])])], {}, 'gelu_grad');
}

/**
 * The q, k and v input gradients in one product: `[dq·s | dk | dv] · [Wq; Wk; Wv]` with the attention scale s folded
 * into Wq (q was scaled after its bias, so dq·s·Wq is its input gradient).
 */
function qkvWeights(g: GraphBuilder, weights: Weights, prefix: string, w: number, scale: number): string {
  const stacked = new Float32Array(3 * w * w);
  const q = weight(weights, `${prefix}.q_proj.weight`).data;
  for (let i = 0; i < q.length; i++) stacked[i] = (q[i] as number) * scale;
  stacked.set(weight(weights, `${prefix}.k_proj.weight`).data, w * w);
  stacked.set(weight(weights, `${prefix}.v_proj.weight`).data, 2 * w * w);
  return g.floatInit(`${prefix}.qkv_weight_stacked`, [3 * w, w], stacked);
}

/** The tape, eot_index and grad_text_embeds -> grad_inputs_embeds. */
export function buildTextVjpModel(config: ClipConfig, weights: Weights): Uint8Array {
  checkTensors(config, weights, 'text', 'text tower weights');
  const t = config.text;
  const W = t.hiddenSize;
  const H = t.numHeads;
  const D = W / H;
  const g = new GraphBuilder('clip_text_vjp');
  const rows: Dim = 'NL';
  const saved = new Map<string, string>();
  for (let i = 0; i < t.numLayers; i++) {
    const dims: Record<LayerTapePart, Dim[]> = {
      x: [rows, W],
      q: ['N', H, 'L', D],
      k: ['N', H, 'L', D],
      v: ['N', H, 'L', D],
      probs: ['N', H, 'L', 'L'],
      mid: [rows, W],
      pre_act: [rows, t.intermediateSize],
    };
    for (const part of layerTapeParts) saved.set(tapeName(i, part), g.input(tapeName(i, part), 'float', dims[part]));
  }
  const eotRows = g.input(tapeEotRows, 'float', ['N', W]);
  const eot = g.input('eot_index', 'int64', ['N']);
  const dy = g.input('grad_text_embeds', 'float', ['N', config.projectionDim]);
  const tape = (i: number, part: LayerTapePart): string => saved.get(tapeName(i, part)) as string;

  // N and L from the attention probabilities' shape [N, H, L, L].
  const probsShape = g.op('Shape', [tape(0, 'probs')]);
  const nl = g.op('Gather', [probsShape, g.int64Const([0, 2])], { axis: int(0) });
  const lengthScalar = g.op('Gather', [probsShape, g.int64Const([2], true)], { axis: int(0) });
  const headsShape = g.op('Concat', [nl, g.int64Const([H, D])], { axis: int(0) });

  // Projection, final LayerNorm, then the EOT rows scattered back to their positions (zero everywhere else).
  const dPooled = linearBackward(g, weights, dy, 'text_projection');
  const dEot = layerNormBackward(g, weights, eotRows, dPooled, 'text_model.final_layer_norm', t.layerNormEps);
  const steps = g.op('Range', [g.int64Const([0], true), lengthScalar, g.int64Const([1], true)]);
  const isEot = g.op('Equal', [
    g.op('Unsqueeze', [steps, g.int64Const([0])]), // [1, L]
    g.op('Unsqueeze', [eot, g.int64Const([1])]), // [N, 1]
  ]);
  const pick = g.op('Unsqueeze', [g.op('Cast', [isEot], { to: int(1) }), g.int64Const([2])]); // [N, L, 1]
  const scattered = g.op('Mul', [pick, g.op('Unsqueeze', [dEot, g.int64Const([1])])]); // [N, L, W]
  let dx = g.op('Reshape', [scattered, g.int64Const([-1, W])], {}, 'grad_hidden');

  for (let i = t.numLayers - 1; i >= 0; i--) {
    const p = `text_model.encoder.layers.${i}`;
    // MLP: x_out = mid + fc2(act(fc1(LN2(mid)))).
    const dAct = linearBackward(g, weights, dx, `${p}.mlp.fc2`);
    const dPre = activationBackward(g, tape(i, 'pre_act'), dAct, t.hiddenAct);
    const dH2 = linearBackward(g, weights, dPre, `${p}.mlp.fc1`);
    const dMid = g.op('Add', [
      dx,
      layerNormBackward(g, weights, tape(i, 'mid'), dH2, `${p}.layer_norm2`, t.layerNormEps),
    ]);

    // Attention: mid = x + out_proj(merge(softmax(q kᵀ + mask) v)).
    const dMerged = linearBackward(g, weights, dMid, `${p}.self_attn.out_proj`);
    const dContext = g.op('Transpose', [g.op('Reshape', [dMerged, headsShape])], { perm: ints([0, 2, 1, 3]) });
    const probs = tape(i, 'probs');
    const dProbs = g.op('MatMul', [dContext, g.op('Transpose', [tape(i, 'v')], { perm: swapLastTwo })]);
    const dV = g.op('MatMul', [g.op('Transpose', [probs], { perm: swapLastTwo }), dContext]);
    // Softmax: dS = P ⊙ (dP − Σ_j dP ⊙ P); masked entries have P = 0 exactly, so they get no gradient.
    const rowDot = g.op('ReduceSum', [g.op('Mul', [dProbs, probs]), g.int64Const([-1])], { keepdims: int(1) });
    const dScores = g.op('Mul', [probs, g.op('Sub', [dProbs, rowDot])]);
    const dQ = g.op('MatMul', [dScores, tape(i, 'k')]);
    const dK = g.op('MatMul', [g.op('Transpose', [dScores], { perm: swapLastTwo }), tape(i, 'q')]);
    const mergeHeads = (v: string) =>
      g.op('Reshape', [g.op('Transpose', [v], { perm: ints([0, 2, 1, 3]) }), g.int64Const([-1, W])]);
    const dQkv = g.op('Concat', [mergeHeads(dQ), mergeHeads(dK), mergeHeads(dV)], { axis: int(-1) });
    const dH1 = g.op('MatMul', [dQkv, qkvWeights(g, weights, `${p}.self_attn`, W, D ** -0.5)]);
    dx = g.op('Add', [dMid, layerNormBackward(g, weights, tape(i, 'x'), dH1, `${p}.layer_norm1`, t.layerNormEps)]);
  }
  // The position embeddings were added: their gradient passes straight through to the input.
  const out = g.op('Reshape', [dx, g.op('Concat', [nl, g.int64Const([W])], { axis: int(0) })]);
  g.output(out, 'grad_inputs_embeds', 'float', ['N', 'L', W]);
  return g.encode({
    producer,
    docString: 'VJP of the CLIP text tower with respect to inputs_embeds (frozen weights)',
    metadata: describe(config, 'vjp'),
  });
}
