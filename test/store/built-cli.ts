/**
 * Running the built CLI (`node bin/vip.js`) in a child process, as a user would. The bundle comes from
 * `npm run build`; when it is missing (a fresh clone running vitest alone) it is built once, under a lock
 * so parallel test files do not build over each other.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const vipBin = join(repoRoot, 'bin', 'vip.js');
const bundle = join(repoRoot, 'out', 'main', 'cli.js');

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ensureBuiltCli(): void {
  if (existsSync(bundle)) return;
  const lock = join(repoRoot, 'out', '.vip-test-build.lock');
  mkdirSync(join(repoRoot, 'out'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(bundle)) return;
      sleep(500);
    }
  }
  try {
    if (existsSync(bundle)) return;
    const build = spawnSync('npm', ['run', 'build'], {
      cwd: repoRoot,
      encoding: 'utf8',
      shell: process.platform === 'win32',
    });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface VipResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `vip <args>` to completion. */
export function runVip(args: string[], options: SpawnSyncOptions = {}): VipResult {
  const env = { ...process.env };
  delete env['VIP_DATA_DIR'];
  delete env['VIP_DEBUG'];
  const r = spawnSync(process.execPath, [vipBin, ...args], { encoding: 'utf8', env, timeout: 120_000, ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}
