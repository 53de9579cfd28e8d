/**
 * The evidence cases.predict really saves (the demo CLIP, zero-shot with the built-in dermoscopy symptoms) exports
 * into documents that validate, with every symptom of every class and the logit equal to the prototype term plus the
 * symptoms' contributions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import type { CaseExportDocument } from '../../src/main/engine/export/case-document';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { builtinSymptomSet } from '../../src/main/engine/vip/builtin-symptoms';
import { validateDocument } from './helpers/read-export';

let root: string;
let engine: Engine;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-export-real-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
});
afterAll(async () => {
  engine?.close();
  await closeAllClipSessions();
  rmSync(root, { recursive: true, force: true });
});

it('exports a real zero-shot prediction with its full evidence', async () => {
  const png = join(root, 'lesion.png');
  writeFileSync(
    png,
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 150, g: 90, b: 70 } } })
      .png()
      .toBuffer(),
  );
  const imported = await engine.call('cases.importPaths', { paths: [png] });
  const outcome = imported.outcomes[0];
  if (outcome?.status !== 'imported') throw new Error('import failed');
  const predicted = await engine.call('cases.predict', {
    caseId: outcome.caseId,
    mode: 'zeroshot-symptoms',
    symptomSet: 'dermoscopy',
  });
  const out = join(root, 'export');
  const result = await engine.call('export.run', { caseIds: [outcome.caseId], out });
  expect(result.casesWithoutPredictions).toEqual([]);
  const doc = JSON.parse(
    readFileSync(join(out, 'cases', `case-${outcome.caseId}`, 'case.json'), 'utf8'),
  ) as CaseExportDocument;
  const check = validateDocument(doc);
  expect(check.ok, check.errors).toBe(true);
  const p = doc.images[0]!.predictions[0]!;
  const saved = predicted.predictions[0]!;
  expect(p.predictionId).toBe(saved.predictionId);
  expect(p.mode).toBe('zeroshot-symptoms');
  expect(p.evidenceKind).toBe('zeroshot-symptoms');
  expect(p.probabilities).toEqual(saved.probabilities);
  const set = builtinSymptomSet('dermoscopy')!;
  expect(p.classes.map((c) => c.className)).toEqual(set.classes.map((c) => c.name));
  p.classes.forEach((cls, i) => {
    expect(cls.symptoms.map((s) => s.text)).toEqual(set.classes[i]!.symptoms);
    expect(cls.symptoms).toEqual(saved.symptoms[cls.className]);
    expect(cls.logit).toBeCloseTo(saved.logits[i]!, 9);
    const sum = cls.symptoms.reduce((a, s) => a + s.contribution, cls.prototypeContribution ?? 0);
    expect(sum).toBeCloseTo(cls.logit!, 6);
  });
  expect(doc.symptomSets[0]).toMatchObject({ name: 'builtin:dermoscopy', approved: false });
  expect(doc.modelPackages[0]).toMatchObject({ id: 'demo', randomWeights: true });
});
