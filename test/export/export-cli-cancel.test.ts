/**
 * Ctrl-C during `vip export` (the built CLI in a child process, sent SIGINT once it reports written cases): the
 * export is cancelled, one line on stderr says nothing was written, the exit code is 2 (as a cancelled `vip train`
 * or `vip models fetch`), nothing is left at the destination, and the audit log records the cancel.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { writeTestPng } from '../e2e/helpers/images';
import { ensureBuiltCli, repoRoot, vipBin } from '../store/built-cli';
import { buildFixture, type Fixture } from './helpers/fixture';

/** Enough cases with PDF reports that the export is still running when the signal arrives. */
const CASES = 60;

let f: Fixture;
let data: string;

beforeAll(async () => {
  ensureBuiltCli();
  f = await buildFixture('vip-export-sigint-');
  const inbox = join(f.root, 'more');
  mkdirSync(inbox);
  const paths: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const path = join(inbox, `extra-${i}.png`);
    await writeTestPng(path, 96, 72, i + 1);
    paths.push(path);
  }
  await f.engine.call('cases.importPaths', { paths });
  f.engine.close();
  data = join(f.root, 'data');
}, 120_000);
afterAll(async () => f?.cleanup());

/** Starts `vip export`, sends SIGINT after its first progress line, and waits for it to end. */
function interruptedExport(args: string[]): Promise<{ code: number | null; stderr: string; interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['VIP_DEBUG'];
    const child = spawn(process.execPath, [vipBin, '--data', data, 'export', ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let interrupted = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!interrupted && /\[\d+\/\d+\] cases written/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stdout.resume();
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr, interrupted }));
  });
}

describe('vip export and Ctrl-C', () => {
  it.each([
    ['a zip', 'interrupted.zip'],
    ['a folder', 'interrupted'],
  ])(
    'cancels an export to %s cleanly',
    async (_kind, name) => {
      const out = join(f.root, `out-${name.replace('.', '-')}`);
      mkdirSync(out);
      const dest = join(out, name);
      const r = await interruptedExport(['--all', '--pdf', '--out', dest]);
      expect(r.interrupted, r.stderr).toBe(true);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.filter((l) => !/^\[\d+\/\d+\] cases written$/.test(l))).toEqual([
        `vip: Export cancelled: nothing was written to ${dest}`,
      ]);
      // Nothing at the destination, and no staging folder or temporary zip beside it.
      expect(readdirSync(out)).toEqual([]);
      const engine = Engine.open({ dataDir: data, transport: 'cli' });
      try {
        const last = engine.store.audit.list(0, 5).entries[0];
        expect(last?.action).toBe('cases.export.cancelled');
        expect((last?.detail as { out: string }).out).toBe(dest);
      } finally {
        engine.close();
      }
    },
    120_000,
  );
});
