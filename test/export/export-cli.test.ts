/** `vip export` and `vip audit` through the built CLI: output streams, JSON, exit codes, one-line errors. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry, ExportResult } from '../../src/shared/contract';
import { ensureBuiltCli, runVip } from '../store/built-cli';
import { buildFixture, PATIENT, type Fixture } from './helpers/fixture';
import { csvRecords, readZip, validateDocument } from './helpers/read-export';

let f: Fixture;
let data: string;
let out: string;

const vip = (...args: string[]) => runVip(['--data', data, ...args]);

beforeAll(async () => {
  ensureBuiltCli();
  f = await buildFixture('vip-export-cli-');
  f.engine.close();
  data = join(f.root, 'data');
  out = join(f.root, 'out');
  mkdirSync(out);
});
afterAll(async () => f?.cleanup());

describe('vip export', () => {
  it('exits 2 with one line for an unknown case, and writes nothing', () => {
    const r = vip('export', '--case', `${f.dicomCase},999`, '--out', join(out, 'x.zip'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('vip: Case 999 does not exist\n');
    expect(readdirSync(out)).toEqual([]);
  });

  it('exits 2 with one line for a bad selection, a bad filter or a destination under a file', () => {
    const none = vip('export', '--out', join(out, 'x'));
    expect(none.status).toBe(2);
    expect(none.stderr).toBe('vip: choose the cases with exactly one of --case, --filter or --all\n');
    const both = vip('export', '--case', '1', '--all', '--out', join(out, 'x'));
    expect(both.status).toBe(2);
    const badFilter = vip('export', '--filter', 'colour=red', '--out', join(out, 'x'));
    expect(badFilter.status).toBe(2);
    expect(badFilter.stderr).toContain('is not KEY=VALUE');
    const file = join(f.root, 'a-file');
    writeFileSync(file, 'x');
    const underFile = vip('export', '--case', String(f.dicomCase), '--out', join(file, 'x.zip'));
    expect(underFile.status).toBe(2);
    expect(underFile.stderr.trim().split('\n')).toHaveLength(1);
    expect(underFile.stderr).toMatch(/^vip: .*a-file is not a folder\n$/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--json exports a zip and reports a case without predictions on stderr', async () => {
    const zip = join(out, 'two.zip');
    const r = vip(
      '--json',
      'export',
      '--case',
      String(f.dicomCase),
      '--case',
      String(f.emptyCase),
      '--out',
      zip,
      '--pdf',
      '--dicom-sr',
    );
    expect(r.status, r.stderr).toBe(0);
    const result = ExportResult.parse(JSON.parse(r.stdout));
    expect(result).toMatchObject({ format: 'zip', cases: 2, identified: false, pdfReports: 2, structuredReports: 2 });
    expect(result.casesWithoutPredictions).toEqual([f.emptyCase]);
    expect(r.stderr).toContain(`vip: case ${f.emptyCase} has no predictions; exported with what it has`);
    expect(r.stderr).toContain('random weights');
    const entries = await readZip(zip);
    expect(entries.has('summary.csv')).toBe(true);
    expect(entries.has(`cases/case-${f.dicomCase}/sr/image-2-sr.dcm`)).toBe(true);
    const doc = JSON.parse(entries.get(`cases/case-${f.emptyCase}/case.json`)!.toString('utf8')) as unknown;
    expect(validateDocument(doc).ok).toBe(true);
  });

  it('exports the worklist matching a filter to a folder, with a readable summary', () => {
    const dir = join(out, 'reviewed');
    const r = vip('export', '--filter', 'review=reviewed', '--out', dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^Exported 1 case\\(s\\), 2 image\\(s\\) to ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`),
    );
    expect(r.stdout).toContain('de-identified');
    expect(readdirSync(join(dir, 'cases'))).toEqual([`case-${f.dicomCase}`]);
  });

  it('--all --identified says so on stderr and includes the patient', () => {
    const dir = join(out, 'identified');
    const r = vip('export', '--all', '--identified', '--out', dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('IDENTIFIED export');
    expect(readdirSync(join(dir, 'cases')).sort()).toEqual(
      [f.dicomCase, f.pngCase, f.emptyCase].map((id) => `case-${id}`).sort(),
    );
    const rows = csvRecords(readFileSync(join(dir, 'summary.csv'), 'utf8'));
    expect(rows[0]?.['patient_name']).toBe(PATIENT.name);
  });
});

describe('vip audit', () => {
  it('list --json pages the log newest first, with the exports in it', () => {
    const r = vip('audit', 'list', '--json', '--limit', '5');
    expect(r.status, r.stderr).toBe(0);
    const parsed = JSON.parse(r.stdout) as { total: number; entries: unknown[]; actions: string[] };
    const entries = parsed.entries.map((e) => AuditEntry.parse(e));
    expect(entries).toHaveLength(5);
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => b - a));
    expect(parsed.actions).toContain('cases.export');
    const exports = JSON.parse(vip('--json', 'audit', 'list', '--action', 'cases.export').stdout) as {
      entries: { detail: { identified: boolean } }[];
    };
    expect(exports.entries.map((e) => e.detail.identified)).toEqual([true, false, false]);
  });

  it('list prints a table', () => {
    const r = vip('audit', 'list', '--action', 'cases.export', '--limit', '2');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+AT \(UTC\)\s+ACTOR\s+ACTION\s+ENTITY\s+DETAIL$/);
    expect(lines.slice(1, 3).every((l) => l.includes('cases.export'))).toBe(true);
    expect(lines[3]).toBe('1-2 of 3 entries, newest first');
  });

  it('export --out writes CSV, and refuses to overwrite it', () => {
    const csv = join(out, 'audit.csv');
    const r = vip('audit', 'export', '--out', csv);
    expect(r.status, r.stderr).toBe(0);
    const rows = csvRecords(readFileSync(csv, 'utf8'));
    expect(r.stdout).toBe(`Wrote ${rows.length} audit entries to ${csv}\n`);
    expect(rows.some((row) => row['action'] === 'cases.export')).toBe(true);
    const again = vip('audit', 'export', '--out', csv);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`vip: ${csv} already exists; choose another name or remove it first\n`);
    expect(existsSync(csv)).toBe(true);
  });
});
