/**
 * The built CLI end to end on the synthetic dataset with the demo model: `vip train` (in its worker thread), then
 * `vip eval` and `vip predict --version`, their JSON shapes, the exact additive explanation in the output, versions
 * and symptom sets, and bad inputs answered with exit code 2 and one line before any long work.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltCli, runVip, type VipResult } from '../store/built-cli';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';

let root: string;
let data: string;
let ds: string;
let symptoms: string;
let prompt: string;
let trained: {
  versionId: number;
  runId: number;
  val: { accuracy: number };
  initial: { valAccuracy: number };
  runner: string;
  schedule: string;
};
let trainRun: VipResult;

const vip = (...args: string[]): VipResult => runVip(['--data', data, ...args]);
const json = <T>(r: VipResult): T => {
  if (r.status !== 0) throw new Error(`vip failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** A usage or input error: exit 2, a `vip:` or commander line, no stack trace. */
function expectBadInput(r: VipResult, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

interface Evidence {
  text: string;
  weight: number;
  similarity: number;
  contribution: number;
}
interface PredictOutput {
  classes: string[];
  mode: string;
  results: {
    image: string;
    logits: number[];
    probabilities: number[];
    predicted: string;
    prototype_contribution: Record<string, number>;
    symptoms: Record<string, Evidence[]>;
  }[];
}

beforeAll(async () => {
  ensureBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'vip-cli-train-'));
  data = join(root, 'data');
  ds = join(root, 'ds');
  symptoms = join(root, 'symptoms.json');
  prompt = join(root, 'prompt.safetensors');
  await writeSyntheticDataset(ds, { perClass: { train: 24, val: 8, test: 8 } });
  writeFileSync(symptoms, JSON.stringify(syntheticSymptoms, null, 2));
  trainRun = vip(
    'train',
    '--dataset',
    ds,
    '--symptoms',
    symptoms,
    '--out',
    prompt,
    '--epochs',
    '20',
    '--batch-size',
    '8',
    '--optimizer',
    'adam',
    '--lr',
    '0.003',
    '--json',
  );
  trained = json(trainRun);
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vip train', () => {
  it('trains in a worker thread, writes the prompt and records a version', () => {
    expect(trained.runner).toBe('worker');
    // The fast schedule unless --schedule exact; the version records it.
    expect(trained.schedule).toBe('fast');
    const listed = json<{ versions: { id: number; schedule: string | null }[] }>(vip('versions', 'list', '--json'));
    expect(listed.versions.find((v) => v.id === trained.versionId)?.schedule).toBe('fast');
    expect(trainRun.stderr).toMatch(/trained in a worker thread/);
    expect(trainRun.stderr).toMatch(/epoch 20\/20 loss/);
    expect(existsSync(prompt)).toBe(true);
    expect(trained.versionId).toBeGreaterThan(0);
    expect(trained.initial.valAccuracy).toBeLessThanOrEqual(0.6);
    expect(trained.val.accuracy).toBeGreaterThanOrEqual(0.9);
  });
});

describe('vip eval', () => {
  it('prints the metrics of a split, the same through --version and --prompt', () => {
    const byVersion = json<Record<string, unknown>>(
      vip('eval', '--dataset', ds, '--split', 'test', '--version', String(trained.versionId), '--json'),
    );
    expect(Object.keys(byVersion)).toEqual(['n', 'accuracy', 'macro_f1', 'per_class', 'confusion_matrix', 'auroc']);
    expect(byVersion['n']).toBe(16);
    expect(byVersion['accuracy']).toBeGreaterThanOrEqual(0.9);
    expect(Object.keys(byVersion['per_class'] as object)).toEqual(['round spot', 'striped']);
    expect(Object.keys((byVersion['per_class'] as Record<string, object>)['striped'] ?? {})).toEqual([
      'precision',
      'recall',
      'f1',
      'support',
    ]);
    const byPrompt = json<Record<string, unknown>>(
      vip('eval', '--dataset', ds, '--split', 'test', '--symptoms', symptoms, '--prompt', prompt, '--json'),
    );
    expect(byPrompt).toEqual(byVersion);
  });
});

describe('vip predict', () => {
  const images = (): string[] => [join(ds, 'test', 'striped', '003.png'), join(ds, 'test', 'round spot', '004.png')];

  it('--version: logits, probabilities and the per-symptom evidence, which adds up to each logit', () => {
    const out = json<PredictOutput>(
      vip('predict', '--version', String(trained.versionId), ...images().flatMap((i) => ['--image', i]), '--json'),
    );
    expect(out.classes).toEqual(['round spot', 'striped']);
    expect(out.mode).toBe('vip');
    expect(out.results.map((r) => r.image)).toEqual(images());
    expect(out.results.map((r) => r.predicted)).toEqual(['striped', 'round spot']);
    for (const r of out.results) {
      expect(Object.keys(r)).toEqual([
        'image',
        'logits',
        'probabilities',
        'predicted',
        'prototype_contribution',
        'symptoms',
      ]);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      out.classes.forEach((c, i) => {
        const evidence = r.symptoms[c] ?? [];
        expect(evidence.map((e) => e.text)).toEqual(syntheticSymptoms[c]);
        expect(evidence.reduce((a, e) => a + e.weight, 0)).toBeCloseTo(1, 9);
        const total = (r.prototype_contribution[c] ?? NaN) + evidence.reduce((a, e) => a + e.contribution, 0);
        expect(Math.abs(total - (r.logits[i] ?? NaN))).toBeLessThan(1e-9);
      });
    }
  });

  it('zero-shot baselines: symptoms weigh 1/k; class names have no symptoms and the prototype is the logit', () => {
    const sym = json<PredictOutput>(vip('predict', '--symptoms', symptoms, '--image', images()[0] ?? '', '--json'));
    expect(sym.mode).toBe('zeroshot-symptoms');
    expect(sym.results[0]?.symptoms['striped']?.map((e) => e.weight)).toEqual([0.25, 0.25, 0.25, 0.25]);
    const names = json<PredictOutput>(
      vip(
        'predict',
        '--symptoms',
        symptoms,
        '--mode',
        'zeroshot-classname',
        '--template',
        'an image of a {}.',
        '--image',
        images()[0] ?? '',
        '--json',
      ),
    );
    const r = names.results[0];
    expect(r?.symptoms['striped']).toEqual([]);
    expect(r?.prototype_contribution['striped']).toBeCloseTo(r?.logits[1] ?? NaN, 9);
  });
});

