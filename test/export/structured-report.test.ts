/**
 * The DICOM Comprehensive SRs, parsed back with dicom-parser: they reference the right study, series and instance
 * (the originals when identified, the export's remapped UIDs otherwise), carry the predicted class, every class's
 * probability and every symptom's weight, similarity and contribution, and a de-identified SR keeps no identifying
 * attribute of the source file.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dicomParserModule from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseExportDocument } from '../../src/main/engine/export/case-document';
import {
  ACCESSION,
  buildFixture,
  CLASSES,
  PATIENT,
  SERIES_UID,
  SOP_UIDS,
  STUDY_UID,
  type Fixture,
} from './helpers/fixture';
import { bytesContain } from './helpers/read-export';

type DicomParser = typeof dicomParserModule;
const dicomParser: DicomParser =
  (dicomParserModule as DicomParser & { default?: DicomParser }).default ?? dicomParserModule;

let f: Fixture;
let deidRoot: string;
let identRoot: string;

beforeAll(async () => {
  f = await buildFixture('vip-export-sr-');
  mkdirSync(join(f.root, 'out'));
  deidRoot = join(f.root, 'out', 'deid');
  identRoot = join(f.root, 'out', 'ident');
  await f.engine.call('export.run', { caseIds: [f.dicomCase, f.pngCase], out: deidRoot, dicomSr: true });
  await f.engine.call('export.run', { caseIds: [f.dicomCase], out: identRoot, dicomSr: true, identified: true });
});
afterAll(async () => f?.cleanup());

const utf8 = (ds: DataSet, tag: string): string | null => {
  const el = ds.elements[tag];
  if (!el) return null;
  return new TextDecoder('utf-8')
    .decode(ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length))
    .replace(/[\0 ]+$/, '');
};
const items = (ds: DataSet, tag: string): DataSet[] =>
  (ds.elements[tag]?.items ?? []).flatMap((i) => (i.dataSet ? [i.dataSet] : []));
const conceptMeaning = (item: DataSet): string | null => {
  const code = items(item, 'x0040a043')[0];
  return code ? utf8(code, 'x00080104') : null;
};
const numValue = (item: DataSet): number => Number(utf8(items(item, 'x0040a300')[0]!, 'x0040a30a'));
const child = (item: DataSet, meaning: string): DataSet | undefined =>
  items(item, 'x0040a730').find((c) => conceptMeaning(c) === meaning);

function parse(root: string, rel: string): { ds: DataSet; bytes: Buffer } {
  const bytes = readFileSync(join(root, rel));
  return { ds: dicomParser.parseDicom(new Uint8Array(bytes)), bytes };
}

function evidenceReference(ds: DataSet): {
  study: string | null;
  series: string | null;
  sopClass: string | null;
  sop: string | null;
} {
  const study = items(ds, 'x0040a375')[0]!;
  const series = items(study, 'x00081115')[0]!;
  const sop = items(series, 'x00081199')[0]!;
  return {
    study: utf8(study, 'x0020000d'),
    series: utf8(series, 'x0020000e'),
    sopClass: utf8(sop, 'x00081150'),
    sop: utf8(sop, 'x00081155'),
  };
}

describe('DICOM SR per analysed DICOM image', () => {
  it('is written only for DICOM images with a prediction', () => {
    const dicomDoc = JSON.parse(
      readFileSync(join(deidRoot, 'cases', `case-${f.dicomCase}`, 'case.json'), 'utf8'),
    ) as CaseExportDocument;
    expect(dicomDoc.images.map((i) => i.files.structuredReport)).toEqual([
      `cases/case-${f.dicomCase}/sr/image-1-sr.dcm`,
      `cases/case-${f.dicomCase}/sr/image-2-sr.dcm`,
    ]);
    const pngDoc = JSON.parse(
      readFileSync(join(deidRoot, 'cases', `case-${f.pngCase}`, 'case.json'), 'utf8'),
    ) as CaseExportDocument;
    expect(pngDoc.images[0]?.files.structuredReport).toBeNull();
    expect(pngDoc.warnings).toContain('Image 1 is not DICOM: no structured report.');
  });

  it('identified: references the original study, series and instance and carries the patient module', () => {
    const { ds } = parse(identRoot, `cases/case-${f.dicomCase}/sr/image-1-sr.dcm`);
    expect(utf8(ds, 'x00080016')).toBe('1.2.840.10008.5.1.4.1.1.88.33');
    expect(utf8(ds, 'x00080060')).toBe('SR');
    expect(utf8(ds, 'x00020010')).toBe('1.2.840.10008.1.2.1');
    expect(utf8(ds, 'x0020000d')).toBe(STUDY_UID);
    expect(utf8(ds, 'x0020000e')).not.toBe(SERIES_UID);
    expect(evidenceReference(ds)).toEqual({
      study: STUDY_UID,
      series: SERIES_UID,
      sopClass: '1.2.840.10008.5.1.4.1.1.1.1',
      sop: SOP_UIDS[0],
    });
    const image = items(ds, 'x0040a730').find((c) => utf8(c, 'x0040a040') === 'IMAGE')!;
    expect(utf8(items(image, 'x00081199')[0]!, 'x00081155')).toBe(SOP_UIDS[0]);
    expect(utf8(ds, 'x00100010')).toBe(PATIENT.name);
    expect(utf8(ds, 'x00100020')).toBe(PATIENT.id);
    expect(utf8(ds, 'x00100030')).toBe(PATIENT.birthDate);
    expect(utf8(ds, 'x00080050')).toBe(ACCESSION);
    expect(ds.elements['x00120062']).toBeUndefined();
  });

  it('carries the predicted class, every probability and every symptom with weight, similarity and contribution', () => {
    const doc = JSON.parse(
      readFileSync(join(identRoot, 'cases', `case-${f.dicomCase}`, 'case.json'), 'utf8'),
    ) as CaseExportDocument;
    const prediction = doc.images[0]!.predictions.find((p) => p.predictionId === doc.images[0]!.latestPredictionId)!;
    const { ds } = parse(identRoot, `cases/case-${f.dicomCase}/sr/image-1-sr.dcm`);
    expect(utf8(ds, 'x0040a040')).toBe('CONTAINER');
    expect(utf8(ds, 'x0040a491')).toBe('COMPLETE');
    const predicted = child(ds, 'Predicted class')!;
    expect(utf8(predicted, 'x0040a160')).toBe('pneumonia');
    expect(numValue(child(predicted, 'Probability')!)).toBeCloseTo(0.8731, 6);
    const results = items(ds, 'x0040a730').filter((c) => conceptMeaning(c) === 'Class result');
    expect(results.map((r) => utf8(child(r, 'Class')!, 'x0040a160'))).toEqual(CLASSES);
    results.forEach((r, i) => {
      const cls = prediction.classes[i]!;
      expect(numValue(child(r, 'Probability')!)).toBeCloseTo(cls.probability, 6);
      expect(numValue(child(r, 'Logit')!)).toBeCloseTo(cls.logit!, 6);
      expect(numValue(child(r, 'Prototype contribution')!)).toBeCloseTo(cls.prototypeContribution!, 6);
      const symptoms = items(r, 'x0040a730').filter((c) => conceptMeaning(c) === 'Visual symptom');
      expect(symptoms.map((s) => utf8(s, 'x0040a160'))).toEqual(cls.symptoms.map((s) => s.text));
      symptoms.forEach((s, k) => {
        expect(numValue(child(s, 'Symptom contribution')!)).toBeCloseTo(cls.symptoms[k]!.contribution, 6);
        expect(numValue(child(s, 'Symptom similarity')!)).toBeCloseTo(cls.symptoms[k]!.similarity, 6);
        expect(numValue(child(s, 'Symptom weight')!)).toBeCloseTo(cls.symptoms[k]!.weight, 6);
      });
    });
    expect(utf8(child(ds, 'Algorithm Version')!, 'x0040a160')).toBe(`model version ${f.versionId} chest v1`);
    expect(utf8(child(ds, 'Reviewer label')!, 'x0040a160')).toBe('pneumonia');
    expect(utf8(child(ds, 'Disclaimer')!, 'x0040a160')).toMatch(/^RESEARCH USE ONLY/);
  });

  it('de-identified: references the remapped UIDs of the export and keeps no identifying attribute', () => {
    const doc = JSON.parse(
      readFileSync(join(deidRoot, 'cases', `case-${f.dicomCase}`, 'case.json'), 'utf8'),
    ) as CaseExportDocument;
    const seriesOfSr = new Set<string | null>();
    doc.images.forEach((image, i) => {
      const { ds, bytes } = parse(deidRoot, image.files.structuredReport!);
      expect(evidenceReference(ds)).toEqual({
        study: doc.case.studyInstanceUid,
        series: image.dicom?.['seriesInstanceUid'],
        sopClass: '1.2.840.10008.5.1.4.1.1.1.1',
        sop: image.dicom?.['sopInstanceUid'],
      });
      expect(utf8(ds, 'x0020000d')).toBe(doc.case.studyInstanceUid);
      seriesOfSr.add(utf8(ds, 'x0020000e'));
      expect(utf8(ds, 'x00200013')).toBe(String(i + 1));
      // Patient and study identity: pseudonym or empty (PS3.15 Z), and marked as removed.
      expect(utf8(ds, 'x00100010')).toBe('Patient 1');
      expect(utf8(ds, 'x00100020')).toBe('PATIENT-1');
      for (const tag of ['x00100030', 'x00100040', 'x00080020', 'x00080030', 'x00080050', 'x00080090', 'x00200010']) {
        expect(utf8(ds, tag), tag).toBe('');
      }
      expect(utf8(ds, 'x00120062')).toBe('YES');
      expect(utf8(items(ds, 'x00120064')[0]!, 'x00080100')).toBe('113100');
      expect(utf8(ds, 'x00280303')).toBe('REMOVED');
      for (const phi of [
        'Moriarty',
        'Jacqueline',
        PATIENT.id,
        PATIENT.birthDate,
        ACCESSION,
        'Watson',
        'ST-4411',
        'Adler',
        STUDY_UID,
        SERIES_UID,
        ...SOP_UIDS,
      ]) {
        expect(bytesContain(bytes, phi), phi).toBe(false);
      }
      // The scrubbed review note is what the SR carries.
      expect(utf8(child(ds, 'Reviewer note')!, 'x0040a160')).toBe(doc.reviews[0]?.note);
    });
    // One SR series per study.
    expect(seriesOfSr.size).toBe(1);
  });
});
