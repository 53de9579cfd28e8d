/**
 * The CLIP text tower as ONNX.
 *
 * text.onnx:        input_ids int64 [N, L]            -> text_embeds float [N, E]
 * text-embeds.onnx: inputs_embeds float [N, L, W],
 *                   eot_index int64 [N]               -> text_embeds float [N, E]
 *
 * L may be anything up to max_position_embeddings. The features are the projected EOT rows, not normalised (MeP
 * works on the raw symptom features). The second form takes token embeddings already looked up, so the ViP context
 * prompt can replace those at positions 1..M; position embeddings are added inside, as in the first.
 */
import { checkTensors, type ClipConfig } from '../clip-config';
import { GraphBuilder, int, type Dim } from './graph';
import { encoder, initializer, layerNorm, linear, type Weights } from './transformer';

const producer = 'vip-workstation';
const maskValue = -1e9;

/** The additive causal mask for the longest sequence: 0 on and below the diagonal, very negative above. */
function causalMask(size: number): Float32Array {
  const mask = new Float32Array(size * size);
  for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) mask[i * size + j] = maskValue;
  return mask;
}

/** [N, L, W] token embeddings (positions not yet added) -> [N, E] features at `eot` [N]. */
function textTower(g: GraphBuilder, config: ClipConfig, weights: Weights, tokens: string, eot: string, source: string) {
  const t = config.text;
  // L as a 1-D tensor [L], read from the input's shape.
  const length = g.op('Shape', [source], { start: int(1), end: int(2) }, 'seq_len');
  const zero = g.int64Const([0]);
  const positions = g.op('Slice', [
    initializer(g, weights, 'text_model.embeddings.position_embedding.weight'),
    zero,
    length,
    zero,
  ]);
  const x = g.op('Add', [tokens, positions], {}, 'embeddings');

  const mask = g.op('Slice', [
    g.floatInit('causal_mask', [t.maxPositions, t.maxPositions], causalMask(t.maxPositions)),
    g.int64Const([0, 0]),
    g.op('Concat', [length, length], { axis: int(0) }),
    g.int64Const([0, 1]),
  ]);
  const hidden = encoder(g, weights, x, {
    prefix: 'text_model.encoder',
    numLayers: t.numLayers,
    hiddenSize: t.hiddenSize,
    numHeads: t.numHeads,
    hiddenAct: t.hiddenAct,
    layerNormEps: t.layerNormEps,
    mask,
  });
  // Final LayerNorm acts row by row, so taking the EOT row first gives the same result with less work.
  const eotRows = g.op('GatherND', [hidden, g.op('Unsqueeze', [eot, g.int64Const([1])])], { batch_dims: int(1) });
  const pooled = layerNorm(g, weights, eotRows, 'text_model.final_layer_norm', t.layerNormEps);
  const embeds = linear(g, weights, pooled, 'text_projection', false);
  g.output(embeds, 'text_embeds', 'float', ['N', config.projectionDim]);
}

function describe(config: ClipConfig): Record<string, string> {
  const t = config.text;
  return {
    'vip.tower': 'text',
    'vip.width': String(t.hiddenSize),
    'vip.layers': String(t.numLayers),
    'vip.projection_dim': String(config.projectionDim),
    'vip.max_positions': String(t.maxPositions),
  };
}

/** input_ids [N, L] -> text_embeds [N, E]; the EOT position is the argmax of each row (EOT is the largest id). */
export function buildTextModel(config: ClipConfig, weights: Weights): Uint8Array {
  checkTensors(config, weights, 'text', 'text tower weights');
  const g = new GraphBuilder('clip_text');
  const dims: Dim[] = ['N', 'L'];
  const ids = g.input('input_ids', 'int64', dims);
  const tokens = g.op('Gather', [initializer(g, weights, 'text_model.embeddings.token_embedding.weight'), ids]);
  // ArgMax over int32 is supported by every onnxruntime build; ids fit easily.
  const eot = g.op('ArgMax', [g.op('Cast', [ids], { to: int(6) })], { axis: int(1), keepdims: int(0) }, 'eot');
  textTower(g, config, weights, tokens, eot, ids);
  return g.encode({ producer, docString: 'CLIP text tower (input_ids)', metadata: describe(config) });
}

/** inputs_embeds [N, L, W] + eot_index [N] -> text_embeds [N, E] (for the ViP context prompt). */
export function buildTextFromEmbeddingsModel(config: ClipConfig, weights: Weights): Uint8Array {
  checkTensors(config, weights, 'text', 'text tower weights');
  const g = new GraphBuilder('clip_text_from_embeddings');
  const embeds = g.input('inputs_embeds', 'float', ['N', 'L', config.text.hiddenSize]);
  const eot = g.input('eot_index', 'int64', ['N']);
  textTower(g, config, weights, embeds, eot, embeds);
  return g.encode({ producer, docString: 'CLIP text tower (inputs_embeds + eot_index)', metadata: describe(config) });
}
