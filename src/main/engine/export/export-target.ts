/**
 * Where an export goes: a folder, or a zip file when the path ends in .zip. Either way nothing appears at the target
 * path until the export is complete: files are written (and fsynced) into a hidden staging folder beside the target
 * (same filesystem), which is then renamed to the target folder, or zipped into a hidden temporary file that is
 * fsynced and renamed to the target zip. Any failure (unwritable folder, full disk, a write error half way through
 * the zip) removes the staging folder and the temporary zip, so no partial export is left behind.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import yazl from 'yazl';
import { badInput, VipError } from '@shared/errors';

export type TargetKind = 'folder' | 'zip';

/** The file operations an export performs; tests replace them to simulate a full disk or a failing write. */
export interface ExportIo {
  mkdir(path: string): Promise<void>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  createWriteStream(path: string): Writable;
}

export const fsIo: ExportIo = {
  async mkdir(path) {
    await mkdir(path, { recursive: true });
  },
  async writeFile(path, data) {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  createWriteStream: (path): WriteStream => createWriteStream(path, { flags: 'wx' }),
};

const errnoCode = (err: unknown): string => (err as NodeJS.ErrnoException | null)?.code ?? 'error';

/** A filesystem error as one line a person can act on. */
export function describeWriteError(err: unknown, where: string): VipError {
  if (err instanceof VipError) return err;
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new VipError('unavailable', `The disk holding ${where} is full (${code}); nothing was exported`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return badInput(`Cannot write to ${where} (${code}); choose a writable folder`);
  if (code === 'ENOTDIR' || code === 'ENOENT')
    return badInput(`Cannot write to ${where} (${code}): a folder on the way is missing or is a file`);
  const message = err instanceof Error ? err.message : String(err);
  return new VipError(
    'unavailable',
    `Writing the export to ${where} failed (${code}: ${message}); nothing was exported`,
  );
}

async function fsyncPath(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The error of a cancelled export: by then the staging files are gone, so the message can promise that. */
export const exportCancelled = (path: string): VipError =>
  new VipError('cancelled', `Export cancelled: nothing was written to ${path}`);

/**
 * How a commit can still be stopped: `signal` interrupts zipping, and `seal()` is asked right before the rename
 * that makes the export appear; it answers false when the export was cancelled (after it, cancelling is too late).
 */
export interface CommitControl {
  signal?: AbortSignal;
  seal?(): boolean;
}

export interface ExportTarget {
  readonly kind: TargetKind;
  readonly path: string;
  /** Adds a file at a relative path (forward slashes). */
  add(relPath: string, data: Uint8Array | string): Promise<void>;
  /** Makes the export appear at its path; returns its size in bytes. */
  commit(control?: CommitControl): Promise<{ bytes: number; files: string[] }>;
  /** Removes everything written so far. Safe to call after a failed commit. */
  abort(): Promise<void>;
}

const SAFE_REL = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Checks the target path and creates the staging folder beside it. */
export async function openTarget(given: string, io: ExportIo = fsIo): Promise<ExportTarget> {
  if (!isAbsolute(given)) throw badInput(`The export destination must be an absolute path, not "${given}"`);
  const out = resolve(given);
  const kind: TargetKind = /\.zip$/i.test(out) ? 'zip' : 'folder';
  const parent = dirname(out);
  const name = basename(out);
  const parentStat = await stat(parent).catch((err: unknown) => {
    throw errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR'
      ? badInput(`The folder ${parent} does not exist; create it first or choose another destination`)
      : describeWriteError(err, parent);
  });
  if (!parentStat.isDirectory()) throw badInput(`${parent} is not a folder`);
  const existing = await stat(out).catch(() => null);
  let replaceEmptyFolder = false;
  if (existing) {
    if (kind === 'zip' || !existing.isDirectory())
      throw badInput(`${out} already exists; choose another name or remove it first`);
    if ((await readdir(out)).length > 0)
      throw badInput(`The folder ${out} already exists and is not empty; choose a new or empty folder`);
    replaceEmptyFolder = true;
  }

  const token = randomUUID();
  const staging = join(parent, `.${name}.${token}.partial`);
  const tempZip = join(parent, `.${name}.${token}.partial.zip`);
  try {
    await io.mkdir(staging);
  } catch (err) {
    throw describeWriteError(err, parent);
  }
  const files: string[] = [];
  const dirs = new Set<string>();
  let bytes = 0;

  const cleanup = async (): Promise<void> => {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await rm(tempZip, { force: true }).catch(() => undefined);
  };

  return {
    kind,
    path: out,
    async add(relPath, data) {
      if (!SAFE_REL.test(relPath) || relPath.split('/').includes('..'))
        throw new VipError('internal', `unsafe export path ${relPath}`);
      const bytesOf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const abs = join(staging, ...relPath.split('/'));
      try {
        const dir = dirname(abs);
        if (!dirs.has(dir)) {
          await io.mkdir(dir);
          dirs.add(dir);
        }
        await io.writeFile(abs, bytesOf);
      } catch (err) {
        throw describeWriteError(err, parent);
      }
      files.push(relPath);
      bytes += bytesOf.byteLength;
    },
    async commit(control = {}) {
      const sealOrThrow = (): void => {
        if (control.signal?.aborted || (control.seal && !control.seal())) throw exportCancelled(out);
      };
      try {
        if (kind === 'folder') {
          await fsyncPath(staging);
          sealOrThrow();
          if (replaceEmptyFolder) await rmdir(out);
          await rename(staging, out);
          await fsyncPath(parent);
          return { bytes, files: [...files] };
        }
        await writeZip(staging, files, tempZip, io, control.signal, () => exportCancelled(out));
        await fsyncPath(tempZip);
        const zipBytes = (await stat(tempZip)).size;
        sealOrThrow();
        await renameNoClobber(tempZip, out);
        await fsyncPath(parent);
        await rm(staging, { recursive: true, force: true });
        return { bytes: zipBytes, files: [...files] };
      } catch (err) {
        await cleanup();
        throw describeWriteError(err, parent);
      }
    },
    abort: cleanup,
  };
}

/**
 * Moves the finished zip into place unless something appeared there meanwhile (another export to the same name):
 * a hard link fails rather than replace. Filesystems without hard links (FAT, exFAT on USB sticks) fall back to a
 * check and a rename.
 */
async function renameNoClobber(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw badInput(`${to} already exists; choose another name or remove it first`);
    if (await stat(to).catch(() => null))
      throw badInput(`${to} already exists; choose another name or remove it first`);
    await rename(from, to);
    return;
  }
  await unlink(from);
}

/** Zips the staged files (read one at a time, so memory stays small) into zipPath; an abort stops it midway. */
function writeZip(
  staging: string,
  files: readonly string[],
  zipPath: string,
  io: ExportIo,
  signal: AbortSignal | undefined,
  cancelled: () => VipError,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const zip = new yazl.ZipFile();
    let out: Writable;
    try {
      out = io.createWriteStream(zipPath);
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let settled = false;
    const onAbort = (): void => fail(cancelled());
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      zip.outputStream.unpipe(out);
      const error = err instanceof Error ? err : new Error(String(err));
      // Settled once the file is closed: a stream still opening would otherwise create it after the cleanup ran.
      if (out.closed) reject(error);
      else out.once('close', () => reject(error));
      out.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    out.on('error', fail);
    zip.on('error', fail);
    zip.outputStream.on('error', fail);
    out.on('close', () => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    zip.outputStream.pipe(out);
    for (const rel of [...files].sort()) {
      // PNG and PDF are compressed already; deflating them again only costs time.
      const compress = !/\.(png|pdf)$/i.test(rel);
      zip.addFile(join(staging, ...rel.split('/')), rel, { compress, mode: 0o644 });
    }
    zip.end();
  });
}
