/**
 * The knowledge check through the engine contract on the synthetic dataset and the demo model: every symptom's AUC,
 * class means and the set's zero-shot accuracy, checked against the same features scored here by hand (pairwise AUC,
 * plain means); a random-weights warning; bad input.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { tokenizeForPackage } from '../../src/main/engine/model/embed';
import { closeAllClipSessions, openClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage, type ModelPackage } from '../../src/main/engine/model/package';
import { importSymptomSetVersion } from '../../src/main/engine/store/symptom-set-repo';
import { FeatureCache, featureCacheDir } from '../../src/main/engine/training/feature-cache';
import { parseSymptomSet } from '../../src/main/engine/vip/symptom-set';
import { symptomSetText } from '../../src/main/engine/vip/symptom-set-text';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';

let root: string;
let engine: Engine;
let pkg: ModelPackage;
let versionId: number;
let files: string[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-knowledge-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  pkg = await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
  files = await writeSyntheticDataset(join(root, 'ds'), { perClass: { test: 6 }, size: 32 });
  versionId = engine.store.transaction(
    () =>
      importSymptomSetVersion(engine.store.db, {
        name: 'shapes',
        task: 'shapes',
        classesJson: symptomSetText(parseSymptomSet(syntheticSymptoms)),
        approvedBy: null,
        provenance: {},
      }).version.id,
  );
});

afterAll(async () => {
  engine.close();
  await closeAllClipSessions();
  rmSync(root, { recursive: true, force: true });
});

const unit = (v: Float32Array): number[] => {
  const n = Math.hypot(...v);
  return [...v].map((x) => x / n);
};
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

/** The fraction of (positive, negative) pairs the score orders correctly, ties counting half. */
function pairwiseAuc(pos: number[], neg: number[]): number {
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe('symptoms.check', () => {
  it('scores every symptom by how well its similarity alone splits its class from the other', async () => {
    const report = await engine.call('symptoms.check', { id: versionId, dataset: join(root, 'ds'), split: 'test' });
    expect(report).toMatchObject({
      versionId,
      modelPackageId: 'demo',
      randomWeights: true,
      classes: ['round spot', 'striped'],
    });
    expect(report.imagesPerClass).toEqual([6, 6]);
    expect(report.warnings).toContain(
      'model package "demo" has random weights: these numbers say nothing about a real CLIP',
    );

    // The same image features (the cache the check filled) and text features, scored by hand.
    const cache = new FeatureCache(
      featureCacheDir(engine.paths.features, pkg),
      pkg.manifest.architecture.projectionDim,
    );
    const images = await Promise.all(
      files.map(async (f) => {
        const sha = createHash('sha256').update(readFileSync(f)).digest('hex');
        const features = await cache.read(sha, 'center');
        if (!features) throw new Error(`no cached features for ${f}`);
        return { label: f.includes('round spot') ? 0 : 1, f: unit(features) };
      }),
    );
    const sessions = await openClipSessions(pkg);
    const texts = Object.entries(syntheticSymptoms).flatMap(([c, list]) => list.map((s) => ({ c, s })));
    const flat = await sessions.embedTexts(
      tokenizeForPackage(
        pkg,
        texts.map((t) => `${t.s}.`),
      ),
    );
    const d = sessions.projectionDim;
    const textVecs = texts.map((_, i) => unit(flat.slice(i * d, (i + 1) * d)));

    expect(report.symptoms.map((s) => [s.className, s.symptom])).toEqual(texts.map((t) => [t.c, t.s]));
    report.symptoms.forEach((s, i) => {
      const own = s.className === 'round spot' ? 0 : 1;
      const sims = images.map((im) => ({ own: im.label === own, sim: dot(im.f, textVecs[i] ?? []) }));
      const pos = sims.filter((x) => x.own).map((x) => x.sim);
      const neg = sims.filter((x) => !x.own).map((x) => x.sim);
      expect(s.auc).toBeCloseTo(pairwiseAuc(pos, neg), 9);
      expect(s.meanOwn).toBeCloseTo(pos.reduce((a, b) => a + b, 0) / pos.length, 5);
      expect(s.meanOther).toBeCloseTo(neg.reduce((a, b) => a + b, 0) / neg.length, 5);
    });

    const prototype = (c: number): number[] => {
      const rows = textVecs.filter((_, i) => texts[i]?.c === (c === 0 ? 'round spot' : 'striped'));
      return unit(Float32Array.from(rows[0]?.map((_, j) => rows.reduce((s, r) => s + (r[j] ?? 0), 0)) ?? []));
    };
    const protos = [prototype(0), prototype(1)];
    const correct = images.filter((im) => {
      const scores = protos.map((p) => dot(im.f, p));
      return (scores[1] ?? 0) > (scores[0] ?? 0) === (im.label === 1);
    }).length;
    expect(report.zeroShotAccuracy).toBeCloseTo(correct / images.length, 9);
  });

  it('refuses a missing split, both sources, and an unknown version', async () => {
    await expect(
      engine.call('symptoms.check', { id: versionId, dataset: join(root, 'ds'), split: 'val' }),
    ).rejects.toThrow(/has no val\/ folder/);
    await expect(
      engine.call('symptoms.check', { id: versionId, dataset: join(root, 'ds'), fromReviews: true }),
    ).rejects.toThrow(/dataset folder or fromReviews, not both/);
    await expect(engine.call('symptoms.check', { id: 999, fromReviews: true })).rejects.toThrow(
      /No symptom set version 999/,
    );
  });
});
