/**
 * The speed targets on this machine, from `vip bench --preset vit-b16 --schedules --json` run here (or from a
 * saved result: VIP_BENCH_RESULT=<file>). One test per target, failing when the target is missed, so the output is
 * the list of what is met. Timings depend on what else runs on the machine: the result's load averages say.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchResultSchema, type BenchResult } from '../../src/main/engine/bench/bench-result';
import { ensureBuiltCli, runVip } from '../store/built-cli';

let result: BenchResult;
let root: string | undefined;

beforeAll(() => {
  const saved = process.env['VIP_BENCH_RESULT'];
  if (saved) {
    result = benchResultSchema.parse(JSON.parse(readFileSync(saved, 'utf8')));
    return;
  }
  ensureBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'vip-bench-targets-'));
  const data = process.env['VIP_BENCH_DATA'] ?? join(root, 'data');
  const run = runVip(['--data', data, '--json', 'bench', '--preset', 'vit-b16', '--schedules'], {
    timeout: 3_600_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`vip bench failed (${run.status})`);
  result = benchResultSchema.parse(JSON.parse(run.stdout));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('issue 9 targets (ViT-B/16 sizes, this machine)', () => {
  it('was measured on the ViT-B/16 bench package', () => {
    expect(result.preset).toBe('vit-b16');
    console.log(
      `cores ${result.machine.cores}, load ${result.machine.loadAverageStart.join(' ')} -> ${result.machine.loadAverageEnd.join(' ')}`,
    );
  });

  const targets = [
    'image embedding, batch 8',
    'training step',
    "authors' exact schedule",
    'fast schedule, same data',
    'fast schedule accuracy',
    'peak RSS during training',
    'RSS growth across training epochs',
    'vip predict',
  ];
  for (const name of targets) {
    it(name, () => {
      const t = result.targets.find((x) => x.name.startsWith(name) || x.name.includes(name));
      expect(t, `no target "${name}" in the result`).toBeDefined();
      console.log(`${t?.met ? 'met  ' : 'UNMET'} ${t?.name}: ${t?.measured} (target ${t?.target})`);
      expect(t?.met, `${t?.name}: ${t?.measured}, target ${t?.target}`).toBe(true);
    });
  }
});
