/**
 * Hugging Face `CLIPModel` config.json, normalised into the few numbers the engine needs, and the tensor names and
 * shapes that such a checkpoint must hold. Absent fields take the Hugging Face defaults (CLIPTextConfig,
 * CLIPVisionConfig, CLIPConfig), so a minimal config means what it means in `transformers`.
 */
import { z } from 'zod';
import { badInput } from '@shared/errors';

export const supportedActivations = ['quick_gelu', 'gelu'] as const;
export type HiddenAct = (typeof supportedActivations)[number];

export interface TextTowerConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  maxPositions: number;
  hiddenAct: HiddenAct;
  layerNormEps: number;
  eosTokenId: number;
  bosTokenId: number;
  padTokenId: number;
}

export interface VisionTowerConfig {
  imageSize: number;
  patchSize: number;
  numChannels: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  hiddenAct: HiddenAct;
  layerNormEps: number;
}

export interface ClipConfig {
  text: TextTowerConfig;
  vision: VisionTowerConfig;
  projectionDim: number;
  logitScaleInit: number;
}

export const clipConfigSchema: z.ZodType<ClipConfig> = z.object({
  text: z.object({
    vocabSize: z.number().int().positive(),
    hiddenSize: z.number().int().positive(),
    intermediateSize: z.number().int().positive(),
    numLayers: z.number().int().positive(),
    numHeads: z.number().int().positive(),
    maxPositions: z.number().int().positive(),
    hiddenAct: z.enum(supportedActivations),
    layerNormEps: z.number().positive(),
    eosTokenId: z.number().int().nonnegative(),
    bosTokenId: z.number().int().nonnegative(),
    padTokenId: z.number().int().nonnegative(),
  }),
  vision: z.object({
    imageSize: z.number().int().positive(),
    patchSize: z.number().int().positive(),
    numChannels: z.number().int().positive(),
    hiddenSize: z.number().int().positive(),
    intermediateSize: z.number().int().positive(),
    numLayers: z.number().int().positive(),
    numHeads: z.number().int().positive(),
    hiddenAct: z.enum(supportedActivations),
    layerNormEps: z.number().positive(),
  }),
  projectionDim: z.number().int().positive(),
  logitScaleInit: z.number(),
});

/** The original CLIP BPE vocabulary: 49,408 entries ending with <|startoftext|> and <|endoftext|>. */
export const clipVocabSize = 49408;
export const clipSotId = 49406;
export const clipEotId = 49407;
/** ViP and OpenAI CLIP pad with 0 after the EOT token (the causal mask makes the value irrelevant). */
export const clipPadId = 0;

const count = z.number().int().positive();
const rawText = z.looseObject({
  vocab_size: count.default(49408),
  hidden_size: count.default(512),
  intermediate_size: count.default(2048),
  num_hidden_layers: count.default(12),
  num_attention_heads: count.default(8),
  max_position_embeddings: count.default(77),
  hidden_act: z.string().default('quick_gelu'),
  layer_norm_eps: z.number().positive().default(1e-5),
  pad_token_id: z.number().int().nonnegative().nullable().default(1),
  bos_token_id: z.number().int().nonnegative().nullable().default(49406),
  eos_token_id: z.number().int().nonnegative().nullable().default(49407),
});
const rawVision = z.looseObject({
  image_size: count.default(224),
  patch_size: count.default(32),
  num_channels: count.default(3),
  hidden_size: count.default(768),
  intermediate_size: count.default(3072),
  num_hidden_layers: count.default(12),
  num_attention_heads: count.default(12),
  hidden_act: z.string().default('quick_gelu'),
  layer_norm_eps: z.number().positive().default(1e-5),
});
const rawConfig = z.looseObject({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  projection_dim: count.default(512),
  logit_scale_init_value: z.number().default(2.6592),
  text_config: z.record(z.string(), z.unknown()).nullable().optional(),
  vision_config: z.record(z.string(), z.unknown()).nullable().optional(),
  // Configs written by transformers < 4.24 keep overrides here; transformers lets them win.
  text_config_dict: z.record(z.string(), z.unknown()).nullable().optional(),
  vision_config_dict: z.record(z.string(), z.unknown()).nullable().optional(),
});

/**
 * Parses a CLIPModel config.json (already JSON-parsed) into a ClipConfig.
 * @param label how to name the source in errors (usually the file path)
 */
