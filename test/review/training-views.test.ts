/**
 * The clinical UI's training and evidence methods over the tiny demo CLIP: training.preview counts the data as a run
 * splits it, training.list/get return a run with its epoch history and version, versions.compare scores the new
 * and the active version on the same validation images, versions.discard removes only unused versions, and
 * predictions.get returns what cases.predict saved (logit = prototype term + the symptom contributions).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingProgress } from '../../src/shared/contract';
import { Engine } from '../../src/main/engine/engine';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { importSymptomSetVersion } from '../../src/main/engine/store/symptom-set-repo';
import { parseSymptomSet } from '../../src/main/engine/vip/symptom-set';
import { symptomSetText } from '../../src/main/engine/vip/symptom-set-text';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';

let root: string;
let engine: Engine;
let symptomsPath: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-review-train-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
  await writeSyntheticDataset(join(root, 'ds'), { perClass: { train: 10, test: 2 }, size: 32 });
  symptomsPath = join(root, 'shapes.json');
  writeFileSync(symptomsPath, JSON.stringify(syntheticSymptoms));
});

afterAll(async () => {
  engine.close();
  await closeAllClipSessions();
  rmSync(root, { recursive: true, force: true });
});

function watchRun(id: () => number | null): Promise<TrainingProgress> {
  return new Promise((resolve) => {
    const off = engine.events.on('training.progress', (p) => {
      if (p.runId === id() && p.phase === 'finished') {
        off();
        resolve(p);
      }
    });
  });
}

async function train(seed: number): Promise<{ runId: number; versionId: number }> {
  let id: number | null = null;
  const done = new Promise<TrainingProgress>((resolve) => {
    const off = engine.events.on('training.progress', (p) => {
      if (p.runId === id && p.phase === 'finished') {
        off();
        resolve(p);
      }
    });
  });
  const { runId } = await engine.call('training.start', {
    dataset: join(root, 'ds'),
    symptomsPath,
    epochs: 2,
    batchSize: 4,
    optimizer: 'adam',
    valFraction: 0.2,
    seed,
  });
  id = runId;
  const end = await done;
  if (end.status !== 'completed' || !end.versionId) throw new Error(`training ended ${end.status}: ${end.message}`);
  return { runId, versionId: end.versionId };
}

describe('training.preview', () => {
  it('counts a folder per class and split with the stratified validation split a run would use', async () => {
    const preview = await engine.call('training.preview', {
      dataset: join(root, 'ds'),
      symptomsPath,
      valFraction: 0.2,
    });
    expect(preview.classes).toEqual(['round spot', 'striped']);
    // 10 training images per class, 20 % held out: 2 per class.
    expect(preview.counts).toEqual({
      'round spot': { train: 8, val: 2, test: 2 },
      striped: { train: 8, val: 2, test: 2 },
    });
    expect(preview.valSource).toBe('stratified');
    expect(preview.problem).toBeNull();
  });

  it('reports reviewed data that cannot train yet with its counts and the reason', async () => {
    const preview = await engine.call('training.preview', { fromReviews: true, symptomsPath });
    expect(preview.counts).toEqual({
      'round spot': { train: 0, val: 0, test: 0 },
      striped: { train: 0, val: 0, test: 0 },
    });
    expect(preview.problem).toMatch(/no readable training images/);
  });

  it('refuses a folder missing a class with the loader’s message', async () => {
    mkdirSync(join(root, 'bad', 'train', 'round spot'), { recursive: true });
    await expect(engine.call('training.preview', { dataset: join(root, 'bad'), symptomsPath })).rejects.toThrow(
      /no folder for class\(es\) "striped"/,
    );
  });
});

describe('runs, comparison and discard', () => {
  let first: { runId: number; versionId: number };
  let second: { runId: number; versionId: number };

  beforeAll(async () => {
    first = await train(1);
    second = await train(2);
  });

  it('training.list and training.get return the run with its epochs and the version it made', async () => {
    const { runs } = await engine.call('training.list', {});
    expect(runs.map((r) => r.id)).toEqual([second.runId, first.runId]);
    const run = await engine.call('training.get', { runId: first.runId });
    expect(run).toMatchObject({ id: first.runId, status: 'completed', versionId: first.versionId, error: null });
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(run.epochs.every((e) => e.trainLoss !== null && e.valAccuracy !== null)).toBe(true);
    expect(run.symptomSetName).toMatch(/^shapes v1$/);
    await expect(engine.call('training.get', { runId: 999 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('versions.compare scores the new version and the active one on the same validation images', async () => {
    const none = await engine.call('versions.compare', { id: second.versionId });
    expect(none.active).toBeNull();
    expect(none.note).toMatch(/No version is active/);
    expect(none.split).toBe('val');
    expect(none.candidate.n).toBe(4);

    await engine.call('versions.activate', { id: first.versionId });
    const cmp = await engine.call('versions.compare', { id: second.versionId });
    expect(cmp.activeVersionId).toBe(first.versionId);
    expect(cmp.active?.n).toBe(cmp.candidate.n);
    // Both confusion matrices count the same images of the same true classes (row sums are the supports).
    const rowSums = (m: number[][]): number[] => m.map((r) => r.reduce((a, b) => a + b, 0));
    expect(rowSums(cmp.active!.confusion_matrix)).toEqual(rowSums(cmp.candidate.confusion_matrix));
    // The candidate's own recorded validation metrics are what the comparison recomputes.
    const { versions } = await engine.call('versions.list', {});
    const recorded = versions.find((v) => v.id === second.versionId)?.metrics?.['val'] as { accuracy: number };
    expect(cmp.candidate.accuracy).toBeCloseTo(recorded.accuracy, 6);
  });

  it('versions.discard refuses the active version and one that made predictions, removes an unused one', async () => {
    await expect(engine.call('versions.discard', { id: first.versionId })).rejects.toThrow(/is active/);
    const report = await engine.call('cases.importPaths', { paths: [join(root, 'ds', 'test', 'striped', '000.png')] });
    const o = report.outcomes[0];
    if (o?.status !== 'imported') throw new Error('import failed');
    await engine.call('cases.predict', { caseId: o.caseId, versionId: first.versionId });
    await engine.call('versions.activate', { id: second.versionId });
    await expect(engine.call('versions.discard', { id: first.versionId })).rejects.toThrow(/made 1 prediction/);

    const third = await train(3);
    const dir = join(engine.paths.versions, String(third.versionId));
    expect(existsSync(dir)).toBe(true);
    expect(await engine.call('versions.discard', { id: third.versionId })).toEqual({ discarded: third.versionId });
    expect(existsSync(dir)).toBe(false);
    const { versions } = await engine.call('versions.list', {});
    expect(versions.map((v) => v.id)).not.toContain(third.versionId);
    expect((await engine.call('training.get', { runId: third.runId })).versionId).toBeNull();
  });

  it('predictions.get returns what cases.predict saved; each logit is its prototype term plus its contributions', async () => {
    const report = await engine.call('cases.importPaths', {
      paths: [join(root, 'ds', 'test', 'round spot', '001.png')],
    });
    const o = report.outcomes[0];
    if (o?.status !== 'imported') throw new Error('import failed');
    const predicted = await engine.call('cases.predict', { caseId: o.caseId });
    expect(predicted.versionId).toBe(second.versionId);
    const { predictions } = await engine.call('predictions.get', { caseId: o.caseId });
    const p = predictions[0]!;
    const q = predicted.predictions[0]!;
    expect(p).toMatchObject({
      predictionId: q.predictionId,
      predictedClass: q.predictedClass,
      logits: q.logits,
      symptoms: q.symptoms,
      mode: 'vip',
      versionId: second.versionId,
      randomWeights: true,
      symptomSetName: 'shapes',
      symptomSetApproved: true,
    });
    expect(p.versionName).toContain('shapes v1');
    p.classes.forEach((c, i) => {
      const sum = (p.prototypeContribution[c] ?? 0) + (p.symptoms[c] ?? []).reduce((s, e) => s + e.contribution, 0);
      expect(sum).toBeCloseTo(p.logits[i] ?? NaN, 3);
    });
  });
});

describe('training on a stored symptom set version', () => {
  it('refuses an unapproved version, then trains on it once approved, under its name and task', async () => {
    const stored = engine.store.transaction(
      () =>
        importSymptomSetVersion(engine.store.db, {
          name: 'shapes-stored',
          task: 'shape task',
          classesJson: symptomSetText(parseSymptomSet(syntheticSymptoms)),
          approvedBy: null,
          provenance: { source: 'test' },
        }).version,
    );
    const preview = await engine.call('training.preview', {
      dataset: join(root, 'ds'),
      symptomSetVersionId: stored.id,
    });
    expect(preview.classes).toEqual(['round spot', 'striped']);
    const params = {
      dataset: join(root, 'ds'),
      symptomSetVersionId: stored.id,
      epochs: 1,
      batchSize: 4,
      optimizer: 'adam' as const,
    };
    await expect(engine.call('training.start', params)).rejects.toThrow(/not approved/);
    await expect(engine.call('training.start', { ...params, symptomsPath })).rejects.toThrow(/exactly one/);
    await expect(engine.call('training.start', { ...params, symptomSetVersionId: 4242 })).rejects.toMatchObject({
      code: 'not_found',
    });

    await engine.call('symptoms.approve', { id: stored.id });
    let id: number | null = null;
    const done = watchRun(() => id);
    const { runId } = await engine.call('training.start', params);
    id = runId;
    const end = await done;
    expect(end.status).toBe('completed');
    const run = await engine.call('training.get', { runId });
    expect(run.symptomSetVersionId).toBe(stored.id);
    const version = (await engine.call('versions.list', {})).versions.find((v) => v.id === end.versionId);
    expect(version).toMatchObject({ task: 'shape task', symptomSetVersionId: stored.id, symptomSetApproved: true });
  });
});
