/**
 * A failed model job (download, demo, import) in words a clinician can act on, with the technical message kept for
 * the "Details" disclosure. The engine's messages are precise but speak of HTTP codes, repositories and tensors; the
 * headline says what to do.
 */
import type { ModelJobKind } from '@shared/contract';
import { VipError } from '@shared/errors';

export interface JobFailure {
  code: string;
  message: string;
  detail?: string;
}

interface Rule {
  test: RegExp;
  message: string;
  /** The kinds of job the rule speaks for (all when absent). */
  kinds?: readonly ModelJobKind[];
}

const rules: Rule[] = [
  {
    test: /No space left|ENOSPC/i,
    message: 'The disk is full. Free some space on the drive that holds the data folder, then start again.',
  },
  {
    test: /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ECONNRESET|fetch failed|no data for|failed after \d+ attempts/i,
    message:
      'The model server could not be reached. Check the network connection (or the proxy), then try again; the download resumes where it stopped.',
    kinds: ['fetch'],
  },
  {
    test: /Repository .* not found/i,
    message:
      'No model with this name was found on the server. Check the spelling (owner/name), or whether it is private.',
    kinds: ['fetch'],
  },
  {
    test: /Revision .* not found/i,
    message: 'This version of the model does not exist on the server.',
    kinds: ['fetch'],
  },
  {
    test: /Access to .* denied/i,
    message: 'The server refused access to this model. It may need a licence acceptance or an access token (HF_TOKEN).',
    kinds: ['fetch'],
  },
  {
    test: /has no file|has neither|has no model\.safetensors|not supported|not a CLIP|config\.json/i,
    message: 'This repository is not a CLIP model the workstation can use (it lacks the files a CLIP package needs).',
    kinds: ['fetch'],
  },
  {
    test: /Checksum mismatch/i,
    message: 'A downloaded file was damaged on the way (its checksum does not match). Start the download again.',
    kinds: ['fetch'],
  },
  { test: /already exists/i, message: 'A model package with this id is already installed. Choose another id.' },
  {
    test: /EACCES|EPERM|EROFS/i,
    message: 'The workstation may not write to the data folder (permissions, or a read-only drive).',
  },
];

const fallback: Record<ModelJobKind, string> = {
  fetch: 'The download did not complete',
  'create-demo': 'The demo package could not be built',
  import: 'The folder could not be imported',
};

export function describeJobFailure(kind: ModelJobKind, err: unknown): JobFailure {
  const technical = err instanceof Error ? err.message : String(err);
  const code = err instanceof VipError ? err.code : 'internal';
  const extra = err instanceof VipError && err.detail ? `\n${err.detail}` : '';
  const rule = rules.find((r) => (!r.kinds || r.kinds.includes(kind)) && r.test.test(technical + extra));
  return { code, message: rule?.message ?? `${fallback[kind]}: ${technical}`, detail: technical + extra };
}
