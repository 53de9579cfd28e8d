import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventPayload, ImportOutcome } from '../../src/shared/contract';
import type { Engine } from '../../src/main/engine/engine';
import { dicomImage, encapsulatedDicom } from './dicom-writer';
import { listFiles, openEngine, sha256, solidPng, tempDir } from './helpers';

let dir: ReturnType<typeof tempDir>;
let data: string;
let inbox: string;
let engine: Engine;

beforeEach(() => {
  dir = tempDir();
  data = join(dir.path, 'data');
  inbox = join(dir.path, 'inbox');
  mkdirSync(inbox);
  engine = openEngine(data);
});
afterEach(() => {
  engine.close();
  dir.cleanup();
});

function put(name: string, bytes: Uint8Array | string): string {
  const p = join(inbox, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, bytes);
  return p;
}

const errorOf = (o: ImportOutcome | undefined): string =>
  o?.status === 'error' ? o.error : `not an error: ${o?.status}`;

describe('importing ordinary images', () => {
  it('stores a PNG once under its content hash and makes a case for it', async () => {
    const png = await solidPng(40, 20, [200, 10, 10]);
    const path = put('scan.png', png);
    const report = await engine.call('cases.importPaths', { paths: [path] });
    expect(report).toMatchObject({ imported: 1, duplicates: 0, errors: 0 });
    const outcome = report.outcomes[0]!;
    expect(outcome.status).toBe('imported');
    if (outcome.status !== 'imported') return;

    const hash = sha256(png);
    const managed = join(data, 'images', hash.slice(0, 2), `${hash}.png`);
    expect(existsSync(managed)).toBe(true);
    expect(sha256(readFileSync(managed))).toBe(hash);
    expect(readdirSync(join(data, 'tmp'))).toEqual([]);

    const detail = await engine.call('cases.get', { id: outcome.caseId });
    expect(detail).toMatchObject({
      imageCount: 1,
      firstImageId: outcome.imageId,
      description: 'scan.png',
      modality: null,
    });
    expect(detail.images[0]).toMatchObject({
      id: outcome.imageId,
      sha256: hash,
      originalName: 'scan.png',
      mediaType: 'image/png',
      width: 40,
      height: 20,
      frameCount: 1,
      sizeBytes: png.length,
      dicom: null,
    });
  });

  it('reports the same content again as a duplicate pointing at the stored image', async () => {
    const png = await solidPng(8, 8, [1, 2, 3]);
    const first = await engine.call('cases.importPaths', { paths: [put('a.png', png)] });
    const again = await engine.call('cases.importPaths', { paths: [put('copy-of-a.png', png)] });
    const uploaded = await engine.call('cases.importFiles', { files: [{ name: 'dragged.png', data: png }] });
    const o = first.outcomes[0]!;
    if (o.status !== 'imported') throw new Error('first import failed');
    for (const r of [again, uploaded]) {
      expect(r).toMatchObject({ imported: 0, duplicates: 1, errors: 0 });
      expect(r.outcomes[0]).toMatchObject({ status: 'duplicate', caseId: o.caseId, imageId: o.imageId });
    }
    expect((await engine.call('cases.list', {})).total).toBe(1);
    expect(listFiles(join(data, 'images'))).toHaveLength(1);
  });

  it('records EXIF orientation and reports the displayed size', async () => {
    const sharp = (await import('sharp')).default;
    const jpeg = await sharp({ create: { width: 30, height: 10, channels: 3, background: '#345' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const report = await engine.call('cases.importFiles', { files: [{ name: 'rotated.jpg', data: jpeg }] });
    const o = report.outcomes[0]!;
    if (o.status !== 'imported') throw new Error(errorOf(o));
    const image = engine.store.images.get(o.imageId)!;
    expect(image).toMatchObject({ mediaType: 'image/jpeg', width: 10, height: 30, orientation: 6 });
  });

  it('imports folders recursively, one case per ordinary image, or all into a given case', async () => {
    put('study/one.png', await solidPng(4, 4, [10, 0, 0]));
    put(
      'study/deeper/two.webp',
      await (
        await import('sharp')
      )
        .default(await solidPng(4, 4, [20, 0, 0]))
        .webp({ lossless: true })
        .toBuffer(),
    );
    put(
      'study/deeper/three.tif',
      await (
        await import('sharp')
      )
        .default(await solidPng(4, 4, [30, 0, 0]))
        .tiff()
        .toBuffer(),
    );
    put('study/.DS_Store', 'finder noise');
    const report = await engine.call('cases.importPaths', { paths: [join(inbox, 'study')] });
    expect(report).toMatchObject({ imported: 3, errors: 0 });
    const caseIds = new Set(report.outcomes.map((o) => (o.status === 'imported' ? o.caseId : -1)));
    expect(caseIds.size).toBe(3);
    const media = report.outcomes.map((o) =>
      o.status === 'imported' ? engine.store.images.get(o.imageId)!.mediaType : '',
    );
    expect(media.sort()).toEqual(['image/png', 'image/tiff', 'image/webp']);

    const target = [...caseIds][0]!;
    const more = await engine.call('cases.importFiles', {
      caseId: target,
      files: [
        { name: 'x.png', data: await solidPng(4, 4, [40, 0, 0]) },
        { name: 'y.png', data: await solidPng(4, 4, [50, 0, 0]) },
      ],
    });
    expect(more.outcomes.every((o) => o.status === 'imported' && o.caseId === target)).toBe(true);
    expect((await engine.call('cases.get', { id: target })).imageCount).toBe(3);
  });

  it('refuses an unknown target case before importing anything', async () => {
    const path = put('a.png', await solidPng(4, 4, [9, 9, 9]));
    await expect(engine.call('cases.importPaths', { paths: [path], caseId: 999 })).rejects.toMatchObject({
      code: 'not_found',
      message: 'Case 999 does not exist',
    });
    expect((await engine.call('cases.list', {})).total).toBe(0);
  });
});

describe('bad input, one file at a time', () => {
  it('gives each bad file a clear one-line reason and still imports the rest of the batch', async () => {
    const good1 = put('good1.png', await solidPng(6, 6, [1, 100, 1]));
    const text = put('notes.txt', 'this is not an image');
    const empty = put('empty.png', '');
    const missing = join(inbox, 'no-such-file.png');
    const emptyDir = join(inbox, 'empty-folder');
    mkdirSync(emptyDir);
    const full = await solidPng(64, 64, [5, 6, 7]);
    const truncated = put('truncated.png', full.subarray(0, Math.floor(full.length / 2)));
    const gif = put('anim.gif', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'));
    const noPixels = put('dicomdir.dcm', dicomImage({ rows: 2, columns: 2, pixels: [], noPixelData: true }));
    const short = put(
      'short.dcm',
      dicomImage({ rows: 4, columns: 4, pixels: [], pixelBytes: new Uint8Array(10), studyUid: '1.2.3.99' }),
    );
    const good2 = put('good2.png', await solidPng(6, 6, [1, 101, 1]));

    const events: EventPayload<'import.progress'>[] = [];
    const stop = engine.events.on('import.progress', (e) => events.push(e));
    const paths = [good1, text, empty, missing, emptyDir, truncated, gif, noPixels, short, good2];
    const report = await engine.call('cases.importPaths', { paths });
    stop();

    expect(report).toMatchObject({ imported: 2, duplicates: 0, errors: 8 });
    const byPath = new Map(report.outcomes.map((o) => [o.path, o]));
    expect(byPath.get(good1)?.status).toBe('imported');
    expect(byPath.get(good2)?.status).toBe('imported');
    expect(errorOf(byPath.get(text))).toBe('not a supported image (expected PNG, JPEG, TIFF, WebP or DICOM)');
    expect(errorOf(byPath.get(empty))).toBe('empty file (0 bytes)');
    expect(errorOf(byPath.get(missing))).toBe('no such file or folder');
    expect(errorOf(byPath.get(emptyDir))).toBe('folder contains no files to import');
    expect(errorOf(byPath.get(truncated))).toMatch(/^cannot read PNG image: /);
    expect(errorOf(byPath.get(gif))).toMatch(/looks like a GIF image/);
    expect(errorOf(byPath.get(noPixels))).toMatch(/^DICOM file has no pixel data/);
    expect(errorOf(byPath.get(short))).toMatch(/^DICOM pixel data holds 10 bytes; Rows x Columns x frames needs 32/);
    for (const o of report.outcomes) if (o.status === 'error') expect(o.error).not.toMatch(/\n/);

    // Nothing of the failed files is left behind: two managed files, no scratch, no case for the short DICOM.
    expect(listFiles(join(data, 'images'))).toHaveLength(2);
    expect(readdirSync(join(data, 'tmp'))).toEqual([]);
    expect(engine.store.cases.findByStudyUid('1.2.3.99')).toBeNull();

    expect(events.map((e) => e.index)).toEqual(paths.map((_, i) => i));
    expect(events.every((e) => e.total === paths.length && e.batchId === report.batchId)).toBe(true);
    expect(events.map((e) => e.outcome)).toEqual(report.outcomes);
  });

  it('reports a file named directly that is not a regular file', async () => {
    if (process.platform === 'win32') return;
    const { execFileSync } = await import('node:child_process');
    const fifo = join(inbox, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const report = await engine.call('cases.importPaths', { paths: [fifo] });
    expect(report.outcomes[0]).toEqual({ status: 'error', path: fifo, error: 'not a regular file or folder' });
  });
});

describe('importing DICOM', () => {
  const study = '1.2.826.0.1.3680043.9.77.1';

  it('joins images of one study into one case and stores attributes but not the patient name or ID', async () => {
    const a = dicomImage({
      rows: 2,
      columns: 3,
      pixels: [1, 2, 3, 4, 5, 6],
      studyUid: study,
      patientName: 'SECRETNAME^ALICE',
      patientId: 'SECRET-ID-0042',
      modality: 'CR',
      studyDate: '20230715',
      bodyPart: 'CHEST',
      viewPosition: 'AP',
      pixelSpacing: '0.2\\0.25',
      manufacturer: 'Acme Imaging',
      studyDescription: 'CHEST AP PORTABLE',
    });
    const b = dicomImage({
      rows: 2,
      columns: 3,
      pixels: [6, 5, 4, 3, 2, 1],
      studyUid: study,
      patientName: 'SECRETNAME^ALICE',
      patientId: 'SECRET-ID-0042',
      modality: 'CR',
      frames: 1,
    });
    const other = dicomImage({ rows: 1, columns: 1, pixels: [7], studyUid: '1.2.3.4.5', patientId: 'SECRET-ID-0042' });
    const report = await engine.call('cases.importPaths', {
      paths: [put('a.dcm', a), put('b.dcm', b), put('other-study.dcm', other)],
    });
    expect(report).toMatchObject({ imported: 3, errors: 0 });
    const [oa, ob, oc] = report.outcomes;
    if (oa?.status !== 'imported' || ob?.status !== 'imported' || oc?.status !== 'imported')
      throw new Error('import failed');
    expect(ob.caseId).toBe(oa.caseId);
    expect(oc.caseId).not.toBe(oa.caseId);

    const detail = await engine.call('cases.get', { id: oa.caseId });
    expect(detail).toMatchObject({
      imageCount: 2,
      modality: 'CR',
      studyDate: '2023-07-15',
      bodyPart: 'CHEST',
      description: 'CHEST AP PORTABLE',
    });
    expect(detail.patientKey).toMatch(/^pk-[0-9a-f]{20}$/);
    expect((await engine.call('cases.get', { id: oc.caseId })).patientKey).toBe(detail.patientKey);
    expect(detail.images[0]).toMatchObject({ mediaType: 'application/dicom', width: 3, height: 2, frameCount: 1 });
    expect(detail.images[0]!.dicom).toMatchObject({
      studyInstanceUid: study,
      modality: 'CR',
      bodyPartExamined: 'CHEST',
      viewPosition: 'AP',
      studyDate: '2023-07-15',
      pixelSpacing: [0.2, 0.25],
      manufacturer: 'Acme Imaging',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      photometricInterpretation: 'MONOCHROME2',
      rows: 2,
      columns: 3,
      numberOfFrames: 1,
    });
    expect(JSON.stringify(detail)).not.toMatch(/SECRET/);

    // Nothing in the database files holds the name or ID in plain text.
    engine.store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of readdirSync(data).filter((n) => n.startsWith('vip.db'))) {
      const bytes = readFileSync(join(data, f)).toString('latin1');
      expect(bytes).not.toContain('SECRETNAME');
      expect(bytes).not.toContain('SECRET-ID-0042');
    }
  });

  it('imports a raw implicit-VR data set without the Part 10 preamble', async () => {
    const raw = dicomImage(
      { rows: 2, columns: 2, pixels: [0, 10, 20, 30], studyUid: '1.2.3.777' },
      { part10: false, transferSyntax: '1.2.840.10008.1.2' },
    );
    expect(raw.subarray(128, 132).toString('latin1')).not.toBe('DICM');
    const report = await engine.call('cases.importFiles', { files: [{ name: 'OLD0001', data: raw }] });
    const o = report.outcomes[0]!;
    if (o.status !== 'imported') throw new Error(errorOf(o));
    const image = engine.store.images.get(o.imageId)!;
    expect(image.mediaType).toBe('application/dicom');
    expect(image.dicom).toMatchObject({ transferSyntaxUid: '1.2.840.10008.1.2', studyInstanceUid: '1.2.3.777' });
  });

  it('refuses a compressed DICOM whose first frame does not decode, and imports the rest of the batch', async () => {
    // The fragment opens a JPEG 2000 codestream and then stops: the decoder fails, the batch goes on.
    const report = await engine.call('cases.importFiles', {
      files: [
        { name: 'j2k.dcm', data: encapsulatedDicom({ rows: 4, columns: 4 }) },
        { name: 'ok.png', data: await solidPng(4, 4, [9, 9, 9]) },
      ],
    });
    expect(report.outcomes[0]).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/^cannot decode the JPEG 2000 Lossless pixel data of frame 1: .+$/),
    });
    expect(report.outcomes[1]?.status).toBe('imported');
  });
});

describe('the audit log', () => {
  it('records one entry per batch with its counts', async () => {
    engine.store.settings.update({ reviewerName: 'Dr. Test' });
    const report = await engine.call('cases.importPaths', {
      paths: [put('ok.png', await solidPng(4, 4, [3, 3, 3])), put('bad.txt', 'nope')],
    });
    const { entries } = await engine.call('audit.list', {});
    const imports = entries.filter((e) => e.action === 'cases.import');
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({
      actor: 'Dr. Test',
      entity: 'import_batch',
      entityId: report.batchId,
      detail: { origin: 'paths', files: 2, imported: 1, duplicates: 0, errors: 1 },
    });
    const starts = entries.filter((e) => e.action === 'cases.import.start');
    expect(starts).toEqual([
      expect.objectContaining({ entityId: report.batchId, detail: { origin: 'paths', files: 2 } }),
    ]);
    expect(starts[0]!.id).toBeLessThan(imports[0]!.id);
    expect(imports[0]!.detail!['errorSample']).toEqual([{ path: join(inbox, 'bad.txt'), error: expect.any(String) }]);
  });
});