export function parseClipConfig(json: unknown, label = 'config.json'): ClipConfig {
  const top = rawConfig.safeParse(json);
  if (!top.success) throw badInput(`${label}: ${describeIssue(top.error, '')}`);
  const c = top.data;
  if (c.model_type !== undefined && c.model_type !== 'clip') {
    throw badInput(`${label}: model_type "${c.model_type}" is not supported (only "clip", a Hugging Face CLIPModel)`);
  }
  if (c.model_type === undefined && !(c.architectures ?? []).includes('CLIPModel')) {
    throw badInput(`${label}: model_type is missing and architectures does not name CLIPModel`);
  }
  if (c.architectures !== undefined && !c.architectures.includes('CLIPModel')) {
    throw badInput(`${label}: architectures ${JSON.stringify(c.architectures)} is not supported (needs CLIPModel)`);
  }
  const textIn = { ...(c.text_config ?? {}), ...(c.text_config_dict ?? {}) };
  const visionIn = { ...(c.vision_config ?? {}), ...(c.vision_config_dict ?? {}) };
  rejectResNet(visionIn, label);

  const t = rawText.safeParse(textIn);
  if (!t.success) throw badInput(`${label}: ${describeIssue(t.error, 'text_config.')}`);
  const v = rawVision.safeParse(visionIn);
  if (!v.success) throw badInput(`${label}: ${describeIssue(v.error, 'vision_config.')}`);
  const text = t.data;
  const vision = v.data;

  const textAct = activation(text.hidden_act, `${label}: text_config.hidden_act`);
  const visionAct = activation(vision.hidden_act, `${label}: vision_config.hidden_act`);
  divides(text.num_attention_heads, text.hidden_size, `${label}: text_config.num_attention_heads`, 'hidden_size');
  divides(vision.num_attention_heads, vision.hidden_size, `${label}: vision_config.num_attention_heads`, 'hidden_size');
  divides(vision.patch_size, vision.image_size, `${label}: vision_config.patch_size`, 'image_size');
  if (vision.num_channels !== 3) {
    throw badInput(`${label}: vision_config.num_channels ${vision.num_channels} is not supported (RGB models only)`);
  }

  return {
    text: {
      vocabSize: text.vocab_size,
      hiddenSize: text.hidden_size,
      intermediateSize: text.intermediate_size,
      numLayers: text.num_hidden_layers,
      numHeads: text.num_attention_heads,
      maxPositions: text.max_position_embeddings,
      hiddenAct: textAct,
      layerNormEps: text.layer_norm_eps,
      ...specialIds(text.bos_token_id, text.eos_token_id, text.pad_token_id, text.vocab_size),
    },
    vision: {
      imageSize: vision.image_size,
      patchSize: vision.patch_size,
      numChannels: vision.num_channels,
      hiddenSize: vision.hidden_size,
      intermediateSize: vision.intermediate_size,
      numLayers: vision.num_hidden_layers,
      numHeads: vision.num_attention_heads,
      hiddenAct: visionAct,
      layerNormEps: vision.layer_norm_eps,
    },
    projectionDim: c.projection_dim,
    logitScaleInit: c.logit_scale_init_value,
  };
}

/**
 * Configs written by older transformers carry placeholder ids (bos 0, eos 2, pad 1) that the model never used:
 * the real ones come from the CLIP vocabulary. With that vocabulary, use its SOT/EOT and ViP's padding 0.
 */
function specialIds(
  bos: number | null,
  eos: number | null,
  pad: number | null,
  vocabSize: number,
): Pick<TextTowerConfig, 'bosTokenId' | 'eosTokenId' | 'padTokenId'> {
  const legacy = eos === null || eos === 2 || bos === null || bos === 0;
  if (vocabSize === clipVocabSize && (legacy || (bos === clipSotId && eos === clipEotId))) {
    return { bosTokenId: clipSotId, eosTokenId: clipEotId, padTokenId: clipPadId };
  }
  return { bosTokenId: bos ?? 0, eosTokenId: eos ?? vocabSize - 1, padTokenId: pad ?? 0 };
}

function rejectResNet(vision: Record<string, unknown>, label: string): void {
  const type = vision['model_type'];
  if (typeof type === 'string' && type !== 'clip_vision_model') {
    throw badInput(`${label}: vision_config.model_type "${type}" is not supported (only the ViT backbone)`);
  }
  if (Array.isArray(vision['layers']) || Array.isArray(vision['vision_layers'])) {
    throw badInput(
      `${label}: vision_config describes a ResNet backbone (a list of layers); only ViT CLIP is supported`,
    );
  }
}

function activation(value: string, where: string): HiddenAct {
  if ((supportedActivations as readonly string[]).includes(value)) return value as HiddenAct;
  throw badInput(`${where} "${value}" is not supported (quick_gelu or gelu)`);
}

function divides(divisor: number, value: number, where: string, of: string): void {
  if (value % divisor !== 0) throw badInput(`${where} ${divisor} does not divide ${of} ${value}`);
}

function describeIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid config';
  const path = issue.path.map(String).join('.');
  return `${prefix}${path || '(root)'}: ${issue.message}`;
}

export interface TensorShape {
  name: string;
  shape: number[];
}

export type TowerSelection = 'text' | 'vision' | 'all';

