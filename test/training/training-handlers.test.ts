/**
 * `training.start` / `training.cancel` through the engine's contract: the call returns the run id at once, progress
 * arrives as `training.progress` events, and a finished event carries the status and the new model version. Also
 * training on reviewed cases of the store. (From the TypeScript sources the job runs in-process; the built CLI test
 * covers the worker thread.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingProgress } from '../../src/shared/contract';
import { Engine } from '../../src/main/engine/engine';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';

let root: string;
let engine: Engine;
let symptomsPath: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-train-handlers-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
  await writeSyntheticDataset(join(root, 'ds'), { perClass: { train: 8, test: 2 }, size: 32 });
  symptomsPath = join(root, 'shapes.json');
  writeFileSync(symptomsPath, JSON.stringify(syntheticSymptoms));
});

afterAll(async () => {
  engine.close();
  await closeAllClipSessions();
  rmSync(root, { recursive: true, force: true });
});

/** Collects the events of one run until its finished event. */
function finished(runId: () => number | null): { events: TrainingProgress[]; done: Promise<TrainingProgress> } {
  const events: TrainingProgress[] = [];
  const done = new Promise<TrainingProgress>((resolve) => {
    const off = engine.events.on('training.progress', (p) => {
      if (p.runId !== runId()) return;
      events.push(p);
      if (p.phase === 'finished') {
        off();
        resolve(p);
      }
    });
  });
  return { events, done };
}

describe('training.start', () => {
  it('returns the run id, reports progress and finishes with a model version', async () => {
    let id: number | null = null;
    const watch = finished(() => id);
    const { runId } = await engine.call('training.start', {
      dataset: join(root, 'ds'),
      symptomsPath,
      epochs: 2,
      batchSize: 4,
      optimizer: 'adam',
    });
    id = runId;
    const end = await watch.done;
    expect(end).toMatchObject({ runId, phase: 'finished', status: 'completed' });
    expect(end.versionId).toBeGreaterThan(0);
    expect(watch.events.filter((e) => e.phase === 'epoch')).toHaveLength(2);
    expect(engine.store.trainingRuns.get(runId)?.status).toBe('completed');
    const { versions } = await engine.call('versions.list', {});
    expect(versions.map((v) => v.id)).toContain(end.versionId);
  });

  it('trains with the fast schedule unless told otherwise, and records the schedule and text engine used', async () => {
    const train = async (extra: { schedule?: 'exact' | 'fast'; textBackend?: 'auto' | 'onnx-vjp' | 'tfjs' }) => {
      let id: number | null = null;
      const watch = finished(() => id);
      const { runId } = await engine.call('training.start', {
        dataset: join(root, 'ds'),
        symptomsPath,
        epochs: 1,
        batchSize: 4,
        ...extra,
      });
      id = runId;
      const end = await watch.done;
      expect(end).toMatchObject({ status: 'completed' });
      const { versions } = await engine.call('versions.list', {});
      const version = versions.find((v) => v.id === end.versionId);
      const config = engine.store.trainingRuns.get(runId)?.config as {
        schedule: string;
        train: { contextEvery: number; textBackend: string };
      };
      return { version, config };
    };
    const byDefault = await train({});
    expect(byDefault.config.schedule).toBe('fast');
    expect(byDefault.config.train).toMatchObject({ contextEvery: 8, textBackend: 'auto' });
    expect(byDefault.version?.schedule).toBe('fast');

    const exact = await train({ schedule: 'exact', textBackend: 'tfjs' });
    expect(exact.config.schedule).toBe('exact');
    expect(exact.config.train).toMatchObject({ contextEvery: 1, textBackend: 'tfjs' });
    expect(exact.version?.schedule).toBe('exact');
    // The job ran the text tower with the engine asked for, not the one auto would time.
    expect((exact.version?.metrics as { textBackend?: { name: string } }).textBackend?.name).toBe('tfjs');

    await expect(
      engine.call('training.start', { dataset: join(root, 'ds'), symptomsPath, schedule: 'slow' as never }),
    ).rejects.toThrow(/schedule/);
  });

  it('training.cancel stops a run at its next step; the run is recorded as cancelled', async () => {
    let id: number | null = null;
    const watch = finished(() => id);
    let cancelled: Promise<{ cancelled: boolean }> | undefined;
    const off = engine.events.on('training.progress', (p) => {
      if (p.runId === id && p.phase === 'step' && !cancelled)
        cancelled = engine.call('training.cancel', { runId: p.runId });
    });
    const { runId } = await engine.call('training.start', {
      dataset: join(root, 'ds'),
      symptomsPath,
      epochs: 500,
      batchSize: 4,
    });
    id = runId;
    const end = await watch.done;
    off();
    expect(await cancelled).toEqual({ cancelled: true });
    expect(end).toMatchObject({ status: 'cancelled', versionId: null });
    expect(engine.store.trainingRuns.get(runId)?.status).toBe('cancelled');
    expect(await engine.call('training.cancel', { runId })).toEqual({ cancelled: false });
  });

  it('bad input is refused by the call itself, before a run exists', async () => {
    await expect(engine.call('training.start', { symptomSet: 'dermoscopy' })).rejects.toThrow(
      /give a dataset folder, fromReviews, or both/,
    );
    await expect(engine.call('training.start', { dataset: join(root, 'ds') })).rejects.toThrow(
      /symptomSet or a symptomsPath/,
    );
  });

  it('trains on reviewed cases, labelled by the review', async () => {
    const paths = [0, 1, 2, 3].flatMap((i) => [
      join(root, 'ds', 'train', 'round spot', `00${i}.png`),
      join(root, 'ds', 'train', 'striped', `00${i}.png`),
    ]);
    const report = await engine.call('cases.importPaths', { paths });
    for (const o of report.outcomes) {
      if (o.status !== 'imported') throw new Error(`import failed: ${JSON.stringify(o)}`);
      engine.store.reviews.insert({
        caseId: o.caseId,
        label: o.path.includes('striped') ? 'striped' : 'round spot',
        reviewer: 'dr. test',
      });
    }
    let id: number | null = null;
    const watch = finished(() => id);
    const { runId } = await engine.call('training.start', { fromReviews: true, symptomsPath, epochs: 1, batchSize: 2 });
    id = runId;
    const end = await watch.done;
    expect(end.status).toBe('completed');
    const ready = watch.events.find((e) => e.phase === 'ready');
    // 8 reviewed images: 10 % per class held out for validation (one each), 6 train.
    expect(ready?.total).toBe(6);
  });
});
