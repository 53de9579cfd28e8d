/**
 * The desktop app's secret store: the LLM API key and PACS passwords/tokens encrypted with Electron's safeStorage (the
 * OS keychain, DPAPI or the desktop keyring), one file each in the user-data folder, written atomically and readable
 * by the user only. Where the OS offers no real encryption (Linux without a keyring falls back to a hard-coded
 * password), a secret is kept in memory for this session only: never in plain text on disk.
 */
import { safeStorage } from 'electron';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LLM_API_KEY, LLM_API_KEY_ENV, type SecretStore, type SecretStoreInfo } from './engine/symptoms/secret-store';

function encryptionUsable(): boolean {
  if (!safeStorage.isEncryptionAvailable()) return false;
  // Linux only: 'basic_text' means a password known to everyone, which is no protection.
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
  return backend !== 'basic_text' && backend !== 'unknown';
}

export class ElectronSecretStore implements SecretStore {
  private readonly memory = new Map<string, string>();

  constructor(private readonly dir: string) {
    const fromEnv = process.env[LLM_API_KEY_ENV]?.trim();
    if (fromEnv) this.memory.set(LLM_API_KEY, fromEnv);
  }

  private file(name: string): string {
    return join(this.dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.enc`);
  }

  get(name: string): string | null {
    const inMemory = this.memory.get(name);
    if (inMemory !== undefined) return inMemory;
    const path = this.file(name);
    if (!existsSync(path) || !encryptionUsable()) return null;
    try {
      return safeStorage.decryptString(readFileSync(path));
    } catch {
      // Encrypted by another user or machine: as if there were none.
      return null;
    }
  }

  set(name: string, value: string): void {
    const v = value.trim();
    const path = this.file(name);
    this.memory.delete(name);
    if (v === '') {
      rmSync(path, { force: true });
      return;
    }
    if (!encryptionUsable()) {
      this.memory.set(name, v);
      return;
    }
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, safeStorage.encryptString(v), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  }

  info(): SecretStoreInfo {
    return encryptionUsable()
      ? { storage: 'encrypted by the operating system (safeStorage), in the app folder', persistent: true }
      : { storage: 'this session only: the operating system offers no encryption for it', persistent: false };
  }
}
