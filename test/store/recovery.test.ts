import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scratchName } from '../../src/main/engine/store/scratch';
import { openEngine, sha256, solidPng, tempDir } from './helpers';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

const recoverEntries = (engine: ReturnType<typeof openEngine>) =>
  engine.store.audit.list(0, 100).entries.filter((e) => e.action === 'store.recover');

describe('recovery on open', () => {
  it('collects orphan files and scratch files of dead processes, and audits what it collected', async () => {
    const first = openEngine(dir.path);
    const report = await first.call('cases.importFiles', {
      files: [{ name: 'kept.png', data: await solidPng(4, 4, [1, 2, 3]) }],
    });
    const kept = report.outcomes[0]!;
    if (kept.status !== 'imported') throw new Error('import failed');
    const keptPath = first.store.imageFiles.absPath(first.store.images.get(kept.imageId)!.relPath);
    first.close();

    const orphanSha = 'ab'.padEnd(64, 'c');
    const orphan = join(dir.path, 'images', 'ab', `${orphanSha}.png`);
    mkdirSync(join(orphan, '..'), { recursive: true });
    writeFileSync(orphan, 'left by a killed import');
    const foreignInImages = join(dir.path, 'images', 'README.txt');
    writeFileSync(foreignInImages, 'not ours: left alone');

    const tmp = join(dir.path, 'tmp');
    const dead = deadPid();
    const deadScratch = join(tmp, `import.${dead}.0123456789ab.tmp`);
    writeFileSync(deadScratch, 'partial');
    const deadScratchDir = join(tmp, `model-import.${dead}.ba9876543210.tmp`);
    mkdirSync(deadScratchDir);
    writeFileSync(join(deadScratchDir, 'part'), 'x');
    const liveScratch = scratchName(tmp, 'import');
    writeFileSync(liveScratch, 'this process is alive');
    const freshForeign = join(tmp, 'something-else');
    writeFileSync(freshForeign, 'recent, not ours');

    const engine = openEngine(dir.path);
    try {
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(keptPath)).toBe(true);
      expect(existsSync(foreignInImages)).toBe(true);
      expect(existsSync(deadScratch)).toBe(false);
      expect(existsSync(deadScratchDir)).toBe(false);
      expect(existsSync(liveScratch)).toBe(true);
      expect(existsSync(freshForeign)).toBe(true);
      expect(engine.store.recovery.orphanFiles).toEqual([`ab/${orphanSha}.png`]);

      const entries = recoverEntries(engine);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        actor: 'system',
        detail: { orphanFiles: 1, orphanSample: [`ab/${orphanSha}.png`], scratchEntries: 2, missingFiles: 0 },
      });
    } finally {
      engine.close();
    }

    // Nothing left to collect: the next open writes no audit entry.
    rmSync(liveScratch);
    const again = openEngine(dir.path);
    try {
      expect(recoverEntries(again)).toHaveLength(1);
    } finally {
      again.close();
    }
  });

  it('reports a registered image whose file is missing, keeps its row, and a re-import restores the file', async () => {
    const first = openEngine(dir.path);
    const png = await solidPng(4, 4, [9, 8, 7]);
    const report = await first.call('cases.importFiles', { files: [{ name: 'lost.png', data: png }] });
    const o = report.outcomes[0]!;
    if (o.status !== 'imported') throw new Error('import failed');
    rmSync(first.store.imageFiles.absPath(first.store.images.get(o.imageId)!.relPath));
    first.close();

    const engine = openEngine(dir.path);
    try {
      expect(engine.store.recovery.missingFiles).toEqual([o.imageId]);
      expect(engine.store.images.get(o.imageId)).not.toBeNull();
      expect(recoverEntries(engine)[0]).toMatchObject({ detail: { missingFiles: 1, missingImageIds: [o.imageId] } });

      // Importing the same content again puts the file back.
      const again = await engine.call('cases.importFiles', { files: [{ name: 'found.png', data: png }] });
      expect(again.outcomes[0]).toMatchObject({ status: 'duplicate', imageId: o.imageId });
      const restored = readFileSync(engine.store.imageFiles.absPath(engine.store.images.get(o.imageId)!.relPath));
      expect(sha256(restored)).toBe(sha256(png));
    } finally {
      engine.close();
    }
  });
});

describe('training runs left behind', () => {
  it('marks a run still running from a process that is gone as interrupted, and leaves live ones alone', () => {
    const first = openEngine(dir.path);
    const runs = first.store.trainingRuns;
    const abandoned = runs.create({ config: { epochs: 3 } });
    runs.markRunning(abandoned);
    runs.appendEpoch(abandoned, { epoch: 1, loss: 0.9 });
    first.store.db.prepare('UPDATE training_runs SET owner_pid = ? WHERE id = ?').run(deadPid(), abandoned);
    const ownerless = runs.create({ config: {} });
    first.store.db.prepare('UPDATE training_runs SET owner_pid = NULL WHERE id = ?').run(ownerless);
    const live = runs.create({ config: {} });
    runs.markRunning(live);
    const done = runs.create({ config: {} });
    runs.markRunning(done);
    runs.finish(done, 'completed');
    first.close();

    const engine = openEngine(dir.path);
    try {
      const get = (id: number) => engine.store.trainingRuns.get(id)!;
      expect(get(abandoned)).toMatchObject({ status: 'interrupted', epochs: [{ epoch: 1, loss: 0.9 }] });
      expect(get(abandoned).finishedAt).not.toBeNull();
      expect(get(abandoned).error).toMatch(/stopped before it finished/);
      expect(get(ownerless).status).toBe('interrupted');
      expect(get(live).status).toBe('running'); // owned by this test process, which is alive
      expect(get(done).status).toBe('completed');
      expect(engine.store.recovery.interruptedRuns.sort()).toEqual([abandoned, ownerless].sort());
      expect(recoverEntries(engine)[0]).toMatchObject({
        detail: { interruptedRuns: expect.arrayContaining([abandoned, ownerless]) },
      });
    } finally {
      engine.close();
    }
  });
});
