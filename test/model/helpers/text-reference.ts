/**
 * A deliberately naive float64 CLIP text forward, one sequence at a time, written from VIP_METHOD.md §1 and the HF
 * CLIPTextTransformer: no batching, no cutting, no fused q/k/v, final LN over every row before the EOT row is read.
 * It shares nothing with the tfjs tower but the weight names, so agreement means both follow the definition.
 */
import type { HostTensors, TfjsTextTowerConfig } from '../../../src/main/engine/model/text-tower-tfjs';

type Matrix = Float64Array[];

function get(weights: HostTensors, name: string): Float32Array {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`reference: missing ${name}`);
  return t.data;
}

/** y = x Wᵀ + b with W in HF `[out, in]` layout. */
function linear(x: Matrix, weight: Float32Array, bias: Float32Array | undefined, out: number): Matrix {
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = bias === undefined ? 0 : (bias[o] ?? 0);
      for (let i = 0; i < row.length; i++) s += (row[i] ?? 0) * (weight[o * row.length + i] ?? 0);
      y[o] = s;
    }
    return y;
  });
}

function layerNorm(x: Matrix, gamma: Float32Array, beta: Float32Array, eps: number): Matrix {
  return x.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * (gamma[i] ?? 0) + (beta[i] ?? 0));
  });
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse here; use the series / continued fraction split instead.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  return Math.sign(x) * (1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)) / (1 + 1 / (2 * t * t)));
}

function activation(v: number, act: TfjsTextTowerConfig['hiddenAct']): number {
  if (act === 'quick_gelu') return v / (1 + Math.exp(-1.702 * v));
  return 0.5 * v * (1 + erf(v / Math.SQRT2));
}

/** Forward from input embeddings (without positions) `[L][W]`; returns the projected EOT feature. */
export function referenceTextFromEmbeddings(
  config: TfjsTextTowerConfig,
  weights: HostTensors,
  embeddings: Matrix,
  eot: number,
): Float64Array {
  const w = config.hiddenSize;
  const heads = config.numHeads;
  const d = w / heads;
  const pos = get(weights, 'text_model.embeddings.position_embedding.weight');
  let x: Matrix = embeddings.map((row, t) => row.map((v, i) => v + (pos[t * w + i] ?? 0)));
  for (let l = 0; l < config.numLayers; l++) {
    const p = (s: string): Float32Array => get(weights, `text_model.encoder.layers.${l}.${s}`);
    const h = layerNorm(x, p('layer_norm1.weight'), p('layer_norm1.bias'), config.layerNormEps);
    const q = linear(h, p('self_attn.q_proj.weight'), p('self_attn.q_proj.bias'), w);
    const k = linear(h, p('self_attn.k_proj.weight'), p('self_attn.k_proj.bias'), w);
    const v = linear(h, p('self_attn.v_proj.weight'), p('self_attn.v_proj.bias'), w);
    const attn: Matrix = x.map(() => new Float64Array(w));
    for (let head = 0; head < heads; head++) {
      for (let i = 0; i < x.length; i++) {
        // Causal: query i sees keys 0..i.
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) s += (q[i]?.[head * d + c] ?? 0) * (k[j]?.[head * d + c] ?? 0);
          scores.push(s / Math.sqrt(d));
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) {
          for (let c = 0; c < d; c++) {
            const row = attn[i];
            if (row) row[head * d + c] = (row[head * d + c] ?? 0) + ((e[j] ?? 0) / z) * (v[j]?.[head * d + c] ?? 0);
          }
        }
      }
    }
    const o = linear(attn, p('self_attn.out_proj.weight'), p('self_attn.out_proj.bias'), w);
    x = x.map((row, t) => row.map((val, i) => val + (o[t]?.[i] ?? 0)));
    const h2 = layerNorm(x, p('layer_norm2.weight'), p('layer_norm2.bias'), config.layerNormEps);
    const f1 = linear(h2, p('mlp.fc1.weight'), p('mlp.fc1.bias'), config.intermediateSize).map((row) =>
      row.map((val) => activation(val, config.hiddenAct)),
    );
    const f2 = linear(f1, p('mlp.fc2.weight'), p('mlp.fc2.bias'), w);
    x = x.map((row, t) => row.map((val, i) => val + (f2[t]?.[i] ?? 0)));
  }
  const normed = layerNorm(
    x,
    get(weights, 'text_model.final_layer_norm.weight'),
    get(weights, 'text_model.final_layer_norm.bias'),
    config.layerNormEps,
  );
  const row = normed[eot];
  if (row === undefined) throw new Error('reference: EOT outside the sequence');
  const projected = linear([row], get(weights, 'text_projection.weight'), undefined, config.projectionDim)[0];
  if (projected === undefined) throw new Error('reference: projection failed');
  return projected;
}

/** Forward from token ids; the EOT row is the argmax of the ids. */
export function referenceTextFromIds(
  config: TfjsTextTowerConfig,
  weights: HostTensors,
  ids: readonly number[],
): Float64Array {
  const table = get(weights, 'text_model.embeddings.token_embedding.weight');
  const w = config.hiddenSize;
  const embeddings = ids.map((id) => Float64Array.from(table.subarray(id * w, (id + 1) * w)));
  const eot = ids.indexOf(Math.max(...ids));
  return referenceTextFromEmbeddings(config, weights, embeddings, eot);
}
