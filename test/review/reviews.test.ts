/**
 * Reviews through the contract (no model needed: predictions are inserted as cases.predict stores them): the
 * reviewer comes from settings, agreement is decided against the prediction the reviewer saw, the worklist shows
 * the review and filters disagreements, predictions.get returns the saved evidence, and bad input is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine';
import { openEngine, solidPng, tempDir } from '../store/helpers';

let dir: ReturnType<typeof tempDir>;
let engine: Engine;
beforeEach(() => {
  dir = tempDir('vip-review-');
  engine = openEngine(dir.path);
});
afterEach(() => {
  engine.close();
  dir.cleanup();
});

async function importPng(name: string, shade: number): Promise<{ caseId: number; imageId: number }> {
  const report = await engine.call('cases.importFiles', {
    files: [{ name, data: await solidPng(4, 4, [shade, 9, 9]) }],
  });
  const o = report.outcomes[0];
  if (o?.status !== 'imported') throw new Error('import failed');
  return { caseId: o.caseId, imageId: o.imageId };
}

function predict(imageId: number, predictedClass: string, probability: number): number {
  const other = predictedClass === 'melanoma' ? 'nevus' : 'melanoma';
  return engine.store.predictions.insert({
    imageId,
    mode: 'zeroshot-symptoms',
    probabilities: { [predictedClass]: probability, [other]: 1 - probability },
    evidence: {
      kind: 'symptoms',
      classes: ['melanoma', 'nevus'],
      logits: [2, 1],
      prototype_contribution: { melanoma: 0.5, nevus: 0.25 },
      symptoms: {
        melanoma: [
          { text: 'several colours', weight: 0.5, similarity: 0.3, contribution: 1 },
          { text: 'irregular border', weight: 0.5, similarity: 0.2, contribution: 0.5 },
        ],
        nevus: [{ text: 'one even shade', weight: 1, similarity: 0.25, contribution: 0.75 }],
      },
    },
    predictedClass,
    probability,
  });
}

describe('cases.review', () => {
  it('saves the label with the settings reviewer and the time, and decides agreement itself', async () => {
    await engine.call('settings.update', { reviewerName: 'Dr. Ada' });
    const a = await importPng('a.png', 10);
    const predictionId = predict(a.imageId, 'melanoma', 0.8);
    const before = Date.now();
    const { review, summary } = await engine.call('cases.review', {
      caseId: a.caseId,
      label: 'melanoma',
      note: '  typical  ',
    });
    expect(review).toMatchObject({
      caseId: a.caseId,
      imageId: null,
      predictionId,
      label: 'melanoma',
      agreesWithModel: true,
      note: 'typical',
      reviewer: 'Dr. Ada',
    });
    expect(Date.parse(review.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(summary).toMatchObject({ reviewStatus: 'reviewed', reviewLabel: 'melanoma', predictedClass: 'melanoma' });

    const second = await engine.call('cases.review', { caseId: a.caseId, imageId: a.imageId, label: 'nevus' });
    expect(second.review).toMatchObject({ agreesWithModel: false, imageId: a.imageId, note: null });
    expect(second.summary.reviewLabel).toBe('nevus');

    const { reviews } = await engine.call('cases.reviews', { caseId: a.caseId });
    expect(reviews.map((r) => r.label)).toEqual(['nevus', 'melanoma']);
    const audit = (await engine.call('audit.list', {})).entries.filter((e) => e.action === 'case.review');
    expect(audit).toHaveLength(2);
    expect(audit.every((e) => e.actor === 'Dr. Ada')).toBe(true);
  });

  it('records no agreement for a case without a prediction, and emits cases.changed', async () => {
    const a = await importPng('a.png', 20);
    const seen: number[][] = [];
    const off = engine.events.on('cases.changed', (p) => seen.push(p.caseIds));
    const { review } = await engine.call('cases.review', { caseId: a.caseId, label: 'nevus' });
    off();
    expect(review.agreesWithModel).toBeNull();
    expect(review.predictionId).toBeNull();
    expect(seen).toContainEqual([a.caseId]);
  });

  it('refuses an unknown case, an image of another case and an empty label', async () => {
    const a = await importPng('a.png', 30);
    const b = await importPng('b.png', 40);
    await expect(engine.call('cases.review', { caseId: 9999, label: 'x' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(engine.call('cases.review', { caseId: a.caseId, imageId: b.imageId, label: 'nevus' })).rejects.toThrow(
      `Image ${b.imageId} is not an image of case ${a.caseId}`,
    );
    await expect(engine.invoke('cases.review', { caseId: a.caseId, label: '   ' })).rejects.toMatchObject({
      code: 'validation',
    });
    expect((await engine.call('cases.reviews', { caseId: a.caseId })).reviews).toEqual([]);
  });
});

describe('the disagreement filter', () => {
  it('lists reviewed cases whose label differs from the current prediction, and only those', async () => {
    const agree = await importPng('agree.png', 50);
    const disagree = await importPng('disagree.png', 60);
    const unpredicted = await importPng('unpredicted.png', 70);
    const unreviewed = await importPng('unreviewed.png', 80);
    predict(agree.imageId, 'nevus', 0.7);
    predict(disagree.imageId, 'nevus', 0.9);
    predict(unreviewed.imageId, 'melanoma', 0.6);
    await engine.call('cases.review', { caseId: agree.caseId, label: 'nevus' });
    await engine.call('cases.review', { caseId: disagree.caseId, label: 'melanoma' });
    await engine.call('cases.review', { caseId: unpredicted.caseId, label: 'melanoma' });

    const list = await engine.call('cases.list', { disagreement: true });
    expect(list.total).toBe(1);
    expect(list.cases.map((c) => c.id)).toEqual([disagree.caseId]);
    // A new prediction that now matches the review ends the disagreement.
    predict(disagree.imageId, 'melanoma', 0.55);
    expect((await engine.call('cases.list', { disagreement: true })).total).toBe(0);
    expect((await engine.call('cases.list', { disagreement: false })).total).toBe(4);
  });
});

describe('predictions.get', () => {
  it('returns each image’s latest prediction with its evidence and what produced it', async () => {
    const a = await importPng('a.png', 90);
    predict(a.imageId, 'nevus', 0.6);
    const latest = predict(a.imageId, 'melanoma', 0.7);
    const { predictions } = await engine.call('predictions.get', { caseId: a.caseId });
    expect(predictions).toHaveLength(1);
    const p = predictions[0]!;
    expect(p).toMatchObject({
      imageId: a.imageId,
      predictionId: latest,
      predictedClass: 'melanoma',
      mode: 'zeroshot-symptoms',
      versionId: null,
      classes: ['melanoma', 'nevus'],
      logits: [2, 1],
      prototypeContribution: { melanoma: 0.5, nevus: 0.25 },
    });
    expect(p.symptoms['melanoma']?.map((s) => s.text)).toEqual(['several colours', 'irregular border']);
    expect(p.probabilities).toEqual({ melanoma: 0.7, nevus: expect.closeTo(0.3, 10) as unknown as number });
  });

  it('reads a damaged evidence column as no evidence rather than failing', async () => {
    const a = await importPng('a.png', 100);
    const id = predict(a.imageId, 'nevus', 0.6);
    engine.store.db.prepare('UPDATE predictions SET evidence_json = \'{"classes": 3}\' WHERE id = ?').run(id);
    const p = (await engine.call('predictions.get', { caseId: a.caseId })).predictions[0]!;
    expect(p.symptoms).toEqual({});
    expect(p.classes.sort()).toEqual(['melanoma', 'nevus']);
    await expect(engine.call('predictions.get', { caseId: 4242 })).rejects.toMatchObject({ code: 'not_found' });
  });
});
