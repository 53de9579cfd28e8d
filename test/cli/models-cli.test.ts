/**
 * `vip models ...` and `vip embed` through the built CLI (the build's steps on stderr, Ctrl-C during a build), plus
 * the registry functions and the `models.*` methods behind them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelPackageInfo } from '../../src/shared/contract';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { defaultPackageId, ensureDemoPackage, listModels, removeModel } from '../../src/main/engine/model/registry';
import { tinyHfFiles, writeTinyHfFolder } from '../model/helpers/hub-checkpoint';
import { startHubServer } from '../model/helpers/hub-server';
import { ensureBuiltCli, runVip, vipBin, type VipResult } from '../store/built-cli';

const MELANOMA = [49406, 320, 1125, 539, 320, 40862, 269, 49407];
const GROUND_GLASS = [49406, 2461, 268, 3313, 676, 546, 1480, 267, 273, 24148, 256, 49407];

let root: string;
let data: string;
let png: string;
let gray: string;
const vip = (...args: string[]) => runVip(['--data', data, ...args]);

interface EmbedJson {
  image_embeds: number[][];
  text_embeds: number[][];
  text_tokens: number[][];
}

function embedJson(r: VipResult): EmbedJson {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as EmbedJson;
}

beforeAll(async () => {
  ensureBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'vip-models-cli-'));
  data = join(root, 'data');
  png = join(root, 'lesion.png');
  gray = join(root, 'gray.png');
  await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 180, g: 60, b: 40 } } })
    .png()
    .toFile(png);
  await sharp({ create: { width: 64, height: 96, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .grayscale()
    .png()
    .toFile(gray);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vip models and vip embed (built CLI)', () => {
  it('create-demo builds the tiny demo and says it has random weights', () => {
    const r = vip('models', 'create-demo');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Model package "demo"');
    expect(r.stdout).toContain('WARNING       random weights, not for clinical use');
    expect(r.stderr).toContain('wrote image.onnx');
    // Each step of the build on stderr, in order, with the share of the build done when it began.
    const steps = r.stderr.split('\n').filter((l) => /^ {2}step \d\/6: /.test(l));
    expect(steps.map((l) => l.replace(/ \(\d+% of the build\)$/, ''))).toEqual([
      '  step 1/6: config and tokenizer',
      '  step 2/6: text tower weights',
      '  step 3/6: text tower graphs',
      '  step 4/6: image tower weights',
      '  step 5/6: image tower graph',
      '  step 6/6: checksums',
    ]);
    expect(steps[0]).toMatch(/\(0% of the build\)$/);
    expect(existsSync(join(data, 'models', 'demo', 'manifest.json'))).toBe(true);
  });

  it('Ctrl-C during a vit-b16 create-demo cancels it: one line, exit 2, nothing left, the id free again', async () => {
    const r = await interrupted(
      ['--data', data, 'models', 'create-demo', '--preset', 'vit-b16', '--id', 'big'],
      /step 3\/6/,
    );
    expect(r.interrupted, r.stderr).toBe(true);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('vip:'))).toEqual([
      'vip: Building the model package "big" was cancelled; nothing was installed',
    ]);
    expect(lines.at(-1)).toBe('vip: Building the model package "big" was cancelled; nothing was installed');
    expect(r.stdout).toBe('');
    expect(readdirSync(join(data, 'models')).filter((n) => n.includes('big'))).toEqual([]);
    const list = JSON.parse(vip('--json', 'models', 'list').stdout) as { packages: { id: string }[] };
    expect(list.packages.map((p) => p.id)).toEqual(['demo']);
  });

  it('list --json gives the packages and the default', () => {
    const r = vip('--json', 'models', 'list');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { packages: unknown[]; defaultId: string };
    const packages = result.packages.map((p) => ModelPackageInfo.parse(p));
    expect(packages.map((p) => p.id)).toEqual(['demo']);
    expect(packages[0]).toMatchObject({
      ok: true,
      randomWeights: true,
      sourceKind: 'demo',
      projectionDim: 64,
      contextLength: 77,
    });
    expect(result.defaultId).toBe('demo');
  });

  it('embed --json gives projected features in the order given and the token ids with SOT and EOT', () => {
    const out = embedJson(
      vip(
        'embed',
        '--model',
        'demo',
        '--image',
        png,
        '--image',
        gray,
        '--text',
        'a photo of a melanoma.',
        '--text',
        'Ground-glass opacities, 2 lobes!',
        '--json',
      ),
    );
    expect(out.text_tokens).toEqual([MELANOMA, GROUND_GLASS]);
    expect(out.image_embeds.length).toBe(2);
    expect(out.text_embeds.length).toBe(2);
    for (const v of [...out.image_embeds, ...out.text_embeds]) {
      expect(v.length).toBe(64);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(v.some((x) => x !== 0)).toBe(true);
    }
    // Not normalised: the random projection gives norms far from 1.
    const norm = (v: number[]) => Math.hypot(...v);
    expect(out.text_embeds.some((v) => Math.abs(norm(v) - 1) > 1e-3)).toBe(true);
    expect(out.image_embeds[0]).not.toEqual(out.image_embeds[1]);
    expect(out.text_embeds[0]).not.toEqual(out.text_embeds[1]);

    // Order follows the arguments: swapping them swaps the rows.
    const swapped = embedJson(
      vip(
        '--json',
        'embed',
        '--model',
        'demo',
        '--text',
        'Ground-glass opacities, 2 lobes!',
        '--text',
        'a photo of a melanoma.',
        '--image',
        gray,
      ),
    );
    expect(swapped.text_embeds[0]).toEqual(out.text_embeds[1]);
    expect(swapped.text_embeds[1]).toEqual(out.text_embeds[0]);
    expect(swapped.image_embeds[0]).toEqual(out.image_embeds[1]);
  });

  it('a text over 77 tokens exits 2 with one line naming it', () => {
    // "a" is one token (320 in the reference ids): 80 of them plus SOT and EOT make 82.
    const long = 'a '.repeat(80).trim();
    const r = vip('--json', 'embed', '--model', 'demo', '--text', long);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toBe(
      `vip: Text too long: "${long.slice(0, 60)}..." has 82 tokens with start and end; the text tower takes at most 77`,
    );
  });

  it('bad inputs exit 2 with one line: unknown model, unreadable image, nothing to embed, bad preset', () => {
    const cases: [string[], RegExp][] = [
      [['embed', '--model', 'nope', '--text', 'x'], /^vip: No model package "nope"/],
      [['embed', '--model', 'demo', '--image', join(root, 'missing.png')], /^vip: Cannot read image .*missing\.png/],
      [['embed', '--model', 'demo'], /^vip: Give at least one --image or --text/],
      [['models', 'import', root, '--id', 'x'], /^vip: .* has no config\.json/],
      [['models', 'remove', 'nope'], /^vip: No model package "nope"/],
    ];
    for (const [args, pattern] of cases) {
      const r = vip(...args);
      expect(r.status, args.join(' ')).toBe(2);
      const errorLines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('vip:'));
      expect(errorLines.length, args.join(' ')).toBe(1);
      expect(errorLines[0]).toMatch(pattern);
    }
    const usage = vip('models', 'create-demo', '--preset', 'huge');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/huge.*invalid/);
  });

  it('import of a Hugging Face folder becomes the default and gives the same features as the same weights built as the demo', () => {
    const folder = writeTinyHfFolder(join(root, 'hf-tiny'));
    const imported = vip('--json', 'models', 'import', folder, '--id', 'tiny-hf');
    expect(imported.status).toBe(0);
    expect(imported.stderr).toMatch(/^ {2}step 4\/6: image tower weights \(\d+% of the build\)$/m);
    expect(ModelPackageInfo.parse(JSON.parse(imported.stdout))).toMatchObject({
      id: 'tiny-hf',
      randomWeights: false,
      sourceKind: 'huggingface-folder',
    });

    const list = JSON.parse(vip('--json', 'models', 'list').stdout) as { defaultId: string };
    expect(list.defaultId).toBe('tiny-hf');
    // The tiny checkpoint is the demo generator's output for seed 0: both paths must give the same numbers.
    const viaDefault = embedJson(vip('--json', 'embed', '--image', png, '--text', 'a photo of a melanoma.'));
    const viaDemo = embedJson(
      vip('--json', 'embed', '--model', 'demo', '--image', png, '--text', 'a photo of a melanoma.'),
    );
    expect(viaDefault).toEqual(viaDemo);
  });

  it('fetch downloads from the hub endpoint with progress on stderr', async () => {
    const server = await startHubServer('openai/clip-tiny', { ...tinyHfFiles() });
    try {
      const r = await runVipAsync(['--data', data, 'models', 'fetch', 'openai/clip-tiny', '--id', 'fetched'], {
        HF_ENDPOINT: server.endpoint,
      });
      expect(r.stderr).toMatch(/\[\d\/\d\] model\.safetensors: .* \(100%\)/);
      expect(r.stderr).toMatch(/model\.safetensors: sha256 [0-9a-f]{64} \(matches the hub\)/);
      expect(r.stderr).toMatch(/^ {2}step 6\/6: checksums \(\d+% of the build\)$/m);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Model package "fetched"');
      expect(r.stdout).toContain('huggingface-hub openai/clip-tiny');
    } finally {
      await server.close();
    }
  });

  it('remove deletes the package', () => {
    const r = vip('models', 'remove', 'fetched');
    expect(r.status).toBe(0);
    expect(existsSync(join(data, 'models', 'fetched'))).toBe(false);
    const list = JSON.parse(vip('--json', 'models', 'list').stdout) as { packages: { id: string }[] };
    expect(list.packages.map((p) => p.id)).toEqual(['demo', 'tiny-hf']);
  });
});

/** Starts the CLI, sends SIGINT once stderr matches `when`, and waits for it to end. */
function interrupted(args: string[], when: RegExp): Promise<VipResult & { interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['VIP_DATA_DIR'];
    delete env['VIP_DEBUG'];
    const child = spawn(process.execPath, [vipBin, ...args], { env });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, interrupted: sent }));
  });
}

