/**
 * A small random CLIP text tower (real vocabulary size, so real token ids work; tiny width) on the tfjs cpu backend,
 * and the real tokenizer. Scales keep activations O(1) so float32 finite differences stay meaningful.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { clipTokenizerFiles } from '../../../src/main/engine/model/bpe-files';
import { Prng } from '../../../src/main/engine/model/prng';
import { initTfjs } from '../../../src/main/engine/model/tfjs-backend';
import type { TensorInput } from '../../../src/main/engine/model/safetensors';
import { TfjsTextTower, type TfjsTextTowerConfig } from '../../../src/main/engine/model/text-tower-tfjs';
import { ClipTokenizer } from '../../../src/main/engine/model/tokenizer';

export const tinyConfig: TfjsTextTowerConfig = {
  vocabSize: 49408,
  hiddenSize: 16,
  intermediateSize: 32,
  numLayers: 1,
  numHeads: 2,
  maxPositions: 77,
  hiddenAct: 'quick_gelu',
  layerNormEps: 1e-5,
  eosTokenId: 49407,
  bosTokenId: 49406,
  padTokenId: 1,
  projectionDim: 12,
};

/** The cpu backend (exact float32, no noise from fused kernels) unless VIP_TFJS_BACKEND picks another to check it. */
export async function useCpuBackend(): Promise<void> {
  if (process.env['VIP_TFJS_BACKEND']) {
    await initTfjs();
    return;
  }
  await tf.setBackend('cpu');
  await tf.ready();
}

export function randomTextWeights(config: TfjsTextTowerConfig, seed: number): Map<string, TensorInput> {
  const out = new Map<string, TensorInput>();
  const put = (name: string, shape: number[], std: number, mean = 0): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    new Prng(`${seed}:${name}`).fillNormal(data, std, mean);
    out.set(name, { shape, data });
  };
  const w = config.hiddenSize;
  const inner = config.intermediateSize;
  put('text_model.embeddings.token_embedding.weight', [config.vocabSize, w], 0.3);
  put('text_model.embeddings.position_embedding.weight', [config.maxPositions, w], 0.1);
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

export function tinyTower(seed = 1, config: TfjsTextTowerConfig = tinyConfig): TfjsTextTower {
  return new TfjsTextTower(config, randomTextWeights(config, seed));
}

let tokenizer: ClipTokenizer | undefined;
export function realTokenizer(): ClipTokenizer {
  if (!tokenizer) {
    const files = clipTokenizerFiles();
    tokenizer = ClipTokenizer.fromStrings(files.vocabJson, files.mergesTxt);
  }
  return tokenizer;
}

/** Seeded N(0, std) values. */
export function randomArray(n: number, seed: string, std = 1): Float32Array {
  return new Prng(seed).fillNormal(new Float32Array(n), std);
}
