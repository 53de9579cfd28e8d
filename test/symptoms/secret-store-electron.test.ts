/**
 * The desktop app's secret store with Electron's safeStorage replaced by a stand-in (the Electron binary is not here):
 * the key is written encrypted (never in plain text) and read back; removed on an empty value; without real OS
 * encryption (Linux's 'basic_text') it is kept in memory only and nothing is written.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const state = { available: true, backend: 'gnome_libsecret' };

vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => state.available,
    getSelectedStorageBackend: () => state.backend,
    // A reversible stand-in for the OS cipher: enough to tell plain text from not.
    encryptString: (s: string) => Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ 0x5a)),
    decryptString: (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
  },
}));

const { ElectronSecretStore } = await import('../../src/main/secret-store-electron');
const { LLM_API_KEY } = await import('../../src/main/engine/symptoms/secret-store');

const KEY = 'sk-electron-test-key-123456';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vip-secrets-'));
  state.available = true;
  state.backend = process.platform === 'linux' ? 'gnome_libsecret' : 'os';
  delete process.env['VIP_LLM_API_KEY'];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ElectronSecretStore', () => {
  it('keeps the key encrypted on disk, readable by a new store, and removes it', () => {
    new ElectronSecretStore(dir).set(LLM_API_KEY, KEY);
    const files = readdirSync(dir);
    expect(files).toEqual(['llm-api-key.enc']);
    const bytes = readFileSync(join(dir, 'llm-api-key.enc'));
    expect(bytes.includes(KEY)).toBe(false);
    if (process.platform !== 'win32') expect(statSync(join(dir, 'llm-api-key.enc')).mode & 0o777).toBe(0o600);
    const again = new ElectronSecretStore(dir);
    expect(again.get(LLM_API_KEY)).toBe(KEY);
    expect(again.info().persistent).toBe(true);
    again.set(LLM_API_KEY, '');
    expect(existsSync(join(dir, 'llm-api-key.enc'))).toBe(false);
    expect(new ElectronSecretStore(dir).get(LLM_API_KEY)).toBeNull();
  });

  it.runIf(process.platform === 'linux')('keeps the key in memory only when the OS offers no real encryption', () => {
    state.backend = 'basic_text';
    const store = new ElectronSecretStore(dir);
    store.set(LLM_API_KEY, KEY);
    expect(store.get(LLM_API_KEY)).toBe(KEY);
    expect(readdirSync(dir)).toEqual([]);
    expect(store.info()).toMatchObject({ persistent: false });
    expect(new ElectronSecretStore(dir).get(LLM_API_KEY)).toBeNull();
  });
});
