/**
 * Opening the SQLite database: refuse what we must not touch (a read-only folder, a newer schema) before
 * writing anything, then set the connection pragmas and migrate.
 */
import { closeSync, constants, accessSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { badInput, VipError } from '@shared/errors';
import { LATEST_SCHEMA_VERSION, migrate, readSchemaVersion } from './migrations';

/** How long a statement waits for another connection's write lock (the app and a CLI may share a folder). */
export const BUSY_TIMEOUT_MS = 10_000;

export function openDatabase(root: string, file: string, nativeBinding?: string): Database.Database {
  assertWritableFolder(root, file);
  let db: Database.Database;
  try {
    db = new Database(file, nativeBinding ? { nativeBinding } : {});
  } catch (err) {
    throw describeSqliteError(err, file);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = readSchemaVersion(db);
    if (version > LATEST_SCHEMA_VERSION) {
      throw badInput(
        `The database ${file} was created by a newer ViP Workstation (schema ${version}); ` +
          `this version supports up to ${LATEST_SCHEMA_VERSION}. Update the app or choose another data folder.`,
      );
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new VipError('unavailable', `Cannot use write-ahead logging for ${file} (journal mode ${String(mode)})`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw describeSqliteError(err, file);
  }
}

/**
 * SQLite silently falls back to read-only for a file it cannot write, and only fails later, mid-work.
 * Probe the folder (and the file) up front so the user gets one clear line and nothing is half-done.
 */
function assertWritableFolder(root: string, file: string): void {
  const probe = join(root, `.write-probe-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw badInput(
      `The data folder ${root} is not writable (${code}); choose a writable folder with --data or fix its permissions`,
    );
  }
  if (existsSync(file)) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw badInput(
        `The database ${file} is not writable (${code}); fix its permissions or choose another data folder`,
      );
    }
  }
}

/** SQLite's errors as one line a person can act on; our own VipErrors pass through. */
export function describeSqliteError(err: unknown, file: string): unknown {
  if (err instanceof VipError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return badInput(`The database ${file} cannot be written (${code}); check the data folder's permissions`);
  }
  if (code === 'SQLITE_NOTADB') return badInput(`${file} is not a ViP Workstation database (${err.message})`);
  if (code.startsWith('SQLITE_CORRUPT')) {
    return badInput(`The database ${file} is damaged (${err.message}); restore it from a backup`);
  }
  if (code.startsWith('SQLITE_BUSY')) {
    return new VipError('unavailable', `The database ${file} is busy (another ViP process holds it); try again`);
  }
  if (code === 'SQLITE_FULL') return new VipError('unavailable', `The disk holding ${file} is full`);
  return err;
}
