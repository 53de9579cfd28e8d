/** Runs the built CLI's `vip serve` as a child process and reads the address it prints on its first stdout line. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const vipBin = fileURLToPath(new URL('../../../bin/vip.js', import.meta.url));
const cliBundle = fileURLToPath(new URL('../../../out/main/cli.js', import.meta.url));
const rendererIndex = fileURLToPath(new URL('../../../out/renderer/index.html', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(cliBundle) || !existsSync(rendererIndex)) {
    throw new Error('The e2e tests drive the built app: run `npm run build` first (out/main/cli.js, out/renderer).');
  }
}

export interface Served {
  /** The printed address, token included. */
  url: string;
  origin: string;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServe(dataDir: string, timeoutMs = 30_000): Promise<Served> {
  assertBuilt();
  const child: ChildProcess = spawn(process.execPath, [vipBin, 'serve', '--port', '0', '--data', dataDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VIP_DATA_DIR: dataDir },
  });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vip serve printed no address within ${timeoutMs} ms. stderr:\n${err}`));
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('http://127.0.0.1:'));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vip serve exited with ${code} before printing its address. stderr:\n${err}`));
    });
  });
  return {
    url,
    origin: new URL(url).origin,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Runs the built CLI to completion (for setup steps such as `cases import`). */
export function runVip(args: string[]): { status: number | null; stdout: string; stderr: string } {
  assertBuilt();
  const r = spawnSync(process.execPath, [vipBin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
