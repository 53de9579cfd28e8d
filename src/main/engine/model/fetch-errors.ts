/**
 * A failed hub download in words a clinician can act on, with the technical message kept for the "Details"
 * disclosure. The engine's messages are precise but speak of HTTP codes and repositories; the headline says what
 * to do.
 */
import { VipError } from '@shared/errors';

export interface FetchFailure {
  code: string;
  message: string;
  detail?: string;
}

const rules: Array<{ test: RegExp; message: string }> = [
  {
    test: /No space left|ENOSPC/i,
    message:
      'The disk is full. Free some space on the drive that holds the data folder, then start the download again.',
  },
  {
    test: /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ECONNRESET|fetch failed|no data for|failed after \d+ attempts/i,
    message:
      'The model server could not be reached. Check the network connection (or the proxy), then try again; the download resumes where it stopped.',
  },
  {
    test: /Repository .* not found/i,
    message:
      'No model with this name was found on the server. Check the spelling (owner/name), or whether it is private.',
  },
  { test: /Revision .* not found/i, message: 'This version of the model does not exist on the server.' },
  {
    test: /Access to .* denied/i,
    message: 'The server refused access to this model. It may need a licence acceptance or an access token (HF_TOKEN).',
  },
  {
    test: /has no file|has neither|has no model\.safetensors|not supported|not a CLIP|config\.json/i,
    message: 'This repository is not a CLIP model the workstation can use (it lacks the files a CLIP package needs).',
  },
  {
    test: /Checksum mismatch/i,
    message: 'A downloaded file was damaged on the way (its checksum does not match). Start the download again.',
  },
  { test: /already exists/i, message: 'A model package with this id is already installed. Choose another id.' },
];

export function describeFetchFailure(err: unknown): FetchFailure {
  const technical = err instanceof Error ? err.message : String(err);
  const code = err instanceof VipError ? err.code : 'internal';
  const extra = err instanceof VipError && err.detail ? `\n${err.detail}` : '';
  const rule = rules.find((r) => r.test.test(technical + extra));
  return {
    code,
    message: rule?.message ?? `The download did not complete: ${technical}`,
    detail: technical + extra,
  };
}
