/**
 * A data folder the user cannot write: one clear line, exit 2, nothing changed. Run through the built CLI in
 * a child process; when the tests run as root (who may write anywhere) the child runs as `nobody`.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuiltCli, runVip } from './built-cli';
import { openEngine, sha256, solidPng, tempDir } from './helpers';

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const childIdentity = asRoot ? { uid: NOBODY, gid: NOBODY } : {};

let dir: ReturnType<typeof tempDir>;
let data: string;

beforeAll(() => ensureBuiltCli());
beforeEach(async () => {
  dir = tempDir('vip-ro-');
  chmodSync(dir.path, 0o755); // the child (maybe `nobody`) must reach the folder
  data = join(dir.path, 'data');
  const engine = openEngine(data);
  await engine.call('cases.importFiles', { files: [{ name: 'a.png', data: await solidPng(4, 4, [1, 1, 1]) }] });
  engine.close();
});
afterEach(() => {
  chmodSync(data, 0o755);
  chmodSync(join(data, 'vip.db'), 0o644);
  dir.cleanup();
});

function snapshot(): { files: string[]; db: string } {
  return { files: readdirSync(data).sort(), db: sha256(readFileSync(join(data, 'vip.db'))) };
}

describe('a read-only data folder', () => {
  it('is refused with one clear line and left untouched', () => {
    chmodSync(data, 0o555);
    chmodSync(join(data, 'vip.db'), 0o444);
    const before = snapshot();
    const r = runVip(['--data', data, 'cases', 'list', '--json'], childIdentity);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^vip: The data folder .+ is not writable \((EACCES|EPERM|EROFS)\); choose a writable folder/,
      ),
    ]);
    expect(snapshot()).toEqual(before);
  });

  it('refuses a database file it cannot write even when the folder is writable', () => {
    chmodSync(data, 0o777);
    chmodSync(join(data, 'vip.db'), 0o444);
    const before = snapshot();
    const r = runVip(['--data', data, 'cases', 'list'], childIdentity);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^vip: The database .+vip\.db is not writable/),
    ]);
    expect(snapshot()).toEqual(before);
  });

  it('cannot create a data folder inside a read-only parent', () => {
    const parent = join(dir.path, 'locked');
    mkdirSync(parent, { mode: 0o555 });
    chmodSync(parent, 0o555);
    const r = runVip(['--data', join(parent, 'new-data'), 'cases', 'list'], childIdentity);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^vip: Cannot create the data folder .+new-data/),
    ]);
    expect(readdirSync(parent)).toEqual([]);
  });
});
