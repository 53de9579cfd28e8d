/**
 * Crash safety with a real process: the built CLI imports a folder of many files and is killed (SIGKILL)
 * mid-batch, twice. Afterwards the database is intact, every committed row has its file with the right
 * hash, every import the CLI reported is committed, and the next open leaves no orphan or scratch file.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltCli, vipBin } from './built-cli';
import { listFiles, openEngine, sha256, solidPng, tempDir } from './helpers';

const FILES = 150;
let dir: ReturnType<typeof tempDir>;
let inbox: string;
let data: string;

beforeAll(async () => {
  ensureBuiltCli();
  dir = tempDir('vip-crash-');
  inbox = join(dir.path, 'inbox');
  data = join(dir.path, 'data');
  mkdirSync(inbox);
  for (let i = 0; i < FILES; i++) {
    const png = await solidPng(24, 24, [i % 256, (i * 7) % 256, 200]);
    writeFileSync(join(inbox, `img-${String(i).padStart(3, '0')}.png`), png);
  }
});
afterAll(() => dir?.cleanup());

/**
 * Start an import and SIGKILL it once `killAfter` progress lines have appeared, either at once or (onScratch)
 * when the next scratch file shows up in tmp/, i.e. while a file is between its scratch copy and its commit.
 * Returns the files the process reported imported.
 */
function importAndKill(
  killAfter: number,
  onScratch: boolean,
): Promise<{ reportedImported: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    mkdirSync(join(data, 'tmp'), { recursive: true });
    let armed = false;
    const watcher = watch(join(data, 'tmp'), () => {
      if (armed) child.kill('SIGKILL');
    });
    const child = spawn(process.execPath, [vipBin, '--data', data, 'cases', 'import', inbox], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const reportedImported: string[] = [];
    let lines = 0;
    let buffered = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) {
        const m = /^\[\d+\/\d+\] imported\s+(\S+)/.exec(line);
        if (m?.[1]) reportedImported.push(m[1]);
        if (/^\[\d+\/\d+\]/.test(line)) lines++;
      }
      if (lines >= killAfter) {
        if (onScratch) armed = true;
        else child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      watcher.close();
      resolve({ reportedImported, signal });
    });
  });
}

function checkDatabase(reported: string[]): { rows: number } {
  const db = new Database(join(data, 'vip.db'));
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = db.prepare('SELECT id, sha256, rel_path, original_name FROM images').all() as {
      sha256: string;
      rel_path: string;
      original_name: string;
    }[];
    for (const r of rows) {
      const bytes = readFileSync(join(data, 'images', ...r.rel_path.split('/')));
      expect(sha256(bytes)).toBe(r.sha256);
      expect(sha256(readFileSync(join(inbox, r.original_name)))).toBe(r.sha256);
    }
    // Every import the process announced was committed before it said so.
    const names = new Set(rows.map((r) => r.original_name));
    for (const path of reported) expect(names.has(path.split(/[\\/]/).pop()!)).toBe(true);
    return { rows: rows.length };
  } finally {
    db.close();
  }
}

describe('a batch import killed with SIGKILL', () => {
  it('leaves a consistent store, and the next open collects what the killed process left', async () => {
    let committed = 0;
    for (const [killAfter, onScratch] of [
      [20, false],
      [50, true],
      [80, true],
    ] as const) {
      const { reportedImported, signal } = await importAndKill(killAfter, onScratch);
      expect(signal).toBe('SIGKILL');
      const { rows } = checkDatabase(reportedImported);
      expect(rows).toBeGreaterThanOrEqual(committed + reportedImported.length);
      expect(rows).toBeLessThan(FILES);
      committed = rows;

      const engine = openEngine(data);
      try {
        const registered = new Set(engine.store.images.allFiles().map((f) => f.relPath));
        expect(listFiles(join(data, 'images')).filter((f) => !registered.has(f))).toEqual([]);
        expect(readdirSync(join(data, 'tmp'))).toEqual([]);
        expect(engine.store.recovery.missingFiles).toEqual([]);
        const starts = engine.store.audit.list(0, 1000).entries.filter((e) => e.action === 'cases.import.start');
        expect(starts.length).toBeGreaterThanOrEqual(1);
      } finally {
        engine.close();
      }
    }

    // Finishing the job: everything not yet stored is imported, the rest are duplicates.
    const engine = openEngine(data);
    try {
      const report = await engine.call('cases.importPaths', { paths: [inbox] });
      expect(report.errors).toBe(0);
      expect(report.imported + report.duplicates).toBe(FILES);
      expect(report.duplicates).toBe(committed);
      expect(engine.store.images.allFiles()).toHaveLength(FILES);
      expect(listFiles(join(data, 'images'))).toHaveLength(FILES);
    } finally {
      engine.close();
    }
  });
});