/** The CLI in a child process without blocking this one's event loop (the hub server lives here). */
function runVipAsync(args: string[], env: Record<string, string>): Promise<VipResult> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    delete childEnv['VIP_DATA_DIR'];
    const child = spawn(process.execPath, [vipBin, ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('registry', () => {
  let models: string;
  beforeAll(() => {
    models = join(root, 'registry-models');
    mkdirSync(models);
  });

  it('ensureDemoPackage creates the tiny demo only when no package exists', async () => {
    expect(await defaultPackageId(models)).toBe('demo');
    expect(await ensureDemoPackage(models)).toEqual(['demo']);
    const listed = await listModels(models);
    expect(listed.map((p) => p.id)).toEqual(['demo']);
    const demo = listed[0];
    expect(demo?.ok && demo.manifest.source.ref).toBe('demo:tiny:0');
    // A second call finds it and creates nothing.
    expect(await ensureDemoPackage(models)).toEqual(['demo']);
    await createDemoPackage(models, { id: 'another', preset: 'tiny', seed: 1 });
    await removeModel(models, 'demo');
    expect(await ensureDemoPackage(models)).toEqual(['another']);
    expect(existsSync(join(models, 'demo'))).toBe(false);
  });

  it('defaultPackageId prefers real weights, else the demo, else any usable package; damaged packages are listed, not chosen', async () => {
    const folder = writeTinyHfFolder(join(root, 'hf-registry'));
    const { importHuggingFaceFolder } = await import('../../src/main/engine/model/import');
    await importHuggingFaceFolder(folder, models, { id: 'zz-real' });
    mkdirSync(join(models, 'aa-broken'));
    writeFileSync(join(models, 'aa-broken', 'manifest.json'), '{');
    expect(await defaultPackageId(models)).toBe('zz-real');
    const broken = (await listModels(models)).find((p) => p.id === 'aa-broken');
    expect(broken?.ok).toBe(false);
    await removeModel(models, 'aa-broken');
    await removeModel(models, 'zz-real');
    // Neither real weights nor `demo` installed: the one usable package, never a missing id.
    expect(await defaultPackageId(models)).toBe('another');
    expect(readdirSync(models)).toEqual(['another']);
  });

  it('remove refuses ids that are not package ids', async () => {
    await expect(removeModel(models, '../registry-models')).rejects.toThrow(/not valid/);
    await expect(removeModel(models, 'absent')).rejects.toThrow(/No model package "absent"/);
  });
});

describe('models.* through the engine contract', () => {
  it('createDemo, import, list and remove validate their params and results', async () => {
    const { Engine } = await import('../../src/main/engine/engine');
    const engine = Engine.open({ dataDir: join(root, 'engine-data'), transport: 'cli' });
    // createDemo and import answer with a job at once; the package is there once its finished event says so.
    const finished = (jobId: number) =>
      new Promise<string | undefined>((resolve) => {
        const off = engine.events.on('models.jobProgress', (e) => {
          if (e.jobId !== jobId || e.phase !== 'finished') return;
          off();
          resolve(e.status);
        });
      });
    try {
      const demo = await engine.call('models.createDemo', {});
      expect(demo).toEqual({ jobId: expect.any(Number) as number, packageId: 'demo' });
      expect(await finished(demo.jobId)).toBe('completed');
      const folder = writeTinyHfFolder(join(root, 'hf-engine'));
      const imported = await engine.call('models.import', { folder, id: 'real' });
      expect(imported.packageId).toBe('real');
      expect(await finished(imported.jobId)).toBe('completed');
      const list = await engine.call('models.list', {});
      expect(list.packages.map((p) => p.id)).toEqual(['demo', 'real']);
      expect(list.packages.find((p) => p.id === 'demo')).toMatchObject({
        ok: true,
        randomWeights: true,
        sourceRef: 'demo:tiny:0',
      });
      expect(list.packages.find((p) => p.id === 'real')).toMatchObject({
        randomWeights: false,
        sourceKind: 'huggingface-folder',
        sourceRef: folder,
      });
      expect(list.defaultId).toBe('real');
      await expect(engine.invoke('models.remove', { id: '../x' })).rejects.toThrow();
      await expect(engine.invoke('models.createDemo', { preset: 'huge' })).rejects.toThrow();
      expect(await engine.call('models.remove', { id: 'real' })).toEqual({ removed: 'real' });
      expect((await engine.call('models.list', {})).defaultId).toBe('demo');
    } finally {
      engine.close();
    }
  });
});
