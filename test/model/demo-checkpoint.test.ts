import { describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import {
  checkTensors,
  expectedTensorShapes,
  parseClipConfig,
  tensorTower,
  type ShapedTensor,
} from '../../src/main/engine/model/clip-config';
import { demoConfigJson, generateDemoCheckpoint } from '../../src/main/engine/model/demo-checkpoint';
import { Prng } from '../../src/main/engine/model/prng';

function badInputMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VipError);
    expect((err as VipError).code).toBe('bad_input');
    return (err as VipError).message;
  }
  throw new Error('expected a bad_input error');
}

describe('Prng', () => {
  it('repeats for a seed, differs between seeds, and gives roughly standard normals', () => {
    const a = new Prng(7).fillNormal(new Float32Array(20000));
    const b = new Prng(7).fillNormal(new Float32Array(20000));
    const c = new Prng(8).fillNormal(new Float32Array(20000));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const variance = a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(a.every(Number.isFinite)).toBe(true);
  });
});

describe('parseClipConfig', () => {
  it('fills Hugging Face defaults for absent fields', () => {
    const c = parseClipConfig({ model_type: 'clip' });
    expect(c.text).toEqual({
      vocabSize: 49408,
      hiddenSize: 512,
      intermediateSize: 2048,
      numLayers: 12,
      numHeads: 8,
      maxPositions: 77,
      hiddenAct: 'quick_gelu',
      layerNormEps: 1e-5,
      bosTokenId: 49406,
      eosTokenId: 49407,
      padTokenId: 0,
    });
    expect(c.vision).toEqual({
      imageSize: 224,
      patchSize: 32,
      numChannels: 3,
      hiddenSize: 768,
      intermediateSize: 3072,
      numLayers: 12,
      numHeads: 12,
      hiddenAct: 'quick_gelu',
      layerNormEps: 1e-5,
    });
    expect(c.projectionDim).toBe(512);
    expect(c.logitScaleInit).toBeCloseTo(2.6592);
  });

  it('reads an old-style OpenAI config (placeholder token ids, *_config_dict overrides)', () => {
    const c = parseClipConfig({
      architectures: ['CLIPModel'],
      model_type: 'clip',
      projection_dim: 768,
      text_config: { hidden_size: 512, bos_token_id: 0, eos_token_id: 2, pad_token_id: 1, hidden_act: 'quick_gelu' },
      text_config_dict: { hidden_size: 768, num_attention_heads: 12 },
      vision_config: { hidden_size: 1024, patch_size: 14, num_hidden_layers: 24, num_attention_heads: 16 },
    });
    expect(c.text.hiddenSize).toBe(768);
    expect(c.text.eosTokenId).toBe(49407);
    expect(c.text.bosTokenId).toBe(49406);
    expect(c.text.padTokenId).toBe(0);
    expect(c.vision.patchSize).toBe(14);
    expect(c.projectionDim).toBe(768);
  });

  it('rejects unsupported architectures naming the field', () => {
    expect(badInputMessage(() => parseClipConfig({ model_type: 'siglip' }, 'm/config.json'))).toMatch(
      /m\/config\.json: model_type "siglip" is not supported/,
    );
    expect(badInputMessage(() => parseClipConfig({ architectures: ['BertModel'] }))).toMatch(/architectures/);
    expect(badInputMessage(() => parseClipConfig({ model_type: 'clip', text_config: { hidden_act: 'relu' } }))).toMatch(
      /text_config\.hidden_act "relu" is not supported/,
    );
    expect(
      badInputMessage(() => parseClipConfig({ model_type: 'clip', vision_config: { layers: [3, 4, 6, 3] } })),
    ).toMatch(/ResNet/);
    expect(
      badInputMessage(() => parseClipConfig({ model_type: 'clip', vision_config: { hidden_size: 'big' } })),
    ).toMatch(/vision_config\.hidden_size/);
    expect(badInputMessage(() => parseClipConfig({ model_type: 'clip', vision_config: { image_size: 225 } }))).toMatch(
      /vision_config\.patch_size 32 does not divide image_size 225/,
    );
    expect(
      badInputMessage(() => parseClipConfig({ model_type: 'clip', text_config: { num_attention_heads: 7 } })),
    ).toMatch(/text_config\.num_attention_heads/);
    expect(badInputMessage(() => parseClipConfig([1, 2]))).toMatch(/config\.json/);
  });
});

