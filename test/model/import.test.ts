import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { importHuggingFaceFolder } from '../../src/main/engine/model/import';
import { loadPackage } from '../../src/main/engine/model/package';
import { readSafetensors, writeSafetensors, type TensorInput } from '../../src/main/engine/model/safetensors';
import { openAiPreprocessorConfig, tinyCheckpoint, tinyHfFiles, writeTinyHfFolder } from './helpers/hub-checkpoint';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vip-import-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh checkpoint folder and an empty models folder. */
function fresh(): { folder: string; models: string } {
  counter++;
  const folder = writeTinyHfFolder(join(root, `ckpt-${counter}`));
  const models = join(root, `models-${counter}`);
  mkdirSync(models);
  return { folder, models };
}

async function importError(folder: string, models: string, id = 'broken'): Promise<VipError> {
  let caught: unknown;
  try {
    await importHuggingFaceFolder(folder, models, { id });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(VipError);
  const err = caught as VipError;
  expect(err.code).toBe('bad_input');
  expect(err.message).not.toContain('\n');
  // Nothing half-written: no package, no temporary folder.
  expect(readdirSync(models)).toEqual([]);
  return err;
}

function withTensors(mutate: (tensors: Map<string, TensorInput>) => void): Uint8Array {
  const tensors = new Map(tinyCheckpoint().tensors);
  mutate(tensors);
  return writeSafetensors(tensors);
}

describe('importHuggingFaceFolder', () => {
  it('imports a Hugging Face CLIPModel folder into a package that loads and holds the same weights', async () => {
    const { folder, models } = fresh();
    const before = readdirSync(folder).sort();
    const pkg = await importHuggingFaceFolder(folder, models, { id: 'tiny-hf' });
    expect(readdirSync(folder).sort()).toEqual(before);
    expect(pkg.manifest.id).toBe('tiny-hf');
    expect(pkg.manifest.randomWeights).toBe(false);
    expect(pkg.manifest.source.kind).toBe('huggingface-folder');
    expect(pkg.manifest.source.ref).toBe(folder);
    expect(pkg.manifest.preprocessing).toEqual({
      imageSize: 224,
      cropSize: 224,
      mean: openAiPreprocessorConfig.image_mean,
      std: openAiPreprocessorConfig.image_std,
      resample: 'bicubic',
    });
    expect(pkg.manifest.tokenizer).toMatchObject({ sotId: 49406, eotId: 49407, contextLength: 77 });
    expect(readdirSync(models)).toEqual(['tiny-hf']);

    const reloaded = await loadPackage(join(models, 'tiny-hf'));
    expect(reloaded.manifest.files['text.safetensors']?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const text = readSafetensors(reloaded.path('text.safetensors')).tensors;
    const original = tinyCheckpoint().tensors;
    for (const name of ['text_model.embeddings.token_embedding.weight', 'text_projection.weight']) {
      expect(Array.from(text.get(name)?.data ?? [])).toEqual(Array.from(original.get(name)?.data ?? []));
    }
    expect(readFileSync(reloaded.path('vocab.json'), 'utf8')).toBe(tinyHfFiles()['vocab.json']);
  });

  it('imports sharded weights and a tokenizer.json-only tokenizer, with non-default preprocessing', async () => {
    const { folder, models } = fresh();
    const all = [...tinyCheckpoint().tensors];
    const textPart = new Map(all.filter(([n]) => n.startsWith('text')));
    const rest = new Map(all.filter(([n]) => !n.startsWith('text')));
    unlinkSync(join(folder, 'model.safetensors'));
    writeFileSync(join(folder, 'model-00001-of-00002.safetensors'), writeSafetensors(textPart));
    writeFileSync(join(folder, 'model-00002-of-00002.safetensors'), writeSafetensors(rest));
    const weightMap: Record<string, string> = {};
    for (const n of textPart.keys()) weightMap[n] = 'model-00001-of-00002.safetensors';
    for (const n of rest.keys()) weightMap[n] = 'model-00002-of-00002.safetensors';
    writeFileSync(
      join(folder, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );

    const vocab = JSON.parse(readFileSync(join(folder, 'vocab.json'), 'utf8')) as Record<string, number>;
    const merges = readFileSync(join(folder, 'merges.txt'), 'utf8').trimEnd().split('\n').slice(1);
    writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab, merges } }));
    unlinkSync(join(folder, 'vocab.json'));
    unlinkSync(join(folder, 'merges.txt'));
    writeFileSync(
      join(folder, 'preprocessor_config.json'),
      JSON.stringify({
        ...openAiPreprocessorConfig,
        size: 224,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.25, 0.25, 0.25],
      }),
    );

    const pkg = await importHuggingFaceFolder(folder, models, { id: 'sharded' });
    expect(pkg.manifest.preprocessing).toMatchObject({
      imageSize: 224,
      cropSize: 224,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
    });
    const text = readSafetensors(pkg.path('text.safetensors')).tensors;
    const pos = 'text_model.embeddings.position_embedding.weight';
    expect(Array.from(text.get(pos)?.data ?? [])).toEqual(Array.from(tinyCheckpoint().tensors.get(pos)?.data ?? []));
    const savedVocab = JSON.parse(readFileSync(pkg.path('vocab.json'), 'utf8')) as Record<string, number>;
    expect(savedVocab).toEqual(vocab);
    expect(readFileSync(pkg.path('merges.txt'), 'utf8').trimEnd().split('\n').slice(1)).toEqual(merges);
  });

  it('refuses an id that exists or is not valid, leaving the existing package alone', async () => {
    const { folder, models } = fresh();
    await importHuggingFaceFolder(folder, models, { id: 'first' });
    await expect(importHuggingFaceFolder(folder, models, { id: 'first' })).rejects.toThrow(/already exists/);
    await expect(importHuggingFaceFolder(folder, models, { id: '../evil' })).rejects.toThrow(/not valid/);
    expect(readdirSync(models)).toEqual(['first']);
  });
});

