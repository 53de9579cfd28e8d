/**
 * The PACS node form's logic (no DOM): a draft from a node, what is wrong with a draft in the reader's words, and the
 * `pacs.add` / `pacs.update` parameters it becomes. The secret travels only when the reader typed one.
 */
import type { PacsAuth, PacsNodeInfo, Params } from '@shared/contract';

export interface NodeDraft {
  readonly name: string;
  readonly url: string;
  readonly auth: PacsAuth;
  readonly username: string;
  /** Typed now; empty means "keep what is stored" when editing. */
  readonly secret: string;
  /** As typed (a number input's text). */
  readonly timeoutSeconds: string;
}

export const newDraft: NodeDraft = {
  name: '',
  url: '',
  auth: 'none',
  username: '',
  secret: '',
  timeoutSeconds: '30',
};

export function draftOf(node: PacsNodeInfo): NodeDraft {
  return {
    name: node.name,
    url: node.url,
    auth: node.auth,
    username: node.username ?? '',
    secret: '',
    timeoutSeconds: String(node.timeoutSeconds),
  };
}

export type DraftProblems = Partial<Record<'name' | 'url' | 'username' | 'timeoutSeconds', string>>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function draftProblems(d: NodeDraft): DraftProblems {
  const problems: DraftProblems = {};
  if (!NAME.test(d.name.trim()))
    problems.name = 'Use 1-64 letters, digits, "-" or "_", starting with a letter or digit.';
  const url = d.url.trim();
  if (!/^https?:\/\/\S+$/i.test(url)) problems.url = 'Use the http:// or https:// address of the DICOMweb service.';
  else if (/^https?:\/\/[^/]*@/i.test(url))
    problems.url = 'Leave the user and password out of the address; use the fields below.';
  else {
    try {
      new URL(url);
    } catch {
      problems.url = 'This is not a valid web address.';
    }
  }
  if (d.auth === 'basic' && d.username.trim() === '') problems.username = 'Basic authentication needs a user name.';
  const timeout = Number(d.timeoutSeconds);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600)
    problems.timeoutSeconds = 'Give a number of seconds between 1 and 3600.';
  return problems;
}

export function hasProblems(p: DraftProblems): boolean {
  return Object.keys(p).length > 0;
}

export function addParams(d: NodeDraft): Params<'pacs.add'> {
  return {
    name: d.name.trim(),
    url: d.url.trim(),
    auth: d.auth,
    ...(d.auth === 'basic' ? { username: d.username.trim() } : {}),
    ...(d.auth !== 'none' && d.secret !== '' ? { secret: d.secret } : {}),
    timeoutSeconds: Number(d.timeoutSeconds),
  };
}

/** Only what changed; an empty secret field keeps the stored secret. */
export function updateParams(d: NodeDraft, node: PacsNodeInfo): Params<'pacs.update'> {
  const url = d.url.trim();
  const username = d.auth === 'basic' ? d.username.trim() : null;
  const timeout = Number(d.timeoutSeconds);
  return {
    name: node.name,
    ...(url !== node.url ? { url } : {}),
    ...(d.auth !== node.auth ? { auth: d.auth } : {}),
    ...(username !== node.username ? { username } : {}),
    ...(d.auth !== 'none' && d.secret !== '' ? { secret: d.secret } : {}),
    ...(timeout !== node.timeoutSeconds ? { timeoutSeconds: timeout } : {}),
  };
}

export const AUTH_LABELS: Record<PacsAuth, string> = {
  none: 'None',
  basic: 'Basic (user name and password)',
  bearer: 'Bearer token',
};

/** Where the node's password or token stands, for the node list. */
export function secretStatus(node: PacsNodeInfo): { text: string; missing: boolean } {
  if (node.auth === 'none') return { text: 'No authentication', missing: false };
  const what = node.auth === 'basic' ? 'Password' : 'Token';
  if (node.secretSource === 'environment')
    return { text: `${what} from ${node.secretEnvVar ?? 'the environment'}`, missing: false };
  if (node.secretSource === 'store')
    return {
      // The memory store's own wording names the LLM key's variable; say it plainly instead.
      text: node.secretPersistent
        ? `${what} stored: ${node.secretStorage}`
        : `${what} kept in memory until the workstation closes`,
      missing: false,
    };
  return {
    text: `${what} missing: edit the node to enter it${node.secretEnvVar ? `, or set ${node.secretEnvVar}` : ''}`,
    missing: true,
  };
}
