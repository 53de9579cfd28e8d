/**
 * The CLIP vision tower (ViT) as ONNX: pixel_values float [N, 3, S, S] (already CLIP-preprocessed) ->
 * image_embeds float [N, E], the projected class token, not normalised.
 */
import { checkTensors, visionTokens, type ClipConfig } from '../clip-config';
import { GraphBuilder, int, ints } from './graph';
import { encoder, initializer, layerNorm, linear, type Weights } from './transformer';

export function buildVisionModel(config: ClipConfig, weights: Weights): Uint8Array {
  checkTensors(config, weights, 'vision', 'vision tower weights');
  const v = config.vision;
  const g = new GraphBuilder('clip_vision');
  const pixels = g.input('pixel_values', 'float', ['N', v.numChannels, v.imageSize, v.imageSize]);

  // Patches: a convolution with stride = kernel = patch size, no bias -> [N, W, g, g] -> [N, g², W].
  const p = v.patchSize;
  const conv = g.op(
    'Conv',
    [pixels, initializer(g, weights, 'vision_model.embeddings.patch_embedding.weight')],
    { kernel_shape: ints([p, p]), strides: ints([p, p]) },
    'patches',
  );
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.int64Const([0, 0, -1])])], { perm: ints([0, 2, 1]) });

  // Class token first: [W] viewed as [1, 1, W], broadcast to [N, 1, W].
  const classToken = initializer(g, weights, 'vision_model.embeddings.class_embedding', [1, 1, v.hiddenSize]);
  const batch = g.op('Shape', [pixels], { start: int(0), end: int(1) }, 'batch');
  const classTokens = g.op('Expand', [classToken, g.op('Concat', [batch, g.int64Const([1, 1])], { axis: int(0) })]);
  const tokens = g.op('Concat', [classTokens, patches], { axis: int(1) });
  const positions = initializer(g, weights, 'vision_model.embeddings.position_embedding.weight', [
    visionTokens(v),
    v.hiddenSize,
  ]);
  const x = layerNorm(g, weights, g.op('Add', [tokens, positions]), 'vision_model.pre_layrnorm', v.layerNormEps);

  const hidden = encoder(g, weights, x, {
    prefix: 'vision_model.encoder',
    numLayers: v.numLayers,
    hiddenSize: v.hiddenSize,
    numHeads: v.numHeads,
    hiddenAct: v.hiddenAct,
    layerNormEps: v.layerNormEps,
  });
  const classState = g.op('Gather', [hidden, g.int64Const([0], true)], { axis: int(1) }, 'class_state');
  const pooled = layerNorm(g, weights, classState, 'vision_model.post_layernorm', v.layerNormEps);
  g.output(linear(g, weights, pooled, 'visual_projection', false), 'image_embeds', 'float', [
    'N',
    config.projectionDim,
  ]);
  return g.encode({
    producer: 'vip-workstation',
    docString: 'CLIP vision tower (pixel_values)',
    metadata: {
      'vip.tower': 'vision',
      'vip.width': String(v.hiddenSize),
      'vip.layers': String(v.numLayers),
      'vip.image_size': String(v.imageSize),
      'vip.patch_size': String(v.patchSize),
      'vip.projection_dim': String(config.projectionDim),
    },
  });
}
