/**
 * An export of the fixture's three cases read back as a recipient would: to a folder de-identified (with PDF and SR),
 * and to a zip identified. The JSON validates against the shipped schema, the CSV parses and agrees with it, the zip
 * lists what the folder holds, every prediction and its evidence is there, and no patient identifier survives
 * de-identification in any text file, file name or SR.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportResult } from '../../src/shared/contract';
import type { CaseExportDocument } from '../../src/main/engine/export/case-document';
import {
  ACCESSION,
  buildFixture,
  CLASSES,
  PATIENT,
  REVIEW_NOTE,
  SERIES_UID,
  SOP_UIDS,
  STUDY_UID,
  SYMPTOMS,
  type Fixture,
} from './helpers/fixture';
import { bytesContain, csvRecords, filesUnder, readZip, validateDocument } from './helpers/read-export';

let f: Fixture;
let deidDir: string;
let deid: ExportResult;
let zipPath: string;
let ident: ExportResult;

/** Everything that identifies the patient, the study or the people in the fixture. */
const PHI = [
  'Moriarty',
  'Jacqueline',
  PATIENT.id,
  PATIENT.birthDate,
  PATIENT.isoBirthDate,
  ACCESSION,
  'Watson',
  'ST-4411',
  'Irene',
  'Adler',
  STUDY_UID,
  SERIES_UID,
  ...SOP_UIDS,
];

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

beforeAll(async () => {
  f = await buildFixture();
  deidDir = join(f.root, 'out', 'deidentified');
  zipPath = join(f.root, 'out', 'identified.zip');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(f.root, 'out'));
  const cases = [f.dicomCase, f.pngCase, f.emptyCase];
  deid = await f.engine.call('export.run', { caseIds: cases, out: deidDir, pdf: true, dicomSr: true });
  ident = await f.engine.call('export.run', { caseIds: cases, out: zipPath, identified: true, dicomSr: true });
});
afterAll(async () => f?.cleanup());

