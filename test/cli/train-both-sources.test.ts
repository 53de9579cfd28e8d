/**
 * `vip train --dataset DIR --from-reviews` from the built CLI: the folder and the reviewed cases train as one dataset
 * (a reviewed image that is also in the folder counts once), and the version records both sources.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';
import { ensureBuiltCli, runVip } from '../store/built-cli';

let root: string;
let data: string;

beforeAll(async () => {
  ensureBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'vip-cli-both-'));
  data = join(root, 'data');
  await writeSyntheticDataset(join(root, 'ds'), { perClass: { train: 3 }, size: 32 });
  const extra = await writeSyntheticDataset(join(root, 'extra'), { perClass: { train: 2 }, size: 32, seed: 9 });
  writeFileSync(join(root, 'shapes.json'), JSON.stringify(syntheticSymptoms));
  const copy = join(root, 'copy.png');
  copyFileSync(join(root, 'ds', 'train', 'striped', '000.png'), copy);
  const engine = Engine.open({ dataDir: data, transport: 'cli' });
  const reviewed = [...extra.map((path) => ({ path, label: path.includes('striped') ? 'striped' : 'round spot' }))];
  reviewed.push({ path: copy, label: 'striped' });
  for (const r of reviewed) {
    const report = await engine.call('cases.importFiles', { files: [{ name: 'x.png', data: readFileSync(r.path) }] });
    const o = report.outcomes[0]!;
    if (o.status !== 'imported') throw new Error(JSON.stringify(o));
    await engine.call('cases.review', { caseId: o.caseId, label: r.label });
  }
  engine.close();
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vip train with a folder and the reviewed cases', () => {
  it('trains on the union, each image once', () => {
    const r = runVip([
      '--data',
      data,
      'train',
      '--dataset',
      join(root, 'ds'),
      '--from-reviews',
      '--symptoms',
      join(root, 'shapes.json'),
      '--out',
      join(root, 'prompt.safetensors'),
      '--epochs',
      '2',
      '--batch-size',
      '4',
      '--val-fraction',
      '0.2',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { counts: { train: number; val: number; test: number }; versionId: number };
    // 6 folder images + 4 reviewed, the reviewed copy of a folder image counted once: 10.
    expect(out.counts.train + out.counts.val).toBe(10);
    expect(out.counts.val).toBe(2);
    const versions = JSON.parse(runVip(['--data', data, 'versions', 'list', '--json']).stdout) as unknown;
    expect(JSON.stringify(versions)).toContain('"kind":"combined"');
  }, 300_000);
});
