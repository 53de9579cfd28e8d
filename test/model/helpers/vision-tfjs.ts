/**
 * An independent tfjs forward of the CLIP vision tower (ViT), written from VIP_METHOD.md §1 and the HF
 * CLIPVisionTransformer, for checking the ONNX vision graph. Plain and unoptimised on purpose: a 2-D convolution for
 * the patches, separate q/k/v projections, one head at a time, no mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipConfig } from '../../../src/main/engine/model/clip-config';
import type { HostTensors } from '../../../src/main/engine/model/text-tower-tfjs';

/** `[N, 3, S, S]` CLIP-preprocessed pixels (CHW, as the ONNX graph takes them) → `[N, E]` image features. */
export function visionForwardTfjs(
  config: ClipConfig,
  weights: HostTensors,
  pixels: Float32Array,
  n: number,
): Float32Array {
  const v = config.vision;
  const get = (name: string): tf.Tensor => {
    const t = weights.get(name);
    if (t === undefined) throw new Error(`vision reference: missing ${name}`);
    return tf.tensor(t.data, [...t.shape]);
  };
  const linear = (x: tf.Tensor2D, prefix: string, bias = true): tf.Tensor2D => {
    const y = tf.matMul<tf.Tensor2D>(x, get(`${prefix}.weight`), false, true); // x Wᵀ, W as [out, in]
    return bias ? (tf.add(y, get(`${prefix}.bias`)) as tf.Tensor2D) : y;
  };
  const layerNorm = (x: tf.Tensor2D, prefix: string): tf.Tensor2D => {
    const mean = tf.mean(x, 1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), 1, true);
    const normed = tf.div(centred, tf.sqrt(tf.add(variance, v.layerNormEps)));
    return tf.add(tf.mul(normed, get(`${prefix}.weight`)), get(`${prefix}.bias`));
  };
  const act = (x: tf.Tensor2D): tf.Tensor2D =>
    v.hiddenAct === 'quick_gelu'
      ? tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)))
      : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));

  return tf.tidy(() => {
    const s = v.imageSize;
    const p = v.patchSize;
    const grid = s / p;
    const w = v.hiddenSize;
    const d = w / v.numHeads;
    // NCHW → NHWC; HF conv weight [W, 3, p, p] → tfjs filter [p, p, 3, W].
    const images = tf.transpose(tf.tensor4d(pixels, [n, 3, s, s]), [0, 2, 3, 1]) as tf.Tensor4D;
    const filter = tf.transpose(get('vision_model.embeddings.patch_embedding.weight'), [2, 3, 1, 0]) as tf.Tensor4D;
    const patches = tf.reshape(tf.conv2d(images, filter, p, 'valid'), [n, grid * grid, w]);
    const cls = tf.tile(tf.reshape(get('vision_model.embeddings.class_embedding'), [1, 1, w]), [n, 1, 1]);
    const tokens = tf.add(tf.concat([cls, patches], 1), get('vision_model.embeddings.position_embedding.weight'));
    const t = grid * grid + 1;

    const out: tf.Tensor[] = [];
    for (let b = 0; b < n; b++) {
      let x = tf.reshape(tf.slice(tokens, [b, 0, 0], [1, t, w]), [t, w]) as tf.Tensor2D;
      x = layerNorm(x, 'vision_model.pre_layrnorm');
      for (let l = 0; l < v.numLayers; l++) {
        const pre = `vision_model.encoder.layers.${l}`;
        const h = layerNorm(x, `${pre}.layer_norm1`);
        const q = linear(h, `${pre}.self_attn.q_proj`);
        const k = linear(h, `${pre}.self_attn.k_proj`);
        const val = linear(h, `${pre}.self_attn.v_proj`);
        const heads: tf.Tensor2D[] = [];
        for (let head = 0; head < v.numHeads; head++) {
          const cols = (m: tf.Tensor2D): tf.Tensor2D => tf.slice(m, [0, head * d], [t, d]);
          const scores = tf.div(tf.matMul(cols(q), cols(k), false, true), Math.sqrt(d));
          heads.push(tf.matMul(tf.softmax(scores), cols(val)));
        }
        x = tf.add(x, linear(tf.concat(heads, 1), `${pre}.self_attn.out_proj`));
        const m = layerNorm(x, `${pre}.layer_norm2`);
        x = tf.add(x, linear(act(linear(m, `${pre}.mlp.fc1`)), `${pre}.mlp.fc2`));
      }
      const pooled = layerNorm(tf.slice(x, [0, 0], [1, w]), 'vision_model.post_layernorm');
      out.push(linear(pooled, 'visual_projection', false));
    }
    return tf.concat(out, 0).dataSync() as Float32Array;
  });
}
