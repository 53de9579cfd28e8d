import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { clipTokenizerFiles } from '../../src/main/engine/model/bpe-files';
import { parseClipConfig } from '../../src/main/engine/model/clip-config';
import { generateDemoCheckpoint } from '../../src/main/engine/model/demo-checkpoint';
import {
  createDemoPackage,
  listPackages,
  loadPackage,
  packageFiles,
  writePackage,
  type ModelPackage,
} from '../../src/main/engine/model/package';
import { readSafetensors } from '../../src/main/engine/model/safetensors';

let root: string;
let pkg: ModelPackage;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-pkg-'));
  pkg = await createDemoPackage(join(root, 'a'), { id: 'demo-tiny', preset: 'tiny', seed: 0 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function badInputMessage(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VipError);
    expect((err as VipError).code).toBe('bad_input');
    return (err as VipError).message;
  }
  throw new Error('expected a bad_input error');
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A copy of the demo package in its own models folder, for tests that damage it. */
function copyOfDemo(name: string): string {
  const modelsDir = join(root, name);
  const dir = join(modelsDir, 'demo-tiny');
  mkdirSync(dir, { recursive: true });
  for (const file of [...packageFiles, 'manifest.json'])
    writeFileSync(join(dir, file), readFileSync(join(pkg.dir, file)));
  return dir;
}

describe('createDemoPackage', () => {
  it('writes every file with its checksum and a manifest that says what it is', () => {
    const m = pkg.manifest;
    expect(m.formatVersion).toBe(1);
    expect(m.id).toBe('demo-tiny');
    expect(m.source).toEqual({ kind: 'demo', ref: 'demo:tiny:0' });
    expect(m.randomWeights).toBe(true);
    expect(m.warning).toBe('random weights, not for clinical use');
    expect(m.architecture).toEqual(
      parseClipConfig(generateDemoCheckpoint({ preset: 'tiny', seed: 0, towers: 'text' }).config),
    );
    expect(m.preprocessing).toEqual({
      imageSize: 224,
      cropSize: 224,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
      resample: 'bicubic',
    });
    expect(m.tokenizer).toEqual({ contextLength: 77, sotId: 49406, eotId: 49407, padId: 0 });
    expect(Object.keys(m.files).sort()).toEqual([...packageFiles].sort());
    for (const name of packageFiles) {
      expect(m.files[name]?.sha256).toBe(sha256(pkg.path(name)));
      expect(m.files[name]?.bytes).toBe(statSync(pkg.path(name)).size);
    }
    expect(readFileSync(pkg.path('vocab.json'), 'utf8')).toBe(clipTokenizerFiles().vocabJson);
    // Nothing left behind but the package itself.
    expect(readdirSync(join(root, 'a'))).toEqual(['demo-tiny']);
  });

  it('text.safetensors holds exactly the text tower and projection, with the generated values', () => {
    const { tensors } = readSafetensors(pkg.path('text.safetensors'));
    const demo = generateDemoCheckpoint({ preset: 'tiny', seed: 0, towers: 'text' });
    expect([...tensors.keys()].sort()).toEqual([...demo.tensors.keys()].sort());
    const name = 'text_model.encoder.layers.1.self_attn.v_proj.weight';
    expect(Array.from(tensors.get(name)?.data ?? [])).toEqual(Array.from(demo.tensors.get(name)?.data ?? []));
  });

  it('is reproducible: the same preset and seed give byte-identical files', async () => {
    const again = await createDemoPackage(join(root, 'b'), { id: 'demo-tiny', preset: 'tiny', seed: 0 });
    for (const name of packageFiles) {
      expect(readFileSync(again.path(name)).equals(readFileSync(pkg.path(name)))).toBe(true);
    }
    const { createdAt: _a, ...first } = pkg.manifest;
    const { createdAt: _b, ...second } = again.manifest;
    expect(second).toEqual(first);
    const other = await createDemoPackage(join(root, 'b'), { id: 'demo-tiny-7', preset: 'tiny', seed: 7 });
    expect(other.manifest.files['image.onnx']?.sha256).not.toBe(pkg.manifest.files['image.onnx']?.sha256);
  });

  it('refuses an existing id unless asked to overwrite, and bad ids', async () => {
    const modelsDir = join(root, 'a');
    expect(
      await badInputMessage(() => createDemoPackage(modelsDir, { id: 'demo-tiny', preset: 'tiny', seed: 1 })),
    ).toMatch(/"demo-tiny" already exists/);
    const replaced = await createDemoPackage(join(root, 'c'), { id: 'demo-tiny', preset: 'tiny', seed: 0 });
    const over = await createDemoPackage(join(root, 'c'), {
      id: 'demo-tiny',
      preset: 'tiny',
      seed: 1,
      overwrite: true,
    });
    expect(over.manifest.source.ref).toBe('demo:tiny:1');
    expect(over.dir).toBe(replaced.dir);
    expect(readdirSync(join(root, 'c'))).toEqual(['demo-tiny']);
    for (const id of ['', '../x', '-x', 'a b', 'x'.repeat(65)]) {
      expect(await badInputMessage(() => createDemoPackage(modelsDir, { id, preset: 'tiny', seed: 0 }))).toMatch(
        /model package id/,
      );
    }
  });
});

describe('writePackage', () => {
  const demo = generateDemoCheckpoint({ preset: 'tiny', seed: 4 });
  const base = {
    config: demo.config,
    tensors: demo.tensors,
    tokenizerFiles: clipTokenizerFiles(),
    source: { kind: 'huggingface-folder' as const, ref: '/somewhere/clip' },
    randomWeights: false,
  };

  it('writes an imported model without the random-weights warning', async () => {
    const p = await writePackage(join(root, 'w'), 'imported', { ...base, name: 'Imported CLIP' });
    expect(p.manifest.randomWeights).toBe(false);
    expect(p.manifest.warning).toBeUndefined();
    expect(p.manifest.name).toBe('Imported CLIP');
  });

  it('leaves nothing behind when the weights do not fit the config', async () => {
    const modelsDir = join(root, 'w-broken');
    const tensors = new Map(demo.tensors);
    tensors.delete('vision_model.post_layernorm.bias');
    expect(await badInputMessage(() => writePackage(modelsDir, 'broken', { ...base, tensors }))).toMatch(
      /"vision_model\.post_layernorm\.bias" is missing/,
    );
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('rejects tokenizer files that are not CLIP and configs it cannot run', async () => {
    const modelsDir = join(root, 'w-bad');
    const noEot = JSON.stringify({ a: 0, '<|startoftext|>': 1 });
    expect(
      await badInputMessage(() =>
        writePackage(modelsDir, 'x', { ...base, tokenizerFiles: { vocabJson: noEot, mergesTxt: 'a b\n' } }),
      ),
    ).toMatch(/vocab\.json lacks <\|startoftext\|> or <\|endoftext\|>/);
    expect(
      await badInputMessage(() =>
        writePackage(modelsDir, 'x', { ...base, tokenizerFiles: { ...base.tokenizerFiles, vocabJson: '{' } }),
      ),
    ).toMatch(/vocab\.json is not valid JSON/);
    const config = { ...demo.config, vision_config: { hidden_act: 'relu' } };
    expect(await badInputMessage(() => writePackage(modelsDir, 'x', { ...base, config }))).toMatch(
      /vision_config\.hidden_act "relu" is not supported/,
    );
    expect(existsSync(modelsDir)).toBe(false);
  });
});

describe('loadPackage and listPackages', () => {
  it('loads a sound package', async () => {
    const dir = copyOfDemo('sound');
    const p = await loadPackage(dir);
    expect(p.manifest).toEqual(pkg.manifest);
    expect(p.path('image.onnx')).toBe(join(dir, 'image.onnx'));
  });

  it('rejects a missing file, naming it', async () => {
    const dir = copyOfDemo('missing');
    unlinkSync(join(dir, 'image.onnx'));
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(
      /"demo-tiny" is damaged or incomplete: image\.onnx is missing/,
    );
  });

  it('rejects a file whose content changed (same size)', async () => {
    const dir = copyOfDemo('changed');
    await loadPackage(dir); // writes the verified stamp
    const file = join(dir, 'text.onnx');
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const later = new Date(statSync(file).mtimeMs + 5000);
    utimesSync(file, later, later);
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(/text\.onnx does not match its checksum/);
  });

  it('trusts the stamp while size and mtime are unchanged, and re-hashes without it', async () => {
    const dir = copyOfDemo('stamp');
    await loadPackage(dir);
    const file = join(dir, 'merges.txt');
    const { atime, mtime } = statSync(file);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('#version', '#VERSION'));
    utimesSync(file, atime, mtime);
    await expect(loadPackage(dir)).resolves.toBeDefined();
    unlinkSync(join(dir, '.verified.json'));
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(/merges\.txt does not match its checksum/);
  });

  it('rejects a truncated text.safetensors', async () => {
    const dir = copyOfDemo('truncated');
    const file = join(dir, 'text.safetensors');
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(
      /text\.safetensors has 1000 bytes, the manifest says \d+ \(truncated or replaced\)/,
    );
  });

  it('rejects a missing or invalid manifest and a folder renamed away from its id', async () => {
    const dir = copyOfDemo('manifest');
    const manifest = readFileSync(join(dir, 'manifest.json'), 'utf8');
    writeFileSync(join(dir, 'manifest.json'), manifest.replace('"formatVersion": 1', '"formatVersion": 2'));
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(/formatVersion 2; this app reads version 1/);
    writeFileSync(join(dir, 'manifest.json'), manifest.replace('"resample": "bicubic"', '"resample": "nearest"'));
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(/manifest\.json field preprocessing\.resample/);
    writeFileSync(join(dir, 'manifest.json'), manifest.replace('"id": "demo-tiny"', '"id": "other"'));
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(/names id "other" but the folder is "demo-tiny"/);
    unlinkSync(join(dir, 'manifest.json'));
    expect(await badInputMessage(() => loadPackage(dir))).toMatch(/manifest\.json is missing/);
  });

  it('lists packages with their state, skipping temporary folders', async () => {
    const modelsDir = join(root, 'list');
    mkdirSync(join(modelsDir, '.tmp-x-123'), { recursive: true });
    mkdirSync(join(modelsDir, 'empty'));
    const good = copyOfDemo('list');
    const listing = await listPackages(modelsDir);
    expect(listing.map((l) => [l.id, l.ok])).toEqual([
      ['demo-tiny', true],
      ['empty', false],
    ]);
    expect(listing[0]?.dir).toBe(good);
    const bad = listing[1];
    expect(bad && !bad.ok ? bad.error : '').toMatch(/manifest\.json is missing/);
    expect(await listPackages(join(root, 'nowhere'))).toEqual([]);
  });
});