describe('broken checkpoints: one clear line naming the file or field, nothing written', () => {
  it('a folder that does not exist', async () => {
    const models = fresh().models;
    expect((await importError(join(root, 'nowhere'), models)).message).toContain('is not a folder');
  });

  it('missing config.json', async () => {
    const { folder, models } = fresh();
    unlinkSync(join(folder, 'config.json'));
    expect((await importError(folder, models)).message).toMatch(/no config\.json/);
  });

  it('config.json that is not JSON', async () => {
    const { folder, models } = fresh();
    writeFileSync(join(folder, 'config.json'), '{"model_type": "clip",');
    expect((await importError(folder, models)).message).toMatch(/config\.json is not valid JSON/);
  });

  it('unsupported architecture, named', async () => {
    const { folder, models } = fresh();
    const config = JSON.parse(tinyHfFiles()['config.json']) as Record<string, unknown>;
    writeFileSync(
      join(folder, 'config.json'),
      JSON.stringify({ ...config, model_type: 'siglip', architectures: ['SiglipModel'] }),
    );
    expect((await importError(folder, models)).message).toMatch(/siglip/);
  });

  it('a ResNet CLIP, named', async () => {
    const { folder, models } = fresh();
    const config = JSON.parse(tinyHfFiles()['config.json']) as { vision_config: Record<string, unknown> };
    writeFileSync(
      join(folder, 'config.json'),
      JSON.stringify({ ...config, vision_config: { ...config.vision_config, layers: [3, 4, 6, 3] } }),
    );
    expect((await importError(folder, models)).message).toMatch(/ResNet/);
  });

  it('missing model.safetensors', async () => {
    const { folder, models } = fresh();
    unlinkSync(join(folder, 'model.safetensors'));
    expect((await importError(folder, models)).message).toMatch(/no model\.safetensors/);
  });

  it('pytorch_model.bin only: not supported, said so', async () => {
    const { folder, models } = fresh();
    unlinkSync(join(folder, 'model.safetensors'));
    writeFileSync(join(folder, 'pytorch_model.bin'), 'PK');
    const message = (await importError(folder, models)).message;
    expect(message).toContain('pytorch_model.bin');
    expect(message).toMatch(/not supported/);
  });

  it('an ONNX-only export: not supported yet, said so', async () => {
    const { folder, models } = fresh();
    unlinkSync(join(folder, 'model.safetensors'));
    mkdirSync(join(folder, 'onnx'));
    writeFileSync(join(folder, 'onnx', 'vision_model.onnx'), 'x');
    writeFileSync(join(folder, 'onnx', 'text_model.onnx'), 'x');
    expect((await importError(folder, models)).message).toMatch(/ONNX towers only.*not supported/);
  });

  it('a tensor with the wrong shape, named with both shapes', async () => {
    const { folder, models } = fresh();
    writeFileSync(
      join(folder, 'model.safetensors'),
      withTensors((t) => t.set('text_projection.weight', { shape: [32, 64], data: new Float32Array(32 * 64) })),
    );
    const message = (await importError(folder, models)).message;
    expect(message).toContain('model.safetensors');
    expect(message).toContain('"text_projection.weight" has shape [32, 64], expected [64, 64]');
  });

  it('a missing tensor, named', async () => {
    const { folder, models } = fresh();
    writeFileSync(
      join(folder, 'model.safetensors'),
      withTensors((t) => t.delete('vision_model.post_layernorm.bias')),
    );
    expect((await importError(folder, models)).message).toContain('"vision_model.post_layernorm.bias" is missing');
  });

  it('a truncated model.safetensors', async () => {
    const { folder, models } = fresh();
    const bytes = tinyHfFiles()['model.safetensors'];
    writeFileSync(join(folder, 'model.safetensors'), bytes.subarray(0, bytes.length - 4096));
    const message = (await importError(folder, models)).message;
    expect(message).toContain('model.safetensors');
    expect(message).toMatch(/truncated/);
  });

  it('a shard listed in the index but absent', async () => {
    const { folder, models } = fresh();
    unlinkSync(join(folder, 'model.safetensors'));
    const weightMap = Object.fromEntries(
      [...tinyCheckpoint().tensors.keys()].map((n) => [n, 'model-00001-of-00001.safetensors']),
    );
    writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    expect((await importError(folder, models)).message).toMatch(/model-00001-of-00001\.safetensors is missing/);
  });

  it('missing merges.txt', async () => {
    const { folder, models } = fresh();
    unlinkSync(join(folder, 'merges.txt'));
    expect((await importError(folder, models)).message).toMatch(/merges\.txt is missing/);
  });

  it('a vocab.json whose special ids disagree with config.json', async () => {
    const { folder, models } = fresh();
    const config = JSON.parse(tinyHfFiles()['config.json']) as { text_config: Record<string, unknown> };
    writeFileSync(
      join(folder, 'config.json'),
      JSON.stringify({ ...config, text_config: { ...config.text_config, vocab_size: 49000 } }),
    );
    expect((await importError(folder, models)).message).toMatch(/vocab\.json/);
  });

  it('a preprocessor crop that does not match the vision tower', async () => {
    const { folder, models } = fresh();
    writeFileSync(
      join(folder, 'preprocessor_config.json'),
      JSON.stringify({ ...openAiPreprocessorConfig, crop_size: 336 }),
    );
    const message = (await importError(folder, models)).message;
    expect(message).toContain('preprocessor_config.json: crop_size 336');
    expect(message).toContain('image_size 224');
  });

  it('a resize larger than the crop: not supported yet, said so', async () => {
    const { folder, models } = fresh();
    writeFileSync(
      join(folder, 'preprocessor_config.json'),
      JSON.stringify({ ...openAiPreprocessorConfig, size: { shortest_edge: 256 } }),
    );
    expect((await importError(folder, models)).message).toMatch(
      /preprocessor_config\.json: size 256 differs from the crop 224.*not supported/,
    );
  });

  it('a preprocessor std with a zero', async () => {
    const { folder, models } = fresh();
    writeFileSync(
      join(folder, 'preprocessor_config.json'),
      JSON.stringify({ ...openAiPreprocessorConfig, image_std: [0.2, 0, 0.2] }),
    );
    expect((await importError(folder, models)).message).toContain('preprocessor_config.json: image_std');
  });
});
