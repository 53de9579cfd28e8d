/**
 * The deterministic demo CLIP: a Hugging Face CLIPModel config.json and random weights with the real CLIP layout,
 * so the whole pipeline (tokenizer, preprocessing, ONNX towers, training) runs without downloading anything. The
 * weights are random: the demo's predictions mean nothing, and packages built from it say so.
 *
 * Each tensor draws from its own stream seeded by (seed, tensor name), so a tensor's values do not depend on which
 * other tensors are generated: the text and vision towers can be generated one after the other for big presets.
 */
import { badInput } from '@shared/errors';
import { expectedTensorShapes, parseClipConfig, type ClipConfig, type TowerSelection } from './clip-config';
import { Prng } from './prng';
import type { TensorInput } from './safetensors';

export const demoPresets = ['tiny', 'vit-b32', 'vit-b16', 'vit-l14'] as const;
export type DemoPreset = (typeof demoPresets)[number];

/** What ViP uses: exp(logit_scale) = 100. */
export const demoLogitScale = Math.log(100);
const initStd = 0.02;

interface TowerSizes {
  width: number;
  layers: number;
  heads: number;
  mlp: number;
}

interface PresetSizes {
  imageSize: number;
  patchSize: number;
  vision: TowerSizes;
  text: TowerSizes;
  projectionDim: number;
}

const presetSizes: Record<DemoPreset, PresetSizes> = {
  // Real CLIP input size and patching, so the real preprocessing is exercised, but a tiny transformer.
  tiny: {
    imageSize: 224,
    patchSize: 32,
    vision: { width: 64, layers: 2, heads: 4, mlp: 256 },
    text: { width: 64, layers: 2, heads: 4, mlp: 256 },
    projectionDim: 64,
  },
  'vit-b32': {
    imageSize: 224,
    patchSize: 32,
    vision: { width: 768, layers: 12, heads: 12, mlp: 3072 },
    text: { width: 512, layers: 12, heads: 8, mlp: 2048 },
    projectionDim: 512,
  },
  'vit-b16': {
    imageSize: 224,
    patchSize: 16,
    vision: { width: 768, layers: 12, heads: 12, mlp: 3072 },
    text: { width: 512, layers: 12, heads: 8, mlp: 2048 },
    projectionDim: 512,
  },
  'vit-l14': {
    imageSize: 224,
    patchSize: 14,
    vision: { width: 1024, layers: 24, heads: 16, mlp: 4096 },
    text: { width: 768, layers: 12, heads: 12, mlp: 3072 },
    projectionDim: 768,
  },
};

export function isDemoPreset(value: string): value is DemoPreset {
  return (demoPresets as readonly string[]).includes(value);
}

/** The Hugging Face config.json object of a demo preset (what a real CLIPModel folder would hold). */
export function demoConfigJson(preset: DemoPreset, seed: number): Record<string, unknown> {
  const s = presetSizes[preset];
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: s.projectionDim,
    logit_scale_init_value: demoLogitScale,
    initializer_factor: 1.0,
    torch_dtype: 'float32',
    text_config: {
      model_type: 'clip_text_model',
      vocab_size: 49408,
      hidden_size: s.text.width,
      intermediate_size: s.text.mlp,
      num_hidden_layers: s.text.layers,
      num_attention_heads: s.text.heads,
      max_position_embeddings: 77,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      projection_dim: s.projectionDim,
      bos_token_id: 49406,
      eos_token_id: 49407,
      pad_token_id: 1,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      image_size: s.imageSize,
      patch_size: s.patchSize,
      num_channels: 3,
      hidden_size: s.vision.width,
      intermediate_size: s.vision.mlp,
      num_hidden_layers: s.vision.layers,
      num_attention_heads: s.vision.heads,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      projection_dim: s.projectionDim,
    },
    vip_demo: { preset, seed, warning: 'random weights, not for clinical use' },
  };
}

export interface DemoCheckpointOptions {
  preset: DemoPreset;
  seed: number;
  /** Generate only one tower (its tensors are identical to those of a full checkpoint). Default 'all'. */
  towers?: TowerSelection;
}

export interface DemoCheckpoint {
  /** The Hugging Face config.json object. */
  config: Record<string, unknown>;
  /** The same config, normalised. */
  clip: ClipConfig;
  tensors: Map<string, TensorInput>;
}

/**
 * Hugging Face-like initialisation: biases 0, LayerNorm weight 1, logit_scale ln(100), everything else N(0, 0.02).
 * Deterministic bit for bit for a (seed, name).
 */
export function demoTensorValues(name: string, shape: readonly number[], seed: number): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (name === 'logit_scale') return data.fill(demoLogitScale);
  if (name.endsWith('.bias')) return data;
  if (/(layer_norm\d?|layrnorm|layernorm)\.weight$/.test(name)) return data.fill(1);
  return new Prng(`${seed >>> 0}:${name}`).fillNormal(data, initStd);
}

/** Throws badInput for an unknown preset or a seed outside 0..2³²-1. */
export function checkDemoOptions(preset: string, seed: number): void {
  if (!isDemoPreset(preset)) throw badInput(`unknown demo preset "${preset}" (${demoPresets.join(', ')})`);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw badInput(`demo seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
}

export function generateDemoCheckpoint(options: DemoCheckpointOptions): DemoCheckpoint {
  const { preset, seed } = options;
  checkDemoOptions(preset, seed);
  const config = demoConfigJson(preset, seed);
  const clip = parseClipConfig(config, `demo preset ${preset}`);
  const tensors = new Map<string, TensorInput>();
  for (const { name, shape } of expectedTensorShapes(clip, options.towers ?? 'all')) {
    tensors.set(name, { shape, data: demoTensorValues(name, shape, seed) });
  }
  return { config, clip, tensors };
}
