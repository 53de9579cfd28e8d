/**
 * The PACS engine against a real Orthanc (DICOMweb plugin): QIDO-RS query by every filter with paging, WADO-RS retrieve
 * into the case store (cases like a file import, decodable, predictable), de-duplication and resume, the failures a
 * user meets (dead server, wrong password, timeout, a study deleted mid-download) each as one clear line with nothing
 * half-imported, and STOW-RS of a case's SR into the source study.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { setRetryPolicy } from '../../src/main/engine/pacs/retrieve-jobs';
import { installSecretStore, MemorySecretStore } from '../../src/main/engine/symptoms/secret-store';
import { retrieve } from './helpers/engine';
import {
  describeWithOrthanc,
  freePort,
  ORTHANC_PASSWORD,
  ORTHANC_USER,
  startOrthanc,
  type Orthanc,
} from './helpers/orthanc';
import { startProxy } from './helpers/proxy';
import { makeStudy, type GeneratedStudy } from './helpers/studies';

describeWithOrthanc('PACS over DICOMweb (Orthanc)', () => {
  let root: string;
  let engine: Engine;
  let orthanc: Orthanc;
  const studies: Record<string, GeneratedStudy> = {};

  const addNode = (name: string, url: string, extra: { secret?: string; timeoutSeconds?: number } = {}) =>
    engine.call('pacs.add', {
      name,
      url,
      auth: 'basic',
      username: ORTHANC_USER,
      secret: extra.secret ?? ORTHANC_PASSWORD,
      ...(extra.timeoutSeconds !== undefined ? { timeoutSeconds: extra.timeoutSeconds } : {}),
    });
  const imageCount = (): number =>
    (engine.store.db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
  const storedSops = (): string[] =>
    (engine.store.db.prepare('SELECT sop_instance_uid AS s FROM images').all() as { s: string }[]).map((r) => r.s);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vip-pacs-'));
    installSecretStore(new MemorySecretStore({}));
    setRetryPolicy({ attempts: 3, baseDelayMs: 50 });
    engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
    await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
    orthanc = await startOrthanc();
    studies['jane'] = makeStudy({
      key: 1,
      patientId: 'P1',
      patientName: 'DOE^JANE',
      studyDate: '20240131',
      modality: 'DX',
      accession: 'ACC1',
      series: 2,
      instancesPerSeries: 2,
      size: 96,
    });
    studies['richard'] = makeStudy({
      key: 2,
      patientId: 'P2',
      patientName: 'ROE^RICHARD',
      studyDate: '20230615',
      modality: 'CR',
      accession: 'ACC2',
      series: 1,
      instancesPerSeries: 3,
    });
    studies['john'] = makeStudy({
      key: 3,
      patientId: 'P3',
      patientName: 'DOE^JOHN',
      studyDate: '20220101',
      modality: 'DX',
      accession: 'ACC3',
      series: 1,
      instancesPerSeries: 1,
    });
    studies['resume'] = makeStudy({
      key: 4,
      patientId: 'P4',
      patientName: 'POE^ANN',
      studyDate: '20210303',
      modality: 'CR',
      accession: 'ACC4',
      series: 1,
      instancesPerSeries: 6,
    });
    studies['vanish'] = makeStudy({
      key: 5,
      patientId: 'P5',
      patientName: 'LOE^MAX',
      studyDate: '20200202',
      modality: 'CR',
      accession: 'ACC5',
      series: 1,
      instancesPerSeries: 4,
    });
    for (const s of Object.values(studies)) await orthanc.upload(s.files);
    await addNode('orthanc', orthanc.dicomWeb);
  });

  afterAll(async () => {
    engine?.close();
    await closeAllClipSessions();
    await orthanc?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('queries studies by patient ID, name, date range, modality and accession number', async () => {
    const q = (filters: Record<string, string>) =>
      engine.call('pacs.query', { name: 'orthanc', level: 'study', ...filters });
    const byId = await q({ patientId: 'P1' });
    expect(byId.rows).toHaveLength(1);
    expect(byId.rows[0]).toMatchObject({
      StudyInstanceUID: studies['jane']!.studyUid,
      PatientID: 'P1',
      PatientName: 'DOE^JANE',
      StudyDate: '20240131',
      AccessionNumber: 'ACC1',
      ModalitiesInStudy: ['DX'],
      NumberOfStudyRelatedSeries: 2,
      NumberOfStudyRelatedInstances: 4,
      StudyDescription: 'TEST STUDY',
    });
    expect((await q({ patientName: 'DOE^*' })).rows.map((r) => r.PatientID).sort()).toEqual(['P1', 'P3']);
    expect((await q({ dateFrom: '2023-01-01', dateTo: '2024-12-31' })).rows.map((r) => r.PatientID).sort()).toEqual([
      'P1',
      'P2',
    ]);
    expect((await q({ dateTo: '2021-12-31' })).rows.map((r) => r.PatientID).sort()).toEqual(['P4', 'P5']);
    expect((await q({ modality: 'DX' })).rows.map((r) => r.PatientID).sort()).toEqual(['P1', 'P3']);
    expect((await q({ accessionNumber: 'ACC2' })).rows.map((r) => r.PatientID)).toEqual(['P2']);
    expect((await q({ patientId: 'NOBODY' })).rows).toEqual([]);
    await expect(q({ dateFrom: '2024-01-01', dateTo: '2023-01-01' })).rejects.toThrow('is after');
  });

  it('lists series and instances, and pages with limit/offset', async () => {
    const jane = studies['jane']!;
    const series = await engine.call('pacs.query', {
      name: 'orthanc',
      level: 'series',
      studyInstanceUID: jane.studyUid,
    });
    expect(series.rows.map((r) => r.SeriesInstanceUID).sort()).toEqual([...jane.seriesUids].sort());
    expect(series.rows[0]).toMatchObject({ Modality: 'DX', NumberOfSeriesRelatedInstances: 2 });
    expect(series.rows.map((r) => r.SeriesDescription).sort()).toEqual(['SERIES 1', 'SERIES 2']);
    const instances = await engine.call('pacs.query', {
      name: 'orthanc',
      level: 'instance',
      studyInstanceUID: jane.studyUid,
      seriesInstanceUID: jane.seriesUids[0]!,
    });
    expect(instances.rows.map((r) => r.SOPInstanceUID).sort()).toEqual(jane.sopUids.slice(0, 2).sort());
    expect(instances.rows.map((r) => r.InstanceNumber).sort()).toEqual([1, 2]);
    expect(instances.rows[0]!.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.7');

    const seen: string[] = [];
    const mores: boolean[] = [];
    for (let offset = 0; offset < 6; offset += 2) {
      const page = await engine.call('pacs.query', { name: 'orthanc', limit: 2, offset });
      seen.push(...page.rows.map((r) => r.StudyInstanceUID ?? ''));
      mores.push(page.more);
    }
    expect(new Set(seen).size).toBe(5);
    expect(seen).toHaveLength(5);
    expect(mores).toEqual([true, true, false]);
    await expect(engine.call('pacs.query', { name: 'orthanc', level: 'series' })).rejects.toThrow(
      'needs the study UID',
    );
  });

  it('retrieves a study into the store like a file import, then finds nothing new the second time', async () => {
    const jane = studies['jane']!;
    const { final, events } = await retrieve(engine, { name: 'orthanc', studyInstanceUID: jane.studyUid });
    expect(final).toMatchObject({ status: 'complete', total: 4, done: 4, imported: 4, alreadyStored: 0 });
    expect(final.landed?.sort()).toEqual([...jane.sopUids].sort());
    expect(final.error).toBeUndefined();
    expect(events.map((e) => e.phase)).toEqual([
      'listing',
      'retrieving',
      'retrieving',
      'retrieving',
      'retrieving',
      'retrieving',
      'finished',
    ]);
    expect(final.caseIds).toHaveLength(1);
    const caseId = final.caseIds[0]!;
    const detail = await engine.call('cases.get', { id: caseId });
    expect(detail).toMatchObject({ modality: 'DX', studyDate: '2024-01-31', imageCount: 4 });
    // The store keeps no patient name or ID: the case holds the salted key, as for a file import.
    expect(JSON.stringify(detail)).not.toContain('DOE^JANE');
    const rendered = await engine.call('images.render', { imageId: detail.images[0]!.id, maxSize: 64 });
    expect(rendered).toMatchObject({ mediaType: 'image/png', width: 64, height: 64 });
    const predicted = await engine.call('cases.predict', {
      caseId,
      mode: 'zeroshot-symptoms',
      symptomSet: 'chest-xray',
    });
    expect(predicted.predictions).toHaveLength(4);

    const before = imageCount();
    const again = await retrieve(engine, { name: 'orthanc', studyInstanceUID: jane.studyUid });
    expect(again.final).toMatchObject({
      status: 'complete',
      total: 4,
      imported: 0,
      alreadyStored: 4,
      caseIds: [caseId],
    });
    expect(imageCount()).toBe(before);
  });

  it('retrieves one series only', async () => {
    const richard = studies['richard']!;
    const { final } = await retrieve(engine, {
      name: 'orthanc',
      studyInstanceUID: richard.studyUid,
      seriesInstanceUID: richard.seriesUids[0]!,
    });
    expect(final).toMatchObject({ status: 'complete', total: 3, imported: 3 });
  });

  it('resumes after a dropped connection: retried within the job, and a later retrieve fetches only what is missing', async () => {
    const resume = studies['resume']!;
    // One download cut in the middle: the job's retry completes it, with no duplicate.
    const once = await startProxy(orthanc.dicomWeb, { dropAfter: 2, drop: 'once' });
    await addNode('flaky', once.url);
    const first = await retrieve(engine, {
      name: 'flaky',
      studyInstanceUID: resume.studyUid,
      seriesInstanceUID: resume.seriesUids[0]!,
    });
    await once.close();
    expect(first.final).toMatchObject({ status: 'complete', total: 6, imported: 6 });
    expect(once.instanceRequests()).toBe(7);
    expect(
      storedSops()
        .filter((s) => resume.sopUids.includes(s))
        .sort(),
    ).toEqual([...resume.sopUids].sort());

    // Start again from an empty store for this study: delete its images through a fresh data folder.
    const other = Engine.open({ dataDir: join(root, 'resume-data'), transport: 'cli' });
    try {
      const cutting = await startProxy(orthanc.dicomWeb, { dropAfter: 2, drop: 'always' });
      await other.call('pacs.add', {
        name: 'cut',
        url: cutting.url,
        auth: 'basic',
        username: ORTHANC_USER,
        secret: ORTHANC_PASSWORD,
      });
      const partial = await retrieve(other, { name: 'cut', studyInstanceUID: resume.studyUid });
      await cutting.close();
      expect(partial.final.status).toBe('partial');
      expect(partial.final.error).toMatch(
        /^PACS "cut" \(http:\/\/127\.0\.0\.1:\d+\/dicom-web\) dropped the connection.* \(2 of 6 instance\(s\) in the store\)$/,
      );
      expect(partial.final.landed).toHaveLength(2);
      const landed = new Set(partial.final.landed);
      const count = (): number => (other.store.db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
      expect(count()).toBe(2);

      const direct = await startProxy(orthanc.dicomWeb, {});
      await other.call('pacs.update', { name: 'cut', url: direct.url });
      const rest = await retrieve(other, { name: 'cut', studyInstanceUID: resume.studyUid });
      await direct.close();
      expect(rest.final).toMatchObject({ status: 'complete', total: 6, imported: 4, alreadyStored: 2 });
      expect(direct.instanceRequests()).toBe(4);
      expect(rest.final.landed?.some((s) => landed.has(s))).toBe(false);
      expect(count()).toBe(6);
    } finally {
      other.close();
    }
  });

  it('a dead server, a wrong password and a timeout each give one clear line and import nothing', async () => {
    const before = imageCount();
    const closedPort = await freePort();
    await addNode('dead', `http://127.0.0.1:${closedPort}/dicom-web`);
    await expect(engine.call('pacs.query', { name: 'dead' })).rejects.toThrow(
      `cannot connect to PACS "dead" (http://127.0.0.1:${closedPort}/dicom-web): connection refused`,
    );
    const deadRetrieve = await retrieve(engine, { name: 'dead', studyInstanceUID: studies['john']!.studyUid });
    expect(deadRetrieve.final).toMatchObject({ status: 'failed', imported: 0 });
    expect(deadRetrieve.final.error).toContain('connection refused');
    expect(await engine.call('pacs.test', { name: 'dead' })).toMatchObject({ ok: false });

    await addNode('wrong', orthanc.dicomWeb, { secret: 'not-the-password' });
    const wrong = engine.call('pacs.query', { name: 'wrong' });
    await expect(wrong).rejects.toThrow(
      'PACS "wrong" refused the credentials (HTTP 401): check the user and password (VIP_PACS_WRONG_PASSWORD)',
    );
    await expect(wrong).rejects.toMatchObject({ code: 'bad_input' });
    const wrongRetrieve = await retrieve(engine, { name: 'wrong', studyInstanceUID: studies['john']!.studyUid });
    expect(wrongRetrieve.final).toMatchObject({ status: 'failed', imported: 0 });
    expect(wrongRetrieve.final.error).toContain('HTTP 401');

    const hang = await startProxy(orthanc.dicomWeb, { hang: true });
    await addNode('slow', hang.url, { timeoutSeconds: 1 });
    const started = Date.now();
    await expect(engine.call('pacs.query', { name: 'slow' })).rejects.toThrow(
      /^PACS "slow" \(.*\) did not answer within 1 s$/,
    );
    expect(Date.now() - started).toBeLessThan(2500);
    const slowRetrieve = await retrieve(engine, { name: 'slow', studyInstanceUID: studies['john']!.studyUid });
    expect(slowRetrieve.final).toMatchObject({ status: 'failed', imported: 0 });
    expect(slowRetrieve.final.error).toContain('did not answer within 1 s');
    await hang.close();
    expect(imageCount()).toBe(before);
  });

  it('a study deleted mid-download stops with a clear error; what landed is whole and listed', async () => {
    const vanish = studies['vanish']!;
    const proxy = await startProxy(orthanc.dicomWeb, {
      hook: { afterInstances: 1, run: () => orthanc.deleteStudy(vanish.studyUid) },
    });
    await addNode('vanishing', proxy.url);
    const { final } = await retrieve(engine, { name: 'vanishing', studyInstanceUID: vanish.studyUid });
    await proxy.close();
    expect(final.status).toBe('partial');
    expect(final.error).toMatch(
      /changed on PACS "vanishing" during the retrieve: instance .* is gone \(1 of 4 instance\(s\) in the store\)$/,
    );
    // The first instance downloaded (the PACS's listing order) landed; the study was deleted before the second.
    expect(final.landed).toHaveLength(1);
    expect(vanish.sopUids).toContain(final.landed![0]);
    // Only the instance that landed is in the store, complete: its file is there and renders.
    const rows = engine.store.db
      .prepare('SELECT id, sop_instance_uid AS sop FROM images WHERE series_instance_uid = ?')
      .all(vanish.seriesUids[0]) as { id: number; sop: string }[];
    expect(rows.map((r) => r.sop)).toEqual(final.landed);
    await expect(engine.call('images.render', { imageId: rows[0]!.id, maxSize: 32 })).resolves.toMatchObject({
      width: 32,
    });
  });

  it('cancels a running retrieve', async () => {
    const john = studies['john']!;
    const hang = await startProxy(orthanc.dicomWeb, { hang: true });
    await addNode('stuck', hang.url, { timeoutSeconds: 60 });
    const started = Date.now();
    const { final } = await retrieve(engine, { name: 'stuck', studyInstanceUID: john.studyUid }, (jobId) => {
      setTimeout(() => void engine.call('pacs.cancel', { jobId }), 200);
    });
    await hang.close();
    expect(final.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends the SR of a predicted case into the source study', async () => {
    const john = studies['john']!;
    const { final } = await retrieve(engine, { name: 'orthanc', studyInstanceUID: john.studyUid });
    const caseId = final.caseIds[0]!;
    await expect(engine.call('pacs.send', { name: 'orthanc', caseId })).rejects.toThrow('has no prediction yet');
    await engine.call('cases.predict', { caseId, mode: 'zeroshot-symptoms', symptomSet: 'chest-xray' });
    const sent = await engine.call('pacs.send', { name: 'orthanc', caseId });
    expect(sent).toMatchObject({ name: 'orthanc', caseId, studyInstanceUID: john.studyUid });
    expect(sent.sopInstanceUIDs).toEqual([sent.sopInstanceUID]);

    const series = await engine.call('pacs.query', {
      name: 'orthanc',
      level: 'series',
      studyInstanceUID: john.studyUid,
    });
    const sr = series.rows.find((r) => r.Modality === 'SR');
    expect(sr?.SeriesInstanceUID).toBe(sent.seriesInstanceUID);
    const srInstances = await engine.call('pacs.query', {
      name: 'orthanc',
      level: 'instance',
      studyInstanceUID: john.studyUid,
      seriesInstanceUID: sent.seriesInstanceUID,
    });
    expect(srInstances.rows.map((r) => r.SOPInstanceUID)).toEqual([sent.sopInstanceUID]);
    expect(srInstances.rows[0]!.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.88.33');
    // The PACS files it under the source patient.
    const study = await engine.call('pacs.query', { name: 'orthanc', patientId: 'P3' });
    expect(study.rows[0]!.ModalitiesInStudy.sort()).toEqual(['DX', 'SR']);
    const audit = engine.store.audit.forEntity('case', caseId);
    expect(audit.some((e) => e.action === 'pacs.send')).toBe(true);
    // Retrieving the study again leaves the SR alone (not an image) and finds the image stored.
    const again = await retrieve(engine, { name: 'orthanc', studyInstanceUID: john.studyUid });
    expect(again.final).toMatchObject({ status: 'complete', total: 1, alreadyStored: 1, imported: 0, notImages: 1 });
    const srOnly = await retrieve(engine, {
      name: 'orthanc',
      studyInstanceUID: john.studyUid,
      seriesInstanceUID: sent.seriesInstanceUID,
    });
    expect(srOnly.final.status).toBe('failed');
    expect(srOnly.final.error).toContain('holds no images, only 1 other object(s)');
  });
});
