// Builds better-sqlite3 for Electron's ABI into resources/native/electron/, leaving the Node build in node_modules
// (used by the CLI, `vip serve` and the tests) untouched. Electron's main process loads it through `nativeBinding`.
// Needs the Electron headers (downloaded by node-gyp from electronjs.org) and a C++ toolchain.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const source = dirname(require.resolve('better-sqlite3/package.json'));
const work = mkdtempSync(join(tmpdir(), 'vip-electron-sqlite-'));
const target = join('resources', 'native', 'electron');

try {
  cpSync(source, work, { recursive: true, filter: (p) => !p.includes(`${source}/build`) });
  const nodeGyp = join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  execFileSync(
    process.execPath,
    [
      nodeGyp,
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      '--runtime=electron',
      '--dist-url=https://electronjs.org/headers',
    ],
    { cwd: work, stdio: 'inherit' },
  );
  mkdirSync(target, { recursive: true });
  cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), join(target, 'better_sqlite3.node'));
  console.log(`better-sqlite3 built for Electron ${electronVersion}: ${join(target, 'better_sqlite3.node')}`);
} catch (err) {
  console.error(
    `Could not build better-sqlite3 for Electron ${electronVersion}: ${err instanceof Error ? err.message : err}`,
  );
  process.exitCode = 2;
} finally {
  rmSync(work, { recursive: true, force: true });
}
