/** Adding, changing and removing PACS nodes: the rules that tie a node's row to its secret. */
import type { PacsAuth, PacsNodeInfo } from '@shared/contract';
import { badInput, notFound } from '@shared/errors';
import type Database from 'better-sqlite3';
import { secretStore } from '../symptoms/secret-store';
import { pacsNodeRepo, type PacsNode } from './node-repo';
import { forgetSecret, resolveSecret, secretEnvVar, storeSecret } from './node-secrets';

export function nodeInfo(node: PacsNode): PacsNodeInfo {
  const secret = resolveSecret(node.name, node.auth);
  const storage = secretStore().info();
  const envVar = secretEnvVar(node.name, node.auth);
  // The store's own wording names the LLM key's variable where it keeps secrets in memory; name this node's instead.
  const where =
    storage.persistent || !envVar ? storage.storage : `this session only (set ${envVar} to provide it at start)`;
  return {
    name: node.name,
    url: node.url,
    auth: node.auth,
    username: node.username,
    timeoutSeconds: node.timeoutSeconds,
    hasSecret: node.auth === 'none' || secret.value !== null,
    secretSource: secret.source,
    secretEnvVar: envVar,
    secretStorage: where,
    secretPersistent: storage.persistent,
    createdAt: node.createdAt,
    updatedAt: node.updatedAt,
  };
}

/** The service root without a trailing slash, so paths join as `${url}/studies`. */
const normalizeUrl = (url: string): string => url.replace(/\/+$/, '');

function checkAuth(auth: PacsAuth, username: string | null): void {
  if (auth === 'basic' && !username) throw badInput('basic auth needs a user name (--user)');
  if (auth !== 'basic' && username) throw badInput(`a user name only goes with basic auth, not "${auth}"`);
}

export function requireNode(db: Database.Database, name: string): PacsNode {
  const node = pacsNodeRepo(db).get(name);
  if (!node) throw notFound(`no PACS named "${name}" (see vip pacs list)`);
  return node;
}

export interface AddNode {
  name: string;
  url: string;
  auth: PacsAuth;
  username?: string | undefined;
  secret?: string | undefined;
  timeoutSeconds: number;
}

export function addNode(db: Database.Database, params: AddNode): PacsNode {
  const username = params.username ?? null;
  checkAuth(params.auth, username);
  if (params.auth === 'none' && params.secret) throw badInput('a password or token needs --auth basic or bearer');
  const repo = pacsNodeRepo(db);
  const inserted = repo.insert({
    name: params.name,
    url: normalizeUrl(params.url),
    auth: params.auth,
    username,
    timeoutSeconds: params.timeoutSeconds,
  });
  if (!inserted) throw badInput(`a PACS named "${params.name}" exists already`);
  // A secret left behind by an earlier node of the same name must not silently apply to this one.
  forgetSecret(params.name);
  if (params.secret) storeSecret(params.name, params.secret);
  return requireNode(db, params.name);
}

export interface UpdateNode {
  name: string;
  url?: string | undefined;
  auth?: PacsAuth | undefined;
  username?: string | null | undefined;
  secret?: string | undefined;
  timeoutSeconds?: number | undefined;
}

export function updateNode(db: Database.Database, params: UpdateNode): PacsNode {
  const current = requireNode(db, params.name);
  const auth = params.auth ?? current.auth;
  // Switching away from basic drops the user unless a new one is given.
  const username = params.username !== undefined ? params.username : auth === 'basic' ? current.username : null;
  checkAuth(auth, username);
  if (auth === 'none' && params.secret) throw badInput('a password or token needs auth basic or bearer');
  pacsNodeRepo(db).update(current.name, {
    ...(params.url !== undefined ? { url: normalizeUrl(params.url) } : {}),
    auth,
    username,
    ...(params.timeoutSeconds !== undefined ? { timeoutSeconds: params.timeoutSeconds } : {}),
  });
  // A changed auth kind makes the old secret meaningless (a password is no token).
  if (auth !== current.auth || auth === 'none') forgetSecret(current.name);
  if (params.secret !== undefined) storeSecret(current.name, params.secret);
  return requireNode(db, current.name);
}

export function removeNode(db: Database.Database, name: string): string {
  const node = requireNode(db, name);
  pacsNodeRepo(db).remove(node.name);
  forgetSecret(node.name);
  return node.name;
}
