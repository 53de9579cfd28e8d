/**
 * The PDF reports render (poppler's pdftoppm) and their text (pdftotext) holds the predicted class, the probabilities,
 * the symptoms with contributions, the reviewer's label and note, the model version and the research-use notice; the
 * de-identified report holds no patient identifier, the identified one does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, PATIENT, type Fixture } from './helpers/fixture';

const poppler = ['/usr/bin/pdftoppm', '/usr/bin/pdftotext'].every((p) => existsSync(p));
// CI installs poppler-utils, so there a missing pdftoppm is a failure; elsewhere these tests wait for it.
const run = poppler || process.env.CI ? describe : describe.skip;

const pdfText = (file: string): string => {
  const r = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pdftotext failed: ${r.stderr}`);
  return r.stdout;
};

run('PDF case reports', () => {
  let f: Fixture;
  let deidPdf: string;
  let identPdf: string;
  let emptyPdf: string;

  beforeAll(async () => {
    f = await buildFixture('vip-export-pdf-');
    mkdirSync(join(f.root, 'out'));
    const cases = [f.dicomCase, f.emptyCase];
    await f.engine.call('export.run', { caseIds: cases, out: join(f.root, 'out', 'deid'), pdf: true });
    await f.engine.call('export.run', {
      caseIds: [f.dicomCase],
      out: join(f.root, 'out', 'ident'),
      pdf: true,
      identified: true,
    });
    deidPdf = join(f.root, 'out', 'deid', 'cases', `case-${f.dicomCase}`, 'report.pdf');
    emptyPdf = join(f.root, 'out', 'deid', 'cases', `case-${f.emptyCase}`, 'report.pdf');
    identPdf = join(f.root, 'out', 'ident', 'cases', `case-${f.dicomCase}`, 'report.pdf');
  });
  afterAll(async () => f?.cleanup());

  it('renders every page with pdftoppm', async () => {
    const pages = join(f.root, 'pages');
    mkdirSync(pages);
    const r = spawnSync('pdftoppm', ['-r', '50', '-png', deidPdf, join(pages, 'page')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(pages).sort();
    expect(files.length).toBeGreaterThanOrEqual(1);
    const text = pdfText(deidPdf);
    expect(text).toContain(`Page 1 of ${files.length}`);
    // A rendered page is not blank: it has dark text and the black image box.
    const { data } = await sharp(join(pages, files[0]!)).greyscale().raw().toBuffer({ resolveWithObject: true });
    const dark = data.filter((v) => v < 60).length;
    expect(dark / data.length).toBeGreaterThan(0.01);
  });

  it('holds the class, probabilities, symptoms with contributions, review, model version and disclaimer', () => {
    const text = pdfText(deidPdf);
    for (const s of [
      'RESEARCH USE ONLY - NOT FOR DIAGNOSTIC USE',
      'Predicted class',
      'pneumonia',
      '87.3%',
      '12.7%',
      '62.0%',
      'air bronchograms within consolidation',
      'patchy airspace opacity in the lower lobe',
      '+1.850',
      '+1.600',
      'Reviewer label',
      'Agrees with the model',
      'Agree; discussed with Dr. [removed]',
      'Model version',
      '"chest v1"',
      'RANDOM WEIGHTS',
      'Symptom set chest-test version 1, approved',
      'Patient 1',
      'de-identified',
    ]) {
      expect(text, s).toContain(s);
    }
  });

  it('keeps patient identifiers out of the de-identified report and puts them in the identified one', () => {
    const deid = pdfText(deidPdf);
    for (const phi of ['Moriarty', 'Jacqueline', PATIENT.id, PATIENT.isoBirthDate, 'Irene Adler', 'MORIARTY_1']) {
      expect(deid).not.toContain(phi);
    }
    const ident = pdfText(identPdf);
    expect(ident).toContain(PATIENT.name);
    expect(ident).toContain(PATIENT.id);
    expect(ident).toContain(PATIENT.isoBirthDate);
    expect(ident).toContain('IDENTIFIED');
    expect(ident).toContain('Dr Irene Adler');
  });

  it('reports a case without predictions as such', () => {
    const text = pdfText(emptyPdf);
    expect(text).toContain('No prediction has been made for this case.');
    expect(text).toContain('The case has no predictions; it is exported without them.');
    expect(text).toContain('RESEARCH USE ONLY');
  });
});
