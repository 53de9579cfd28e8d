/**
 * An image whose DICOM file declares Burned In Annotation = YES may show the patient's name in its pixels, which no
 * attribute removal reaches: a de-identified export does not draw it (and says why); an identified export does.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import type { CaseExportDocument } from '../../src/main/engine/export/case-document';
import { imageElements, writeDicom } from '../store/dicom-writer';

let root: string;
let engine: Engine;
let caseId: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-export-burned-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  const file = join(root, 'us.dcm');
  const size = 32;
  writeFileSync(
    file,
    writeDicom([
      ...imageElements({
        rows: size,
        columns: size,
        pixels: Array.from({ length: size * size }, (_, i) => (i % size) * 100),
        modality: 'US',
        studyUid: '1.2.826.0.1.3680043.9.7002.1',
      }),
      { tag: 0x00280301, vr: 'CS', value: 'YES' },
    ]),
  );
  const r = await engine.call('cases.importPaths', { paths: [file] });
  const o = r.outcomes[0];
  if (o?.status !== 'imported') throw new Error('import failed');
  caseId = o.caseId;
  mkdirSync(join(root, 'out'));
});
afterAll(() => {
  engine?.close();
  rmSync(root, { recursive: true, force: true });
});

it('is not drawn in a de-identified export, and is drawn in an identified one', async () => {
  const deid = join(root, 'out', 'deid');
  const ident = join(root, 'out', 'ident');
  await engine.call('export.run', { caseIds: [caseId], out: deid });
  await engine.call('export.run', { caseIds: [caseId], out: ident, identified: true });
  const doc = JSON.parse(
    readFileSync(join(deid, 'cases', `case-${caseId}`, 'case.json'), 'utf8'),
  ) as CaseExportDocument;
  expect(doc.warnings).toContain(
    'Image 1 could not be rendered: its DICOM file declares burned-in annotation, which may identify the patient',
  );
  const width = async (dir: string): Promise<number> =>
    (await sharp(readFileSync(join(dir, 'cases', `case-${caseId}`, 'image-1-evidence.png'))).metadata()).width ?? 0;
  // Without the image the PNG is the panel beside an empty 320-pixel area; with it, the image is enlarged beside it.
  expect(await width(deid)).toBe(320 + 620);
  expect(await width(ident)).toBeGreaterThan(320 + 620);
  const identDoc = JSON.parse(
    readFileSync(join(ident, 'cases', `case-${caseId}`, 'case.json'), 'utf8'),
  ) as CaseExportDocument;
  expect(identDoc.warnings.join(' ')).not.toContain('burned-in');
});