describe('de-identified export to a folder', () => {
  it('holds the documents, evidence PNGs, PDF reports, SRs, summary, schema, manifest and README', () => {
    const files = filesUnder(deidDir);
    const c = (id: number, rest: string): string => `cases/case-${id}/${rest}`;
    expect(files).toEqual(
      [
        'README.txt',
        'case-export.schema.json',
        'manifest.json',
        'summary.csv',
        c(f.dicomCase, 'case.json'),
        c(f.dicomCase, 'image-1-evidence.png'),
        c(f.dicomCase, 'image-2-evidence.png'),
        c(f.dicomCase, 'report.pdf'),
        c(f.dicomCase, 'sr/image-1-sr.dcm'),
        c(f.dicomCase, 'sr/image-2-sr.dcm'),
        c(f.pngCase, 'case.json'),
        c(f.pngCase, 'image-1-evidence.png'),
        c(f.pngCase, 'report.pdf'),
        c(f.emptyCase, 'case.json'),
        c(f.emptyCase, 'image-1-evidence.png'),
        c(f.emptyCase, 'report.pdf'),
      ].sort(),
    );
    expect(deid).toMatchObject({
      format: 'folder',
      cases: 3,
      images: 4,
      files: files.length,
      identified: false,
      pdfReports: 3,
      structuredReports: 2,
      casesWithoutPredictions: [f.emptyCase],
    });
    // Nothing but the export itself is left beside it (no staging folder).
    expect(
      filesUnder(join(f.root, 'out')).filter((p) => !p.startsWith('deidentified/') && p !== 'identified.zip'),
    ).toEqual([]);
  });

  it('writes case documents that validate against the shipped schema', () => {
    for (const id of [f.dicomCase, f.pngCase, f.emptyCase]) {
      const doc = readJson<unknown>(join(deidDir, 'cases', `case-${id}`, 'case.json'));
      const result = validateDocument(doc);
      expect(result.ok, result.errors).toBe(true);
    }
    // The schema's de-identified branch refuses a document that carries a patient name.
    const doc = readJson<CaseExportDocument>(join(deidDir, 'cases', `case-${f.dicomCase}`, 'case.json'));
    doc.case.patient.name = 'Moriarty^Jacqueline';
    expect(validateDocument(doc).ok).toBe(false);
    // The copy in the export is the repository's schema.
    expect(readFileSync(join(deidDir, 'case-export.schema.json'), 'utf8')).toBe(
      readFileSync(join('resources', 'schemas', 'case-export.schema.json'), 'utf8'),
    );
  });

  it('exports every prediction of every image with its per-symptom evidence and provenance', () => {
    const doc = readJson<CaseExportDocument>(join(deidDir, 'cases', `case-${f.dicomCase}`, 'case.json'));
    expect(doc.predictionStatus).toBe('predicted');
    const [first, second] = doc.images;
    expect(first?.predictions.map((p) => p.mode)).toEqual(['zeroshot-symptoms', 'vip']);
    expect(first?.latestPredictionId).toBe(first?.predictions[1]?.predictionId);
    expect(second?.predictions).toHaveLength(1);
    const latest = first!.predictions[1]!;
    expect(latest.predictedClass).toBe('pneumonia');
    expect(latest.probability).toBeCloseTo(0.8731, 10);
    expect(latest.classes.map((c) => c.className)).toEqual(CLASSES);
    for (const cls of latest.classes) {
      expect(cls.symptoms.map((s) => s.text)).toEqual(SYMPTOMS[cls.className]);
      // The logit is the prototype term plus the symptoms' contributions (the fixture saved it that way).
      const sum = cls.symptoms.reduce((a, s) => a + s.contribution, cls.prototypeContribution ?? 0);
      expect(cls.logit).toBeCloseTo(sum, 9);
    }
    expect(doc.modelVersions).toEqual([
      expect.objectContaining({
        id: f.versionId,
        name: 'chest v1',
        modelPackageId: 'demo',
        promptSha256: 'a'.repeat(64),
      }),
    ]);
    // Headline metrics only, not the training log.
    expect(doc.modelVersions[0]?.metrics).toEqual({ bestEpoch: 3, test: { accuracy: 0.9 } });
    expect(doc.modelPackages).toEqual([expect.objectContaining({ id: 'demo', randomWeights: true })]);
    const set = doc.symptomSets[0]!;
    expect(set).toMatchObject({ name: 'chest-test', version: 1, approved: true, approvedBy: 'Person 1' });
    expect(set.classes).toEqual(CLASSES.map((name) => ({ name, symptoms: SYMPTOMS[name] })));
    expect(set.provenance).toEqual({ source: 'chest.json', importedBy: 'Person 1' });
    expect(doc.reviews).toEqual([
      expect.objectContaining({
        label: 'pneumonia',
        agreesWithModel: true,
        reviewer: 'Person 1',
        predictionId: latest.predictionId,
      }),
    ]);
    expect(doc.warnings.join(' ')).toContain('random weights');
  });

  it('exports a case without predictions with what it has, and says so', () => {
    const doc = readJson<CaseExportDocument>(join(deidDir, 'cases', `case-${f.emptyCase}`, 'case.json'));
    expect(doc.predictionStatus).toBe('none');
    expect(doc.images).toHaveLength(1);
    expect(doc.images[0]?.predictions).toEqual([]);
    expect(doc.warnings).toContain('The case has no predictions; it is exported without them.');
    expect(deid.warnings).toContain(`Case ${f.emptyCase}: The case has no predictions; it is exported without them.`);
  });

  it('remaps UIDs consistently: the same original UID is the same new UID in JSON, CSV and SR, and never the original', () => {
    const doc = readJson<CaseExportDocument>(join(deidDir, 'cases', `case-${f.dicomCase}`, 'case.json'));
    const [a, b] = doc.images;
    const study = doc.case.studyInstanceUid;
    expect(study).toMatch(/^2\.25\./);
    expect(a?.dicom?.['studyInstanceUid']).toBe(study);
    expect(b?.dicom?.['studyInstanceUid']).toBe(study);
    expect(a?.dicom?.['seriesInstanceUid']).toBe(b?.dicom?.['seriesInstanceUid']);
    expect(a?.dicom?.['sopInstanceUid']).not.toBe(b?.dicom?.['sopInstanceUid']);
    expect(a?.dicom?.['studyDate']).toBeNull();
    expect(a?.dicom && 'studyDescription' in a.dicom).toBe(false);
    const rows = csvRecords(readFileSync(join(deidDir, 'summary.csv'), 'utf8'));
    expect(rows.filter((r) => r['case_id'] === String(f.dicomCase)).map((r) => r['sop_instance_uid'])).toEqual([
      a?.dicom?.['sopInstanceUid'],
      b?.dicom?.['sopInstanceUid'],
    ]);
  });

  it('leaves no patient, study or staff identifier in any text file or file name', () => {
    for (const rel of filesUnder(deidDir)) {
      for (const phi of PHI) expect(rel.toLowerCase(), rel).not.toContain(phi.toLowerCase());
      if (/\.(json|csv|txt|dcm)$/.test(rel)) {
        const bytes = readFileSync(join(deidDir, rel));
        for (const phi of PHI) expect(bytesContain(bytes, phi), `${phi} in ${rel}`).toBe(false);
      }
    }
    const doc = readJson<CaseExportDocument>(join(deidDir, 'cases', `case-${f.dicomCase}`, 'case.json'));
    expect(doc.case.patient).toEqual({
      pseudonym: 'Patient 1',
      patientKey: null,
      name: null,
      id: null,
      birthDate: null,
      sex: null,
    });
    expect(doc.case.description).toBeNull();
    expect(doc.case.studyDate).toBeNull();
    expect(doc.images.map((i) => i.fileName)).toEqual(['image-1.dcm', 'image-2.dcm']);
    expect(doc.images.every((i) => i.sha256 === null)).toBe(true);
    // Free text keeps its clinical content, with the identifiers scrubbed.
    expect(doc.reviews[0]?.note).toBe('Agree; discussed with Dr. [removed]. Patient [removed] recalled [removed].');
    expect(doc.case.notes).toContain('follow-up in 6 weeks');
  });

  it('writes a summary CSV with one row per image that agrees with the documents', () => {
    const rows = csvRecords(readFileSync(join(deidDir, 'summary.csv'), 'utf8'));
    expect(rows).toHaveLength(4);
    expect(Object.keys(rows[0]!)).not.toContain('patient_name');
    const first = rows[0]!;
    expect(first).toMatchObject({
      case_id: String(f.dicomCase),
      patient: 'Patient 1',
      image_index: '1',
      image_file: 'image-1.dcm',
      prediction_status: 'predicted',
      predicted_class: 'pneumonia',
      probability: '0.8731',
      probabilities: 'pneumonia=0.8731; normal=0.1269',
      mode: 'vip',
      model_version: 'chest v1',
      random_weights: 'true',
      symptom_set: 'chest-test v1',
      top_symptom: 'air bronchograms within consolidation',
      review_label: 'pneumonia',
      reviewer: 'Person 1',
      evidence_png: `cases/case-${f.dicomCase}/image-1-evidence.png`,
      report_pdf: `cases/case-${f.dicomCase}/report.pdf`,
      structured_report: `cases/case-${f.dicomCase}/sr/image-1-sr.dcm`,
    });
    const empty = rows.find((r) => r['case_id'] === String(f.emptyCase));
    expect(empty).toMatchObject({ prediction_status: 'no prediction', predicted_class: '', structured_report: '' });
  });

  it('lists every file in the manifest with its sha256', () => {
    const manifest = readJson<{ files: { path: string; sha256: string }[]; export: { identified: boolean } }>(
      join(deidDir, 'manifest.json'),
    );
    expect(manifest.export.identified).toBe(false);
    const listed = manifest.files.map((x) => x.path);
    expect([...listed, 'manifest.json'].sort()).toEqual(filesUnder(deidDir));
    for (const { path, sha256 } of manifest.files) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(deidDir, path)))
          .digest('hex'),
        path,
      ).toBe(sha256);
    }
  });

  it('draws each image beside its evidence panel', async () => {
    const png = readFileSync(join(deidDir, 'cases', `case-${f.dicomCase}`, 'image-1-evidence.png'));
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    // The 48-pixel image is enlarged beside a 620-pixel panel.
    expect(info.width).toBeGreaterThan(620 + 48);
    expect(info.height).toBeGreaterThanOrEqual(600);
    const at = (x: number, y: number): number[] => {
      const o = (y * info.width + x) * info.channels;
      return [data[o]!, data[o + 1]!, data[o + 2]!];
    };
    const imageW = info.width - 620;
    // The phantom's bright disc sits right of the image's centre; its left edge is dark.
    const disc = at(Math.round(imageW * 0.6), Math.round(info.height * 0.45));
    const edge = at(2, Math.round(info.height * 0.45));
    expect(disc[0]!).toBeGreaterThan(edge[0]! + 100);
    // The panel's background is white below its dark title band.
    expect(at(info.width - 5, info.height - 5)).toEqual([255, 255, 255]);
    expect(at(info.width - 5, 10)).toEqual([15, 42, 67]);
  });
});

