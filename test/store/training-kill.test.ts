/**
 * Crash safety of training with a real process: `vip train` is killed (SIGKILL) in the middle of its epochs.
 * The database stays intact, the run still reads `running` until the next open, which shows it as interrupted.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';
import { ensureBuiltCli, vipBin } from './built-cli';
import { openEngine, tempDir } from './helpers';

let dir: ReturnType<typeof tempDir>;

beforeAll(() => {
  ensureBuiltCli();
  dir = tempDir('vip-train-kill-');
});
afterAll(() => dir?.cleanup());

/** Starts a long training run and SIGKILLs it once its second epoch has been reported. */
function trainAndKill(args: string[]): Promise<{ signal: NodeJS.Signals | null; epochsSeen: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vipBin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let epochsSeen = 0;
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      epochsSeen = (stderr.match(/^epoch \d+\/\d+ loss/gm) ?? []).length;
      if (epochsSeen >= 2) child.kill('SIGKILL');
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ signal, epochsSeen });
      else reject(new Error(`vip train ended on its own (code ${code}) before it was killed:\n${stderr}`));
    });
  });
}

describe('a training run killed mid-way', () => {
  it('leaves an intact database and shows as interrupted, never as running, after the next open', async () => {
    const data = join(dir.path, 'data');
    const dataset = join(dir.path, 'ds');
    const symptoms = join(dir.path, 'symptoms.json');
    await writeSyntheticDataset(dataset, { perClass: { train: 16, val: 4 } });
    writeFileSync(symptoms, JSON.stringify(syntheticSymptoms));

    const killed = await trainAndKill([
      '--data',
      data,
      'train',
      '--dataset',
      dataset,
      '--symptoms',
      symptoms,
      '--out',
      join(dir.path, 'prompt.safetensors'),
      '--epochs',
      '500',
      '--batch-size',
      '8',
    ]);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.epochsSeen).toBeGreaterThanOrEqual(2);

    const raw = new Database(join(data, 'vip.db'), { readonly: true });
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = raw.prepare('SELECT status FROM training_runs').all() as { status: string }[];
      expect(rows).toEqual([{ status: 'running' }]);
    } finally {
      raw.close();
    }

    const engine = openEngine(data);
    try {
      const runs = engine.store.db.prepare('SELECT id, status FROM training_runs').all() as {
        id: number;
        status: string;
      }[];
      expect(runs.map((r) => r.status)).toEqual(['interrupted']);
      expect(engine.store.recovery.interruptedRuns).toEqual(runs.map((r) => r.id));
      expect(engine.store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      engine.close();
    }
  });
});
