/**
 * Scratch files in the data folder's tmp/ (same filesystem as their destination, so a rename finishes them).
 * Names carry the owning process id, so recovery removes only what a process that is gone left behind.
 * Other modules that need a scratch file or folder should take its name from `scratchName`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const SCRATCH_NAME = /^[a-z0-9-]+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** `<label>.<pid>.<random>.tmp` under tmpDir; label is lower-case letters, digits and dashes. */
export function scratchName(tmpDir: string, label: string): string {
  const safe = label.toLowerCase().replace(/[^a-z0-9-]/g, '-') || 'scratch';
  return join(tmpDir, `${safe}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** The owning pid of a scratch entry, or null when the name is not one of ours. */
export function scratchOwner(name: string): number | null {
  const m = SCRATCH_NAME.exec(name);
  return m?.[1] === undefined ? null : Number(m[1]);
}