describe('identified export to a zip', () => {
  it('lists the same entries as the folder layout (without the PDFs it was not asked for)', async () => {
    const entries = await readZip(zipPath);
    const names = [...entries.keys()].sort();
    const expected = filesUnder(deidDir).filter((p) => !p.endsWith('report.pdf'));
    expect(names).toEqual(expected);
    expect(ident).toMatchObject({ format: 'zip', identified: true, structuredReports: 2, pdfReports: 0 });
    const doc = JSON.parse(entries.get(`cases/case-${f.dicomCase}/case.json`)!.toString('utf8')) as CaseExportDocument;
    expect(validateDocument(doc).ok).toBe(true);
    expect(doc.export.identified).toBe(true);
    expect(doc.export.deidentification).toBeNull();
    expect(doc.case.patient).toMatchObject({
      name: PATIENT.name,
      id: PATIENT.id,
      birthDate: PATIENT.isoBirthDate,
      sex: 'F',
    });
    expect(doc.case.studyInstanceUid).toBe(STUDY_UID);
    expect(doc.images.map((i) => i.dicom?.['sopInstanceUid'])).toEqual(SOP_UIDS);
    expect(doc.images.map((i) => i.fileName)).toEqual(['MORIARTY_1.dcm', 'MORIARTY_2.dcm']);
    expect(doc.reviews[0]).toMatchObject({ note: REVIEW_NOTE, reviewer: 'Dr Irene Adler' });
    const rows = csvRecords(entries.get('summary.csv')!.toString('utf8'));
    expect(rows[0]).toMatchObject({
      patient_name: PATIENT.name,
      patient_id: PATIENT.id,
      patient_birth_date: PATIENT.isoBirthDate,
    });
  });

  it('records both exports in the audit log, the identified one marked so', () => {
    const { entries } = f.engine.store.audit.list(0, 50);
    const done = entries.filter((e) => e.action === 'cases.export');
    expect(done.map((e) => e.detail?.['identified'])).toEqual([true, false]);
    expect(done[0]).toMatchObject({ entity: 'export', entityId: ident.exportId });
    expect(done[0]?.detail).toMatchObject({
      out: zipPath,
      format: 'zip',
      caseIds: [f.dicomCase, f.pngCase, f.emptyCase],
    });
    expect(entries.filter((e) => e.action === 'cases.export.start').map((e) => e.entityId)).toEqual([
      ident.exportId,
      deid.exportId,
    ]);
  });
});
