/**
 * A PACS node's password (basic auth) or token (bearer). Same rule as the LLM API key (symptoms/secret-store.ts): the
 * secret lives in the host's SecretStore (Electron safeStorage in the desktop app, memory in the CLI and `vip serve`),
 * never in SQLite, never in a result. The environment variable VIP_PACS_<NAME>_PASSWORD / VIP_PACS_<NAME>_TOKEN
 * (NAME upper-cased, "-" as "_") wins over the store, which is how the CLI gets a secret without a prompt.
 */
import type { PacsAuth } from '@shared/contract';
import { secretStore } from '../symptoms/secret-store';

/** The environment variable that supplies a node's secret, or null for auth 'none'. */
export function secretEnvVar(name: string, auth: PacsAuth): string | null {
  if (auth === 'none') return null;
  const key = name.toUpperCase().replace(/-/g, '_');
  return `VIP_PACS_${key}_${auth === 'basic' ? 'PASSWORD' : 'TOKEN'}`;
}

const storeKey = (name: string): string => `pacs-${name.toLowerCase()}`;

export type SecretSource = 'environment' | 'store' | 'none';

export interface ResolvedSecret {
  value: string | null;
  source: SecretSource;
}

export function resolveSecret(name: string, auth: PacsAuth, env: NodeJS.ProcessEnv = process.env): ResolvedSecret {
  if (auth === 'none') return { value: null, source: 'none' };
  const envVar = secretEnvVar(name, auth);
  const fromEnv = envVar ? env[envVar]?.trim() : undefined;
  if (fromEnv) return { value: fromEnv, source: 'environment' };
  const stored = secretStore().get(storeKey(name));
  return stored ? { value: stored, source: 'store' } : { value: null, source: 'none' };
}

/** An empty value removes the stored secret. */
export function storeSecret(name: string, value: string): void {
  secretStore().set(storeKey(name), value);
}

export function forgetSecret(name: string): void {
  secretStore().set(storeKey(name), '');
}

/** Replaces the secret (and its basic-auth encoding) in text bound for a message or a log. */
export function redactSecret(text: string, secret: string | null): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[secret]');
}
