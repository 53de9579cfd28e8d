/**
 * The managed image folder: every file named by its content, `<aa>/<sha256>.<ext>`.
 * A file arrives as a scratch file (written and fsynced), and is renamed into place inside the database
 * transaction that registers it, so another process's orphan collection never sees a file whose row is
 * about to be committed.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DataPaths } from '../paths';
import { scratchName } from './scratch';

const MANAGED_NAME = /^([0-9a-f]{64})\.([a-z0-9]{1,8})$/;
const SHARD = /^[0-9a-f]{2}$/;

export interface ManagedFile {
  relPath: string;
  sha256: string;
}

export interface ImageFolder {
  readonly root: string;
  relPathFor(sha256: string, ext: string): string;
  absPath(relPath: string): string;
  /** Write bytes to a durable scratch file; returns its path. */
  writeScratch(bytes: Uint8Array): Promise<string>;
  /** Move a scratch file to its managed name and make the rename durable. Synchronous: runs inside a transaction. */
  place(scratch: string, relPath: string): void;
  remove(relPath: string): void;
  read(relPath: string): Promise<Buffer>;
  /** Every file in the folder with a managed name, and the entries that have none (left alone). */
  scan(): { files: ManagedFile[]; foreign: string[] };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Make a directory entry change (create, rename) survive power loss. Windows cannot open directories. */
function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function imageFolder(paths: DataPaths): ImageFolder {
  const root = paths.images;
  return {
    root,
    relPathFor: (sha256, ext) => `${sha256.slice(0, 2)}/${sha256}.${ext}`,
    absPath: (relPath) => join(root, ...relPath.split('/')),
    async writeScratch(bytes) {
      const path = scratchName(paths.tmp, 'import');
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } catch (err) {
        await handle.close();
        await rm(path, { force: true });
        throw err;
      }
      await handle.close();
      return path;
    },
    place(scratch, relPath) {
      const target = join(root, ...relPath.split('/'));
      const dir = dirname(target);
      mkdirSync(dir, { recursive: true });
      renameSync(scratch, target);
      fsyncDir(dir);
    },
    remove(relPath) {
      rmSync(join(root, ...relPath.split('/')), { force: true });
    },
    read: (relPath) => readFile(join(root, ...relPath.split('/'))),
    scan() {
      const files: ManagedFile[] = [];
      const foreign: string[] = [];
      for (const shard of readdirSync(root, { withFileTypes: true })) {
        if (!shard.isDirectory() || !SHARD.test(shard.name)) {
          foreign.push(shard.name);
          continue;
        }
        for (const entry of readdirSync(join(root, shard.name), { withFileTypes: true })) {
          const m = MANAGED_NAME.exec(entry.name);
          if (entry.isFile() && m?.[1] !== undefined && m[1].startsWith(shard.name)) {
            files.push({ relPath: `${shard.name}/${entry.name}`, sha256: m[1] });
          } else {
            foreign.push(`${shard.name}/${entry.name}`);
          }
        }
      }
      return { files, foreign };
    },
  };
}
