/**
 * The CLI loads a library only on the code paths that need it (start-up time is the README's `vip predict` < 1 s
 * target; the timing itself is measured by `vip bench --cli-predict`, not here). Each case runs the built CLI
 * with a preload (fixtures/record-packages.mjs) that records every file loaded from node_modules, by the ESM loader
 * or by require, and checks which packages appear.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltCli, repoRoot, vipBin } from '../store/built-cli';

const recorder = join(repoRoot, 'test', 'cli', 'fixtures', 'record-packages.mjs');

/** Packages no start-up may load: each is only needed by commands that do not run here. */
const heavy = [
  'pdf-lib',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  'dcmjs',
  'dcmjs-codecs',
  'onnx-proto',
  'protobufjs',
  'ajv',
  'yazl',
  'ws',
  'dicomweb-client',
  'xhr2',
];

let root: string;
let data: string;
let run = 0;

let lastStdout = '';

/** Runs `vip <args>` and returns the node_modules packages it loaded (its stdout goes to `lastStdout`). */
function packagesLoaded(args: string[]): Set<string> {
  const log = join(root, `loaded-${++run}.txt`);
  writeFileSync(log, '');
  const env: NodeJS.ProcessEnv = { ...process.env, VIP_RECORD_PACKAGES: log };
  delete env['VIP_DEBUG'];
  const r = spawnSync(process.execPath, ['--import', recorder, vipBin, '--data', data, ...args], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`vip ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  lastStdout = r.stdout;
  const packages = new Set<string>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (m?.[1]) packages.add(m[1]);
  }
  return packages;
}

beforeAll(() => {
  ensureBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'vip-lazy-'));
  data = join(root, 'data');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the CLI loads libraries on first use', () => {
  it('the recorder sees packages at all (so the absences below mean something)', () => {
    const loaded = packagesLoaded(['-V']);
    expect(loaded.has('commander')).toBe(true);
  });

  it('`vip -V` loads no engine library (SQLite aside: the command frame opens the store)', () => {
    const loaded = packagesLoaded(['-V']);
    for (const name of [...heavy, 'onnxruntime-node', 'sharp', 'dicom-parser']) {
      expect(loaded.has(name), name).toBe(false);
    }
  });

  it('the help of every command loads no engine library', () => {
    for (const command of ['predict', 'train', 'eval', 'export', 'symptoms', 'bench', 'serve', 'render', 'pacs']) {
      const loaded = packagesLoaded([command, '--help']);
      for (const name of [...heavy, 'onnxruntime-node', 'sharp'])
        expect(loaded.has(name), `${command}: ${name}`).toBe(false);
    }
  });

  it('`vip versions list` opens the store only', () => {
    const loaded = packagesLoaded(['--json', 'versions', 'list']);
    expect(loaded.has('better-sqlite3')).toBe(true);
    for (const name of [...heavy, 'onnxruntime-node', 'sharp']) expect(loaded.has(name), name).toBe(false);
  });

  it('`vip predict` of a PNG loads onnxruntime and sharp, not tfjs, pdf-lib, dcmjs or the ONNX graph builder', async () => {
    // The demo package is written by another process: building its graphs needs onnx-proto, reading them does not.
    const created = spawnSync(process.execPath, [vipBin, '--data', data, 'models', 'create-demo'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(created.status, created.stderr).toBe(0);
    const png = join(root, 'image.png');
    await sharp(Buffer.alloc(64 * 64, 128), { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toFile(png);
    const symptoms = join(root, 'symptoms.json');
    writeFileSync(symptoms, JSON.stringify({ normal: ['clear lungs'], effusion: ['blunted costophrenic angle'] }));
    const loaded = packagesLoaded(['--json', 'predict', '--symptoms', symptoms, '--image', png]);
    expect(loaded.has('onnxruntime-node')).toBe(true);
    expect(loaded.has('sharp')).toBe(true);
    for (const name of heavy) expect(loaded.has(name), name).toBe(false);
    // The symptoms' text side was kept on disk: the same prediction again gives the same figures from it.
    const first = lastStdout;
    expect(readdirSync(join(data, 'features', '_text-sides')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    packagesLoaded(['--json', 'predict', '--symptoms', symptoms, '--image', png]);
    expect(JSON.parse(lastStdout)).toEqual(JSON.parse(first));
  });
});
