/**
 * Running the built CLI (`node bin/vip.js`) in a child process, as a user would. The bundle comes from
 * `npm run build`; when it is missing or older than the main-process sources (a fresh clone running vitest
 * alone, or sources edited since the last build) it is rebuilt, under a lock so parallel test files do not
 * build over each other.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const vipBin = join(repoRoot, 'bin', 'vip.js');
const bundle = join(repoRoot, 'out', 'main', 'cli.js');

const STALE_LOCK_MS = 10 * 60 * 1000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Newest modification time of the sources bundled into the CLI. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const dir of ['src/main', 'src/shared']) walk(join(repoRoot, dir));
  return Math.max(newest, statSync(join(repoRoot, 'package.json')).mtimeMs);
}

const upToDate = (): boolean => existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource();

export function ensureBuiltCli(): void {
  if (upToDate()) return;
  const lock = join(repoRoot, 'out', '.vip-test-build.lock');
  mkdirSync(join(repoRoot, 'out'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (upToDate()) return;
      // A lock left by a test run that was killed mid-build.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      sleep(500);
    }
  }
  try {
    if (upToDate()) return;
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