function encoderLayerShapes(prefix: string, width: number, mlp: number, layers: number): TensorShape[] {
  const out: TensorShape[] = [];
  for (let i = 0; i < layers; i++) {
    const p = `${prefix}.encoder.layers.${i}`;
    for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
      out.push({ name: `${p}.self_attn.${proj}.weight`, shape: [width, width] });
      out.push({ name: `${p}.self_attn.${proj}.bias`, shape: [width] });
    }
    out.push({ name: `${p}.layer_norm1.weight`, shape: [width] }, { name: `${p}.layer_norm1.bias`, shape: [width] });
    out.push({ name: `${p}.mlp.fc1.weight`, shape: [mlp, width] }, { name: `${p}.mlp.fc1.bias`, shape: [mlp] });
    out.push({ name: `${p}.mlp.fc2.weight`, shape: [width, mlp] }, { name: `${p}.mlp.fc2.bias`, shape: [width] });
    out.push({ name: `${p}.layer_norm2.weight`, shape: [width] }, { name: `${p}.layer_norm2.bias`, shape: [width] });
  }
  return out;
}

/**
 * Which tower a Hugging Face CLIPModel tensor belongs to (projections included), or undefined (logit_scale).
 * Handy to read a big checkpoint one tower at a time: `readSafetensors(path, { only: (n) => tensorTower(n) === 'text' })`.
 */
export function tensorTower(name: string): 'text' | 'vision' | undefined {
  if (name.startsWith('text_model.') || name === 'text_projection.weight') return 'text';
  if (name.startsWith('vision_model.') || name === 'visual_projection.weight') return 'vision';
  return undefined;
}

/** Number of patch positions plus the class token. */
export function visionTokens(v: VisionTowerConfig): number {
  return (v.imageSize / v.patchSize) ** 2 + 1;
}

/**
 * Every tensor of a Hugging Face CLIPModel checkpoint with its shape, in the order the model uses them.
 * 'text' is the text tower plus `text_projection.weight` (what text.safetensors holds); 'vision' likewise;
 * 'all' adds `logit_scale`.
 */
export function expectedTensorShapes(config: ClipConfig, which: TowerSelection = 'all'): TensorShape[] {
  const { text: t, vision: v, projectionDim: e } = config;
  const out: TensorShape[] = [];
  if (which !== 'vision') {
    out.push(
      { name: 'text_model.embeddings.token_embedding.weight', shape: [t.vocabSize, t.hiddenSize] },
      { name: 'text_model.embeddings.position_embedding.weight', shape: [t.maxPositions, t.hiddenSize] },
      ...encoderLayerShapes('text_model', t.hiddenSize, t.intermediateSize, t.numLayers),
      { name: 'text_model.final_layer_norm.weight', shape: [t.hiddenSize] },
      { name: 'text_model.final_layer_norm.bias', shape: [t.hiddenSize] },
      { name: 'text_projection.weight', shape: [e, t.hiddenSize] },
    );
  }
  if (which !== 'text') {
    out.push(
      { name: 'vision_model.embeddings.class_embedding', shape: [v.hiddenSize] },
      {
        name: 'vision_model.embeddings.patch_embedding.weight',
        shape: [v.hiddenSize, v.numChannels, v.patchSize, v.patchSize],
      },
      { name: 'vision_model.embeddings.position_embedding.weight', shape: [visionTokens(v), v.hiddenSize] },
      { name: 'vision_model.pre_layrnorm.weight', shape: [v.hiddenSize] },
      { name: 'vision_model.pre_layrnorm.bias', shape: [v.hiddenSize] },
      ...encoderLayerShapes('vision_model', v.hiddenSize, v.intermediateSize, v.numLayers),
      { name: 'vision_model.post_layernorm.weight', shape: [v.hiddenSize] },
      { name: 'vision_model.post_layernorm.bias', shape: [v.hiddenSize] },
      { name: 'visual_projection.weight', shape: [e, v.hiddenSize] },
    );
  }
  if (which === 'all') out.push({ name: 'logit_scale', shape: [] });
  return out;
}

/** Anything with a shape: a safetensors Tensor or a tensor about to be written. */
export interface ShapedTensor {
  shape: readonly number[];
  data?: { length: number };
}

/**
 * Throws badInput naming the first tensor that is missing or has the wrong shape. Extra tensors (old checkpoints
 * carry `position_ids` buffers) are ignored.
 */
export function checkTensors(
  config: ClipConfig,
  tensors: ReadonlyMap<string, ShapedTensor>,
  which: TowerSelection = 'all',
  label = 'checkpoint',
): void {
  for (const { name, shape } of expectedTensorShapes(config, which)) {
    const t = tensors.get(name);
    if (!t) throw badInput(`${label}: tensor "${name}" is missing`);
    if (!sameShape(t.shape, shape)) {
      throw badInput(`${label}: tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (t.data !== undefined && t.data.length !== n) {
      throw badInput(`${label}: tensor "${name}" holds ${t.data.length} values, its shape needs ${n}`);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  // A scalar stored as [1] is the same thing as [] (some exporters write logit_scale that way).
  const norm = (s: readonly number[]) => (s.length === 1 && s[0] === 1 ? [] : s);
  const x = norm(a);
  const y = norm(b);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}
