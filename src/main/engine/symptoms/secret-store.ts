/**
 * Where secrets live: the LLM API key, and PACS passwords and tokens (pacs/node-secrets.ts). The engine never imports
 * electron, so the host hands it a SecretStore: the desktop app one backed by Electron's safeStorage
 * (src/main/secret-store-electron.ts), the CLI and `vip serve` one that keeps secrets in memory, the LLM key seeded
 * from VIP_LLM_API_KEY (PACS secrets come from VIP_PACS_<NAME>_PASSWORD / _TOKEN, read by node-secrets.ts). Neither
 * ever writes a secret in plain text to the store or a log.
 */

export const LLM_API_KEY = 'llm-api-key';
export const LLM_API_KEY_ENV = 'VIP_LLM_API_KEY';

export interface SecretStoreInfo {
  /** For the UI: where the key is kept, in words ("encrypted by the operating system", "this session only"). */
  storage: string;
  /** Whether a key set now survives a restart. */
  persistent: boolean;
}

export interface SecretStore {
  get(name: string): string | null;
  /** An empty value removes the secret. */
  set(name: string, value: string): void;
  info(): SecretStoreInfo;
}

/** The CLI's and the browser host's store: the environment's key, replaceable for this process's lifetime. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const fromEnv = env[LLM_API_KEY_ENV]?.trim();
    if (fromEnv) this.values.set(LLM_API_KEY, fromEnv);
  }

  get(name: string): string | null {
    return this.values.get(name) ?? null;
  }

  set(name: string, value: string): void {
    const v = value.trim();
    if (v === '') this.values.delete(name);
    else this.values.set(name, v);
  }

  info(): SecretStoreInfo {
    return { storage: `this process only (set ${LLM_API_KEY_ENV} to provide it at start)`, persistent: false };
  }
}

let installed: SecretStore | null = null;

/** The desktop app installs its safeStorage-backed store before the first call; everything else gets the memory one. */
export function installSecretStore(store: SecretStore): void {
  installed = store;
}

export function secretStore(): SecretStore {
  installed ??= new MemorySecretStore();
  return installed;
}

/** Replaces every occurrence of a secret in text bound for a message or a log. */
export function redact(text: string, secret: string | null | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[API key]');
}
