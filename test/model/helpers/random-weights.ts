/**
 * Small seeded random CLIP text weights in the Hugging Face naming, for tests that must not depend on other modules.
 * Scales are chosen so activations stay O(1) through a few layers (like a trained model), which keeps float32
 * comparisons meaningful.
 */
import { expectedTensorShapes, type ClipConfig } from '../../../src/main/engine/model/clip-config';
import type { TensorInput } from '../../../src/main/engine/model/safetensors';
import type { TfjsTextTowerConfig } from '../../../src/main/engine/model/text-tower-tfjs';

/** mulberry32: tiny, seedable, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededNormal(seed: number): () => number {
  const u = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export const tinyTextConfig: TfjsTextTowerConfig = {
  vocabSize: 49408,
  hiddenSize: 32,
  intermediateSize: 64,
  numLayers: 2,
  numHeads: 4,
  maxPositions: 77,
  hiddenAct: 'quick_gelu',
  layerNormEps: 1e-5,
  eosTokenId: 49407,
  bosTokenId: 49406,
  padTokenId: 0,
  projectionDim: 24,
};

export function randomTextWeights(config: TfjsTextTowerConfig, seed: number): Map<string, TensorInput> {
  const normal = seededNormal(seed);
  const out = new Map<string, TensorInput>();
  const put = (name: string, shape: number[], std: number, mean = 0): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    out.set(name, { shape, data });
  };
  const w = config.hiddenSize;
  const inner = config.intermediateSize;
  put('text_model.embeddings.token_embedding.weight', [config.vocabSize, w], 0.5);
  put('text_model.embeddings.position_embedding.weight', [config.maxPositions, w], 0.2);
  for (let i = 0; i < config.numLayers; i++) {
    const p = `text_model.encoder.layers.${i}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      put(`${p}.self_attn.${proj}.weight`, [w, w], 1 / Math.sqrt(w));
      put(`${p}.self_attn.${proj}.bias`, [w], 0.05);
    }
    put(`${p}.layer_norm1.weight`, [w], 0.1, 1);
    put(`${p}.layer_norm1.bias`, [w], 0.05);
    put(`${p}.layer_norm2.weight`, [w], 0.1, 1);
    put(`${p}.layer_norm2.bias`, [w], 0.05);
    put(`${p}.mlp.fc1.weight`, [inner, w], 1 / Math.sqrt(w));
    put(`${p}.mlp.fc1.bias`, [inner], 0.05);
    put(`${p}.mlp.fc2.weight`, [w, inner], 1 / Math.sqrt(inner));
    put(`${p}.mlp.fc2.bias`, [w], 0.05);
  }
  put('text_model.final_layer_norm.weight', [w], 0.1, 1);
  put('text_model.final_layer_norm.bias', [w], 0.05);
  put('text_projection.weight', [config.projectionDim, w], 1 / Math.sqrt(w));
  return out;
}

/** Random token sequences `SOT, body..., EOT` with body lengths in [minBody, maxBody], padded with 0 to `padTo`. */
export function randomIdSequences(
  count: number,
  seed: number,
  minBody: number,
  maxBody: number,
  padTo = 77,
): number[][] {
  const u = seededRandom(seed);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const len = minBody + Math.floor(u() * (maxBody - minBody + 1));
    const row = [49406];
    for (let j = 0; j < len; j++) row.push(1 + Math.floor(u() * 49405));
    row.push(49407);
    while (row.length < padTo) row.push(0);
    rows.push(row);
  }
  return rows;
}

/**
 * Vision weights for `config` at trained-model scale (names and shapes from the config), so that attention is peaked
 * and each image's features really depend on its pixels. Random N(0, 0.02) weights, as in the demo checkpoint, give
 * nearly uniform attention and nearly the same class token for every image, which would make a comparison weak.
 */
export function randomVisionWeights(config: ClipConfig, seed: number): Map<string, TensorInput> {
  const normal = seededNormal(seed);
  const out = new Map<string, TensorInput>();
  for (const { name, shape } of expectedTensorShapes(config, 'vision')) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    let draw: () => number;
    if (/(layrnorm|layernorm|layer_norm\d)\.weight$/.test(name)) draw = () => 1 + 0.1 * normal();
    else if (name.endsWith('.bias')) draw = () => 0.05 * normal();
    else if (name.includes('embedding') && !name.includes('patch')) draw = () => 0.5 * normal();
    // q and k larger than 1/√fan-in, so the attention is peaked rather than uniform.
    else if (/(q_proj|k_proj)\.weight$/.test(name)) draw = () => (2.5 / Math.sqrt(fanIn)) * normal();
    else draw = () => normal() / Math.sqrt(fanIn);
    out.set(name, { shape, data: Float32Array.from({ length: n }, draw) });
  }
  return out;
}