describe('expectedTensorShapes / checkTensors', () => {
  const clip = parseClipConfig(demoConfigJson('vit-b32', 0));

  it('lists the Hugging Face names and shapes of ViT-B/32', () => {
    const shapes = new Map(expectedTensorShapes(clip).map((t) => [t.name, t.shape]));
    // 2 towers x 12 layers x 16 tensors + text 5 (embeddings 2, final LN 2, projection) + vision 8 + logit_scale
    expect(shapes.size).toBe(2 * 12 * 16 + 5 + 8 + 1);
    expect(shapes.get('text_model.embeddings.token_embedding.weight')).toEqual([49408, 512]);
    expect(shapes.get('text_model.encoder.layers.11.mlp.fc1.weight')).toEqual([2048, 512]);
    expect(shapes.get('text_projection.weight')).toEqual([512, 512]);
    expect(shapes.get('vision_model.embeddings.patch_embedding.weight')).toEqual([768, 3, 32, 32]);
    expect(shapes.get('vision_model.embeddings.position_embedding.weight')).toEqual([50, 768]);
    expect(shapes.get('vision_model.pre_layrnorm.bias')).toEqual([768]);
    expect(shapes.get('visual_projection.weight')).toEqual([512, 768]);
    expect(shapes.get('logit_scale')).toEqual([]);
    expect(expectedTensorShapes(clip, 'text').every((t) => tensorTower(t.name) === 'text')).toBe(true);
    expect(expectedTensorShapes(clip, 'vision').every((t) => tensorTower(t.name) === 'vision')).toBe(true);
    expect(
      expectedTensorShapes(clip)
        .filter((t) => tensorTower(t.name) === undefined)
        .map((t) => t.name),
    ).toEqual(['logit_scale']);
  });

  it('names the first missing or wrong-shaped tensor', () => {
    const tensors = new Map<string, ShapedTensor>(expectedTensorShapes(clip).map((t) => [t.name, { shape: t.shape }]));
    expect(() => checkTensors(clip, tensors)).not.toThrow();
    tensors.set('text_model.embeddings.position_ids', { shape: [1, 77] }); // extra: ignored
    expect(() => checkTensors(clip, tensors)).not.toThrow();
    tensors.set('text_model.encoder.layers.3.mlp.fc2.weight', { shape: [2048, 512] });
    expect(badInputMessage(() => checkTensors(clip, tensors, 'all', 'model.safetensors'))).toBe(
      'model.safetensors: tensor "text_model.encoder.layers.3.mlp.fc2.weight" has shape [2048, 512], expected [512, 2048]',
    );
    tensors.delete('vision_model.post_layernorm.weight');
    expect(() => checkTensors(clip, tensors, 'vision')).toThrow(/"vision_model.post_layernorm.weight" is missing/);
  });
});

describe('generateDemoCheckpoint', () => {
  it('tiny: valid shapes, HF-like init, deterministic bit for bit, seed-dependent', () => {
    const a = generateDemoCheckpoint({ preset: 'tiny', seed: 1 });
    const b = generateDemoCheckpoint({ preset: 'tiny', seed: 1 });
    const c = generateDemoCheckpoint({ preset: 'tiny', seed: 2 });
    const clip = parseClipConfig(a.config);
    expect(clip.vision).toMatchObject({ imageSize: 224, patchSize: 32, hiddenSize: 64, numLayers: 2, numHeads: 4 });
    expect(clip.text).toMatchObject({ vocabSize: 49408, hiddenSize: 64, maxPositions: 77, intermediateSize: 256 });
    expect(clip.projectionDim).toBe(64);
    checkTensors(clip, a.tensors);
    for (const [name, t] of a.tensors) {
      const other = b.tensors.get(name);
      expect(Buffer.from(t.data.buffer).equals(Buffer.from(other?.data.buffer ?? new ArrayBuffer(0)))).toBe(true);
    }
    const tok = a.tensors.get('text_model.embeddings.token_embedding.weight')?.data ?? new Float32Array();
    const tokOther = c.tensors.get('text_model.embeddings.token_embedding.weight')?.data ?? new Float32Array();
    expect(Buffer.from(tok.buffer).equals(Buffer.from(tokOther.buffer))).toBe(false);
    const std = Math.sqrt(tok.reduce((s, x) => s + x * x, 0) / tok.length);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(a.tensors.get('vision_model.encoder.layers.1.layer_norm2.weight')?.data.every((x) => x === 1)).toBe(true);
    expect(a.tensors.get('vision_model.pre_layrnorm.weight')?.data.every((x) => x === 1)).toBe(true);
    expect(a.tensors.get('text_model.encoder.layers.0.mlp.fc1.bias')?.data.every((x) => x === 0)).toBe(true);
    expect(Math.exp(a.tensors.get('logit_scale')?.data[0] ?? 0)).toBeCloseTo(100, 3);
  });

  it('one tower alone has the same values as the full checkpoint', () => {
    const full = generateDemoCheckpoint({ preset: 'tiny', seed: 3 });
    const text = generateDemoCheckpoint({ preset: 'tiny', seed: 3, towers: 'text' });
    expect([...text.tensors.keys()].some((n) => n.startsWith('vision'))).toBe(false);
    const name = 'text_model.encoder.layers.1.self_attn.q_proj.weight';
    expect(Array.from(text.tensors.get(name)?.data ?? [])).toEqual(Array.from(full.tensors.get(name)?.data ?? []));
  });

  it('the real-size presets have the real CLIP shapes', () => {
    const l14 = parseClipConfig(demoConfigJson('vit-l14', 0));
    expect(l14.vision).toMatchObject({ patchSize: 14, hiddenSize: 1024, numLayers: 24, numHeads: 16 });
    expect(l14.text).toMatchObject({ hiddenSize: 768, numLayers: 12, numHeads: 12 });
    expect(l14.projectionDim).toBe(768);
    expect(parseClipConfig(demoConfigJson('vit-b16', 0)).vision.patchSize).toBe(16);
  });

  it('rejects a bad preset or seed', () => {
    expect(badInputMessage(() => generateDemoCheckpoint({ preset: 'huge' as 'tiny', seed: 0 }))).toMatch(/huge/);
    expect(badInputMessage(() => generateDemoCheckpoint({ preset: 'tiny', seed: -1 }))).toMatch(/seed/);
  });
});
