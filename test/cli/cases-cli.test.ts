/** `vip cases ...` through the built CLI: output streams, JSON and exit codes. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportReport, CaseDetail, CaseListResult } from '../../src/shared/contract';
import { ensureBuiltCli, runVip } from '../store/built-cli';
import { dicomImage } from '../store/dicom-writer';
import { solidPng, tempDir } from '../store/helpers';

let dir: ReturnType<typeof tempDir>;
let data: string;
let inbox: string;
let pngA: string;
let pngB: string;
let dcm: string;
let junk: string;

const vip = (...args: string[]) => runVip(['--data', data, ...args]);

beforeAll(async () => {
  ensureBuiltCli();
  dir = tempDir('vip-cli-');
  data = join(dir.path, 'data');
  inbox = join(dir.path, 'inbox');
  mkdirSync(inbox);
  pngA = join(inbox, 'a.png');
  pngB = join(inbox, 'b.png');
  dcm = join(inbox, 'c.dcm');
  junk = join(inbox, 'junk.txt');
  writeFileSync(pngA, await solidPng(8, 8, [10, 20, 30]));
  writeFileSync(pngB, await solidPng(8, 8, [40, 50, 60]));
  writeFileSync(dcm, dicomImage({ rows: 2, columns: 2, pixels: [1, 2, 3, 4], modality: 'CR', studyUid: '1.2.3.4.9' }));
  writeFileSync(junk, 'not an image');
});
afterAll(() => dir?.cleanup());

describe('vip cases import', () => {
  it('prints a line per file on stderr and a summary, and exits 0', () => {
    const r = vip('cases', 'import', pngA, junk);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^\[1\/2\] imported\s+.*a\.png -> case \d+, image \d+$/);
    expect(lines[1]).toMatch(/^\[2\/2\] error\s+.*junk\.txt: not a supported image/);
    expect(lines[2]).toMatch(/^1 imported, 0 duplicate\(s\), 1 error\(s\) \(batch [0-9a-f-]{36}\)$/);
  });

  it('--json prints the ImportReport on stdout; all duplicates still exit 0', () => {
    const r = vip('--json', 'cases', 'import', pngA);
    expect(r.status).toBe(0);
    const report = ImportReport.parse(JSON.parse(r.stdout));
    expect(report).toMatchObject({ imported: 0, duplicates: 1, errors: 0 });
    expect(report.outcomes[0]).toMatchObject({ status: 'duplicate', path: pngA });
  });

  it('exits 2 when every file failed', () => {
    const r = vip('--json', 'cases', 'import', junk, join(inbox, 'missing.png'));
    expect(r.status).toBe(2);
    const report = ImportReport.parse(JSON.parse(r.stdout));
    expect(report).toMatchObject({ imported: 0, duplicates: 0, errors: 2 });
    expect(r.stderr).toMatch(/vip: no file was imported \(2 error\(s\)\)/);
  });

  it('adds to an existing case with --case and refuses an unknown one with exit 2', () => {
    const first = ImportReport.parse(JSON.parse(vip('--json', 'cases', 'import', dcm).stdout));
    const target = first.outcomes[0]?.status === 'imported' ? first.outcomes[0].caseId : -1;
    const r = vip('--json', 'cases', 'import', '--case', String(target), pngB);
    expect(r.status).toBe(0);
    expect(ImportReport.parse(JSON.parse(r.stdout)).outcomes[0]).toMatchObject({ status: 'imported', caseId: target });

    const unknown = vip('cases', 'import', '--case', '9999', pngB);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe('vip: Case 9999 does not exist');
    const bad = vip('cases', 'import', '--case', 'abc', pngB);
    expect(bad.status).toBe(2);
  });
});

describe('vip cases list and show', () => {
  it('lists with filters as JSON', () => {
    const all = CaseListResult.parse(JSON.parse(vip('--json', 'cases', 'list').stdout));
    expect(all.total).toBe(2);
    const cr = CaseListResult.parse(JSON.parse(vip('--json', 'cases', 'list', '--modality', 'CR').stdout));
    expect(cr.cases.map((c) => c.modality)).toEqual(['CR']);
    expect(cr.cases[0]!.imageCount).toBe(2);
    const paged = CaseListResult.parse(
      JSON.parse(vip('--json', 'cases', 'list', '--sort', 'created_asc', '--limit', '1').stdout),
    );
    expect(paged.cases).toHaveLength(1);
    expect(paged.cases[0]!.description).toBe('a.png');
    const unreviewed = CaseListResult.parse(
      JSON.parse(vip('--json', 'cases', 'list', '--review-status', 'unreviewed').stdout),
    );
    expect(unreviewed.total).toBe(2);
    expect(vip('cases', 'list', '--sort', 'sideways').status).toBe(2);
    // Case date: the DICOM case's study date (dicomImage's default, 2024-01-31); the PNG case's import day.
    const onDay = CaseListResult.parse(
      JSON.parse(vip('--json', 'cases', 'list', '--from', '2024-01-31', '--to', '2024-01-31').stdout),
    );
    expect(onDay.cases.map((c) => c.modality)).toEqual(['CR']);
    const today = new Date().toISOString().slice(0, 10);
    const imported = CaseListResult.parse(JSON.parse(vip('--json', 'cases', 'list', '--from', today).stdout));
    expect(imported.cases.map((c) => c.description)).toEqual(['a.png']);
    const badDay = vip('cases', 'list', '--from', '31/01/2024');
    expect(badDay.status).toBe(2);
    expect(badDay.stderr).toContain('expected a date like 2025-01-31');
    const human = vip('cases', 'list');
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/^ID\s+CREATED/);
    expect(human.stdout).toMatch(/2 of 2 case\(s\)/);
  });

  it('shows one case, and exits 2 with one line for an unknown or malformed id', () => {
    const list = CaseListResult.parse(JSON.parse(vip('--json', 'cases', 'list', '--modality', 'CR').stdout));
    const id = list.cases[0]!.id;
    const shown = vip('--json', 'cases', 'show', String(id));
    expect(shown.status).toBe(0);
    const detail = CaseDetail.parse(JSON.parse(shown.stdout));
    expect(detail.images.map((i) => i.originalName).sort()).toEqual(['b.png', 'c.dcm']);

    const missing = vip('--json', 'cases', 'show', '424242');
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe('vip: Case 424242 does not exist\n');
    const malformed = vip('cases', 'show', 'x1');
    expect(malformed.status).toBe(2);
    expect(malformed.stderr.trim().split('\n')).toHaveLength(1);
  });
});
