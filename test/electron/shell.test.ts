import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const mainSource = readFileSync('src/main/index.ts', 'utf8');
const preloadSource = readFileSync('src/preload/index.ts', 'utf8');

function electronBinary(): string | null {
  const dir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

describe('Electron shell configuration', () => {
  it('creates its window with isolation, sandbox and no Node integration', () => {
    for (const setting of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false', 'webviewTag: false']) {
      expect(mainSource).toContain(setting);
    }
    expect(mainSource).toContain('app.enableSandbox()');
  });

  it('blocks navigation and new windows and sets a strict CSP', () => {
    expect(mainSource).toMatch(/will-navigate[\s\S]*preventDefault/);
    expect(mainSource).toMatch(/setWindowOpenHandler[\s\S]*action: 'deny'/);
    expect(mainSource).toMatch(/Content-Security-Policy/);
    expect(mainSource).toContain("default-src 'self'; script-src 'self'");
  });

  it('exposes window.vip and nothing else from the preload', () => {
    const exposures = preloadSource.match(/exposeInMainWorld\(/g) ?? [];
    expect(exposures).toHaveLength(1);
    expect(preloadSource).toContain("exposeInMainWorld('vip', api)");
  });

  it('checks the sender of every IPC call', () => {
    const ipc = readFileSync('src/main/ipc.ts', 'utf8');
    expect(ipc).toMatch(/if \(!trustedSender\(event\)\) throw/);
    expect(ipc.match(/ipcMain\.(handle|on)\(/g)).toHaveLength(1);
  });
});

const binary = electronBinary();
if (!binary) {
  console.warn('[electron] Electron binary not installed (npm run electron:fetch): skipping the live window test');
}

describe.skipIf(!binary)('Electron window (live)', () => {
  it('runs the renderer sandboxed with window.vip and no Node globals', async () => {
    const { _electron } = await import('playwright-core');
    const data = mkdtempSync(join(tmpdir(), 'vip-electron-'));
    const app = await _electron.launch({
      executablePath: binary ?? undefined,
      args: ['.', '--no-sandbox'],
      env: { ...process.env, VIP_DATA_DIR: data },
    });
    try {
      const page = await app.firstWindow();
      const globals = await page.evaluate(() => ({
        vip: typeof (globalThis as unknown as { vip?: unknown }).vip,
        require: typeof (globalThis as unknown as { require?: unknown }).require,
        process: typeof (globalThis as unknown as { process?: unknown }).process,
      }));
      expect(globals).toEqual({ vip: 'object', require: 'undefined', process: 'undefined' });
    } finally {
      await app.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('npm start without the Electron binary', () => {
  it.skipIf(binary !== null)('says so in one line and serves the workstation to a browser instead', async () => {
    const data = mkdtempSync(join(tmpdir(), 'vip-start-'));
    const child = spawn(process.execPath, ['scripts/start.js', '--port', '0'], {
      env: { ...process.env, VIP_DATA_DIR: data },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no address printed; stderr: ${stderr}`)), 60_000);
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('\n')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      expect(stderr.split('\n')[0]).toMatch(
        /^Electron binary not installed \(fetch it with `npm run electron:fetch`\)/,
      );
      expect(stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+\n/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(data, { recursive: true, force: true });
    }
  });
});