describe('vip versions and vip symptoms', () => {
  it('lists and activates versions', () => {
    const list = json<{ versions: { id: number; active: boolean; classes: string[] }[] }>(
      vip('versions', 'list', '--json'),
    );
    expect(list.versions.map((v) => v.id)).toContain(trained.versionId);
    expect(list.versions.find((v) => v.id === trained.versionId)?.classes).toEqual(['round spot', 'striped']);
    const activated = json<{ id: number; active: boolean }>(
      vip('versions', 'activate', String(trained.versionId), '--json'),
    );
    expect(activated).toMatchObject({ id: trained.versionId, active: true });
    expectBadInput(vip('versions', 'activate', '999'), /No model version 999/);
  });

  it('imports a symptom set as approved and lists it; the same content twice is one version', () => {
    const first = json<{ id: number; version: number; approved: boolean; created: boolean }>(
      vip('symptoms', 'import', symptoms, '--name', 'synthetic-shapes', '--json'),
    );
    expect(first).toMatchObject({ version: 1, approved: true, created: true });
    const again = json<{ id: number; created: boolean }>(
      vip('symptoms', 'import', symptoms, '--name', 'synthetic-shapes', '--json'),
    );
    expect(again).toMatchObject({ id: first.id, created: false });
    const list = json<{ symptomSets: { name: string; classes: string[] }[] }>(vip('symptoms', 'list', '--json'));
    expect(list.symptomSets.find((s) => s.name === 'synthetic-shapes')?.classes).toEqual(['round spot', 'striped']);
  });
});

describe('bad input: exit 2 with one clear line, before any long work', () => {
  const write = (name: string, value: unknown): string => {
    const path = join(root, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };

  it('symptom sets: one class, an empty class, a duplicate symptom', () => {
    const train = (file: string): VipResult =>
      vip('train', '--dataset', ds, '--symptoms', file, '--out', join(root, 'x.safetensors'), '--epochs', '1');
    expectBadInput(train(write('one.json', { striped: ['lines'] })), /at least two classes/);
    expectBadInput(
      train(write('empty.json', { striped: ['lines'], 'round spot': [] })),
      /"round spot" has no symptoms/,
    );
    expectBadInput(train(write('dup.json', { striped: ['lines', 'Lines'], 'round spot': ['a disc'] })), /twice/);
  });

  it('datasets: a missing class folder, a split file naming missing files', async () => {
    const partial = join(root, 'partial');
    await writeSyntheticDataset(partial, { perClass: { train: 2 }, size: 16 });
    rmSync(join(partial, 'train', 'striped'), { recursive: true });
    expectBadInput(
      vip('train', '--dataset', partial, '--symptoms', symptoms, '--out', join(root, 'x.safetensors')),
      /no folder for class\(es\) "striped"/,
    );
    const split = write('split.json', {
      train: [
        ['train/striped/000.png', 1, 'striped'],
        ['train/striped/missing.png', 1, 'striped'],
      ],
    });
    expectBadInput(
      vip(
        'train',
        '--dataset',
        ds,
        '--split-file',
        split,
        '--symptoms',
        symptoms,
        '--out',
        join(root, 'x.safetensors'),
      ),
      /names 1 file\(s\) that do not exist.*missing\.png/,
    );
  });

  it('a prompt file for another class list, and flags that do not go together', () => {
    const other = write('other.json', { melanoma: ['dark'], nevus: ['brown'] });
    const image = join(ds, 'test', 'striped', '000.png');
    expectBadInput(vip('predict', '--symptoms', other, '--prompt', prompt, '--image', image), /trained for classes/);
    expectBadInput(
      vip('predict', '--symptoms', symptoms, '--mode', 'vip', '--image', image),
      /--mode vip needs a trained prompt/,
    );
    expectBadInput(
      vip('predict', '--prompt', prompt, '--version', String(trained.versionId), '--image', image),
      /not both/,
    );
    expectBadInput(vip('predict', '--symptoms', symptoms, '--image', join(root, 'nope.png')), /cannot read image/);
    expectBadInput(vip('eval', '--dataset', ds, '--version', '999'), /No model version 999/);
  });

  it('numbers out of range are usage errors', () => {
    expectBadInput(
      vip('train', '--dataset', ds, '--symptoms', symptoms, '--out', join(root, 'x.safetensors'), '--epochs', '0'),
      /--epochs/,
    );
    expectBadInput(
      vip('train', '--dataset', ds, '--symptoms', symptoms, '--out', join(root, 'no', 'x.safetensors')),
      /--out/,
    );
  });
});
