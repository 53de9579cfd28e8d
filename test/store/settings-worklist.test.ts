import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine';
import { dicomImage } from './dicom-writer';
import { openEngine, solidPng, tempDir } from './helpers';

let dir: ReturnType<typeof tempDir>;
let engine: Engine;
beforeEach(() => {
  dir = tempDir();
  engine = openEngine(dir.path);
});
afterEach(() => {
  engine.close();
  dir.cleanup();
});

describe('settings', () => {
  it('starts from the defaults and round-trips an update across a reopen', async () => {
    expect(await engine.call('settings.get', {})).toEqual({ reviewerName: '', llmBaseUrl: '', llmModel: '' });
    const updated = await engine.call('settings.update', {
      reviewerName: 'Dr. Ada',
      llmBaseUrl: 'http://127.0.0.1:8080/v1',
    });
    expect(updated).toEqual({ reviewerName: 'Dr. Ada', llmBaseUrl: 'http://127.0.0.1:8080/v1', llmModel: '' });
    engine.close();
    engine = openEngine(dir.path);
    expect(await engine.call('settings.get', {})).toEqual(updated);
    expect(engine.actor()).toBe('Dr. Ada');
  });

  it('audits what changed and nothing when nothing changed', async () => {
    await engine.call('settings.update', { llmModel: 'qwen' });
    await engine.call('settings.update', { llmModel: 'qwen' });
    const entries = (await engine.call('audit.list', {})).entries.filter((e) => e.action === 'settings.update');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.detail).toEqual({ changed: ['llmModel'] });
  });

  it('rejects unknown keys and wrong types before storing anything', async () => {
    await expect(engine.invoke('settings.update', { reviewerName: 5 })).rejects.toMatchObject({ code: 'validation' });
    await expect(engine.invoke('settings.update', { colour: 'blue' })).rejects.toMatchObject({ code: 'validation' });
    expect(() => engine.store.settings.update({ reviewerName: 'x'.repeat(201) })).toThrow(/Invalid settings/);
    expect(await engine.call('settings.get', {})).toEqual({ reviewerName: '', llmBaseUrl: '', llmModel: '' });
  });

  it('falls back to the default for a damaged stored value', async () => {
    engine.store.db.prepare("INSERT INTO settings (key, value_json) VALUES ('reviewerName', 'not json')").run();
    expect((await engine.call('settings.get', {})).reviewerName).toBe('');
  });
});

