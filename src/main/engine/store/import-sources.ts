/**
 * What an import batch reads: the paths a user named, with folders expanded recursively, or uploaded bytes.
 * Problems with a path (missing, not a regular file, an empty folder) become per-entry errors, never a
 * failed batch.
 */
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { badInput, VipError } from '@shared/errors';

/** Above this a file is refused rather than read into memory. */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

const OPEN_FLAGS = process.platform === 'win32' ? 'r' : constants.O_RDONLY | constants.O_NONBLOCK;

export interface ImportSource {
  /** What the outcome reports: the path as found, or the uploaded name. */
  label: string;
  originalName: string;
  /** Reads the file; rejects with a one-line badInput reason. */
  read(): Promise<Uint8Array>;
}

export type SourceEntry = { source: ImportSource } | { label: string; error: string };

/** Files that folders commonly hold besides images; skipped inside folders, reported when named directly. */
const FOLDER_NOISE = /^(\..*|thumbs\.db|desktop\.ini|dicomdir)$/i;

function errnoReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'EISDIR':
      return 'is a folder';
    default:
      return code ? `cannot read (${code})` : `cannot read (${String(err)})`;
  }
}

function fileSource(path: string): ImportSource {
  return {
    label: path,
    originalName: basename(path),
    async read() {
      // Non-blocking open, then check what was opened: a file swapped for a FIFO after the walk cannot hang us.
      let handle;
      try {
        handle = await open(path, OPEN_FLAGS);
      } catch (err) {
        throw badInput(errnoReason(err));
      }
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw badInput('not a regular file');
        if (info.size > MAX_IMPORT_BYTES) throw badInput(`file is larger than ${MAX_IMPORT_BYTES / 1024 ** 3} GiB`);
        return await handle.readFile();
      } catch (err) {
        throw err instanceof VipError ? err : badInput(errnoReason(err));
      } finally {
        await handle.close();
      }
    },
  };
}

export function uploadSource(name: string, data: Uint8Array): ImportSource {
  return { label: name, originalName: basename(name.replace(/\\/g, '/')) || name, read: () => Promise.resolve(data) };
}

/** Expand paths into sources in a stable order (folders sorted by name). */
export async function expandPaths(paths: readonly string[]): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let info;
    try {
      info = await stat(abs);
    } catch (err) {
      out.push({ label: p, error: errnoReason(err) });
      continue;
    }
    if (info.isFile()) out.push({ source: fileSource(abs) });
    else if (info.isDirectory()) {
      const found: SourceEntry[] = [];
      await walk(abs, found, new Set());
      if (found.length === 0) out.push({ label: p, error: 'folder contains no files to import' });
      out.push(...found);
    } else out.push({ label: p, error: 'not a regular file or folder' });
  }
  return out;
}

async function walk(dir: string, out: SourceEntry[], seen: Set<string>): Promise<void> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    out.push({ label: dir, error: errnoReason(err) });
    return;
  }
  if (seen.has(real)) return; // a symbolic link back up the tree
  seen.add(real);
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    out.push({ label: dir, error: errnoReason(err) });
    return;
  }
  for (const name of names) {
    if (FOLDER_NOISE.test(name)) continue;
    const path = join(dir, name);
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      out.push({ label: path, error: errnoReason(err) });
      continue;
    }
    if (info.isDirectory()) await walk(path, out, seen);
    else if (info.isFile()) out.push({ source: fileSource(path) });
    // Sockets, FIFOs and devices inside folders are not files anyone meant to import.
  }
}
