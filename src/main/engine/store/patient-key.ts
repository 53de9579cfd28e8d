/**
 * De-identified patient keys: an HMAC of the patient ID under a random salt kept in this data folder.
 * The same patient gets the same key within one data folder (so cases can be grouped), and the key
 * cannot be turned back into the ID without the salt. Keys differ between data folders.
 */
import { createHmac } from 'node:crypto';
import type { MetaRepo } from './meta-repo';
import { randomSecret } from './meta-repo';

const SALT_KEY = 'patient_key_salt';

export type PatientKeyer = (patientId: string | null | undefined) => string | null;

export function patientKeyer(meta: MetaRepo): PatientKeyer {
  let salt: string | null = null;
  return (patientId) => {
    const id = patientId?.trim();
    if (!id) return null;
    salt ??= meta.getOrCreate(SALT_KEY, randomSecret);
    return 'pk-' + createHmac('sha256', salt).update(id, 'utf8').digest('hex').slice(0, 20);
  };
}