describe('the worklist', () => {
  async function importPng(name: string, shade: number): Promise<{ caseId: number; imageId: number }> {
    const report = await engine.call('cases.importFiles', {
      files: [{ name, data: await solidPng(4, 4, [shade, 0, 0]) }],
    });
    const o = report.outcomes[0]!;
    if (o.status !== 'imported') throw new Error('import failed');
    return { caseId: o.caseId, imageId: o.imageId };
  }

  it('filters, sorts and pages, with predictions and reviews reflected through the triggers', async () => {
    const a = await importPng('alpha.png', 1);
    const b = await importPng('bravo.png', 2);
    const c = await importPng('charlie.png', 3);
    const dcm = await engine.call('cases.importFiles', {
      files: [
        {
          name: 'x.dcm',
          data: dicomImage({ rows: 1, columns: 1, pixels: [1], modality: 'CR', studyDate: '20200102' }),
        },
      ],
    });
    const d = dcm.outcomes[0]!;
    if (d.status !== 'imported') throw new Error('dicom import failed');

    const store = engine.store;
    store.predictions.insert({
      imageId: a.imageId,
      mode: 'zero-shot',
      probabilities: { pneumonia: 0.7, normal: 0.3 },
      predictedClass: 'pneumonia',
      probability: 0.7,
    });
    store.predictions.insert({
      imageId: b.imageId,
      mode: 'zero-shot',
      probabilities: { pneumonia: 0.1, normal: 0.9 },
      predictedClass: 'normal',
      probability: 0.9,
    });
    // A newer prediction for the same image replaces the case's summary.
    store.predictions.insert({
      imageId: a.imageId,
      mode: 'zero-shot',
      probabilities: { pneumonia: 0.95, normal: 0.05 },
      predictedClass: 'pneumonia',
      probability: 0.95,
    });
    store.reviews.insert({
      caseId: b.caseId,
      imageId: b.imageId,
      label: 'normal',
      agreesWithModel: true,
      reviewer: 'Dr. R',
    });

    const all = await engine.call('cases.list', {});
    expect(all.total).toBe(4);
    expect(all.cases.map((x) => x.id)).toEqual([d.caseId, c.caseId, b.caseId, a.caseId]); // newest first

    const byProbability = await engine.call('cases.list', { sort: 'probability_desc' });
    expect(byProbability.cases.map((x) => x.id)).toEqual([a.caseId, b.caseId, d.caseId, c.caseId]);
    expect(byProbability.cases[0]).toMatchObject({ predictedClass: 'pneumonia', predictedProbability: 0.95 });

    const reviewed = await engine.call('cases.list', { reviewStatus: 'reviewed' });
    expect(reviewed.cases).toEqual([
      expect.objectContaining({ id: b.caseId, reviewStatus: 'reviewed', reviewLabel: 'normal' }),
    ]);
    expect((await engine.call('cases.list', { reviewStatus: 'unreviewed' })).total).toBe(3);
    expect((await engine.call('cases.list', { predictedClass: 'pneumonia' })).cases.map((x) => x.id)).toEqual([
      a.caseId,
    ]);
    expect((await engine.call('cases.list', { modality: 'CR' })).cases.map((x) => x.id)).toEqual([d.caseId]);
    expect((await engine.call('cases.list', { sort: 'study_date_desc' })).cases[0]!.id).toBe(d.caseId);

    expect((await engine.call('cases.list', { search: 'charl' })).cases.map((x) => x.id)).toEqual([c.caseId]);
    expect((await engine.call('cases.list', { search: 'x.dcm' })).cases.map((x) => x.id)).toEqual([d.caseId]);
    expect((await engine.call('cases.list', { search: String(b.caseId) })).cases.map((x) => x.id)).toContain(b.caseId);
    expect((await engine.call('cases.list', { search: '100%_' })).total).toBe(0); // LIKE wildcards are literal

    const page = await engine.call('cases.list', { sort: 'created_asc', offset: 1, limit: 2 });
    expect(page).toMatchObject({ total: 4 });
    expect(page.cases.map((x) => x.id)).toEqual([b.caseId, c.caseId]);
  });

  it('filters by case date: the study date, else the import day, bounds inclusive', async () => {
    const dicomCase = async (uid: string, studyDate: string, shade: number): Promise<number> => {
      const report = await engine.call('cases.importFiles', {
        files: [
          {
            name: `${uid}.dcm`,
            data: dicomImage({ rows: 1, columns: 1, pixels: [shade], modality: 'CR', studyDate, studyUid: uid }),
          },
        ],
      });
      const o = report.outcomes[0]!;
      if (o.status !== 'imported') throw new Error('dicom import failed');
      return o.caseId;
    };
    const jan = await dicomCase('1.2.3.1', '20200110', 1);
    const feb = await dicomCase('1.2.3.2', '20200215', 2);
    const mar = await dicomCase('1.2.3.3', '20200301', 3);
    const png = (await importPng('today.png', 7)).caseId;
    // The PNG case has no study date; its import day decides.
    engine.store.db.prepare('UPDATE cases SET created_at = ? WHERE id = ?').run('2020-02-20T23:59:59.000Z', png);

    const ids = async (p: { dateFrom?: string; dateTo?: string }): Promise<number[]> =>
      (await engine.call('cases.list', p)).cases.map((c) => c.id).sort((x, y) => x - y);
    expect(await ids({ dateFrom: '2020-02-01', dateTo: '2020-02-29' })).toEqual([feb, png]);
    expect(await ids({ dateFrom: '2020-02-15', dateTo: '2020-02-15' })).toEqual([feb]);
    expect(await ids({ dateTo: '2020-02-20' })).toEqual([jan, feb, png]);
    expect(await ids({ dateTo: '2020-02-19' })).toEqual([jan, feb]);
    expect(await ids({ dateFrom: '2020-03-01' })).toEqual([mar]);
    expect((await engine.call('cases.list', { dateFrom: '2020-02-01', modality: 'CR' })).total).toBe(2);
    await expect(engine.call('cases.list', { dateFrom: '2020-03-01', dateTo: '2020-02-01' })).rejects.toMatchObject({
      code: 'bad_input',
    });
    await expect(engine.invoke('cases.list', { dateFrom: '1/2/2020' })).rejects.toMatchObject({ code: 'validation' });
  });

  it('updates notes durably, audits it, and refuses an unknown case', async () => {
    const { caseId } = await importPng('n.png', 9);
    const changed: number[][] = [];
    engine.events.on('cases.changed', (e) => changed.push(e.caseIds));
    const detail = await engine.call('cases.updateNotes', { id: caseId, notes: 'Left lower lobe opacity.' });
    expect(detail.notes).toBe('Left lower lobe opacity.');
    expect((await engine.call('cases.list', { search: 'lower lobe' })).cases.map((x) => x.id)).toEqual([caseId]);
    expect(changed).toEqual([[caseId]]);
    expect((await engine.call('cases.updateNotes', { id: caseId, notes: '  ' })).notes).toBeNull();
    const audits = (await engine.call('audit.list', {})).entries.filter((e) => e.action === 'case.notes');
    expect(audits).toHaveLength(2);
    expect(audits[1]).toMatchObject({ entity: 'case', entityId: String(caseId), detail: { length: 24 } });
    await expect(engine.call('cases.updateNotes', { id: 4242, notes: 'x' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(engine.call('cases.get', { id: 4242 })).rejects.toMatchObject({
      code: 'not_found',
      message: 'Case 4242 does not exist',
    });
  });

  it('pages the audit log newest first', async () => {
    for (let i = 0; i < 5; i++) engine.store.audit.record({ actor: 't', action: `a${i}` });
    const page = await engine.call('audit.list', { offset: 1, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.entries.map((e) => e.action)).toEqual(['a3', 'a2']);
  });
});
