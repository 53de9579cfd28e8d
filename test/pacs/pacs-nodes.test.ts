/**
 * PACS node settings: add/update/remove through the engine's contract, the secret kept out of SQLite and out of every
 * result, the environment variable that supplies it in the CLI, and the one-line errors for bad settings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { installSecretStore, MemorySecretStore, secretStore } from '../../src/main/engine/symptoms/secret-store';

let root: string;
let engine: Engine;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vip-pacs-nodes-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  installSecretStore(new MemorySecretStore({}));
});
afterAll(() => {
  engine.close();
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env['VIP_PACS_ENV_NODE_TOKEN'];
});

describe('PACS nodes', () => {
  it('adds, lists, updates and removes a node; the password never reaches SQLite or a result', async () => {
    const added = await engine.call('pacs.add', {
      name: 'main',
      url: 'http://127.0.0.1:8042/dicom-web/',
      auth: 'basic',
      username: 'alice',
      secret: 'correct-horse-battery',
    });
    expect(added).toMatchObject({
      name: 'main',
      url: 'http://127.0.0.1:8042/dicom-web',
      auth: 'basic',
      username: 'alice',
      hasSecret: true,
      secretSource: 'store',
      secretEnvVar: 'VIP_PACS_MAIN_PASSWORD',
      secretStorage: 'this session only (set VIP_PACS_MAIN_PASSWORD to provide it at start)',
      secretPersistent: false,
      timeoutSeconds: 30,
    });
    expect(JSON.stringify(added)).not.toContain('correct-horse');
    const listed = await engine.call('pacs.list', {});
    expect(listed.nodes.map((n) => n.name)).toEqual(['main']);
    expect(JSON.stringify(listed)).not.toContain('correct-horse');
    expect(secretStore().get('pacs-main')).toBe('correct-horse-battery');

    engine.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const dbBytes = readFileSync(engine.paths.database).toString('latin1');
    expect(dbBytes).toContain('dicom-web');
    expect(dbBytes).not.toContain('correct-horse');

    const updated = await engine.call('pacs.update', {
      name: 'MAIN',
      auth: 'bearer',
      username: null,
      timeoutSeconds: 5,
    });
    // A password is no token: switching the auth kind forgets it.
    expect(updated).toMatchObject({ auth: 'bearer', username: null, hasSecret: false, timeoutSeconds: 5 });
    expect(secretStore().get('pacs-main')).toBeNull();

    expect(await engine.call('pacs.remove', { name: 'main' })).toEqual({ removed: 'main' });
    expect((await engine.call('pacs.list', {})).nodes).toEqual([]);
  });

  it('takes the secret from VIP_PACS_<NAME>_TOKEN over the store', async () => {
    await engine.call('pacs.add', { name: 'env-node', url: 'https://pacs.example/dicom-web', auth: 'bearer' });
    let info = (await engine.call('pacs.list', {})).nodes[0];
    expect(info).toMatchObject({ hasSecret: false, secretSource: 'none', secretEnvVar: 'VIP_PACS_ENV_NODE_TOKEN' });
    process.env['VIP_PACS_ENV_NODE_TOKEN'] = 'tok-123456';
    info = (await engine.call('pacs.list', {})).nodes[0];
    expect(info).toMatchObject({ hasSecret: true, secretSource: 'environment' });
    await engine.call('pacs.remove', { name: 'env-node' });
  });

  it('refuses bad settings with one clear line', async () => {
    await expect(engine.call('pacs.add', { name: 'x', url: 'ftp://host/dicom-web' })).rejects.toThrow(/http/);
    await expect(engine.call('pacs.add', { name: 'x', url: 'http://u:p@host/dicom-web' })).rejects.toThrow(
      /no user or password in the URL/,
    );
    await expect(engine.call('pacs.add', { name: 'bad name', url: 'http://host' })).rejects.toThrow(/PACS name/);
    await expect(engine.call('pacs.add', { name: 'x', url: 'http://host', auth: 'basic' })).rejects.toThrow(
      'basic auth needs a user name',
    );
    await engine.call('pacs.add', { name: 'x', url: 'http://host' });
    await expect(engine.call('pacs.add', { name: 'X', url: 'http://host' })).rejects.toThrow('exists already');
    await expect(engine.call('pacs.remove', { name: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    await engine.call('pacs.remove', { name: 'x' });
  });
});
