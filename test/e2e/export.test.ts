/**
 * The export dialog and the Audit screen in chromium over the built `vip serve`: exporting the worklist to a zip and
 * one case from the viewer to a folder, the identified-data warning, readable errors (an existing destination, bad
 * case numbers), and the audit trail paged, filtered and exported as CSV; and cancelling a running export (the
 * Cancel export button and Escape) over a worklist big enough to take a while. Screenshots go to
 * test/artifacts/export-dialog.png, audit.png and export-cancelled.png.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, type Fixture } from '../export/helpers/fixture';
import { csvRecords, readZip } from '../export/helpers/read-export';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { writeTestPng } from './helpers/images';
import { repoRoot, startServe, type Served } from './helpers/serve';

// CI installs chromium (.ci/run), so there a missing browser is a failure; elsewhere these tests wait for it.
const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');
const EXTRA_AUDIT_ENTRIES = 60;

run('export dialog and audit screen over vip serve', () => {
  let f: Fixture;
  let out: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    f = await buildFixture('vip-e2e-export-');
    // Enough entries for more than one page of the audit trail.
    for (let i = 0; i < EXTRA_AUDIT_ENTRIES; i++)
      f.engine.store.audit.record({
        actor: 'scripted',
        action: 'test.entry',
        entity: 'case',
        entityId: f.pngCase,
        detail: { i },
      });
    f.engine.close();
    out = join(f.root, 'out');
    mkdirSync(out);
    mkdirSync(artifacts, { recursive: true });
    served = await startServe(join(f.root, 'data'));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await f?.cleanup();
  });

  const dialog = (page: Page) => page.getByRole('dialog', { name: 'Export cases' });

  it('exports the worklist to a zip from the worklist', async () => {
    const { page } = browser;
    await page.goto(served.url);
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('3 cases');
    await page.getByRole('button', { name: 'Export…' }).click();
    const d = dialog(page);
    await d.waitFor();
    expect(await d.getByRole('radio', { name: 'All 3 cases of the worklist' }).isChecked()).toBe(true);
    // The destination is proposed in the data folder.
    await expect.poll(() => d.getByLabel(/^Destination/).inputValue()).toMatch(/vip-export-\d{8}-\d{6}\.zip$/);
    const zip = join(out, 'worklist.zip');
    await d.getByLabel(/^Destination/).fill(zip);
    await d.getByRole('checkbox', { name: /DICOM Structured Report/ }).check();
    expect(await d.getByRole('checkbox', { name: 'PDF report per case' }).isChecked()).toBe(true);
    expect(await d.getByRole('checkbox', { name: /Include patient identifiers/ }).isChecked()).toBe(false);
    await page.screenshot({ path: join(artifacts, 'export-dialog.png') });
    await d.getByRole('button', { name: 'Export', exact: true }).click();
    const outcome = d.getByTestId('export-outcome');
    await outcome.waitFor({ timeout: 60_000 });
    const text = (await outcome.textContent()) ?? '';
    expect(text).toContain('Exported 3 cases (4 images)');
    expect(text).toContain(zip);
    expect(text).toContain('3 PDF reports, 2 DICOM SRs');
    expect(text).toContain('De-identified.');
    expect(text).toContain(`Case ${f.emptyCase} has no predictions and was exported with what it has.`);
    const entries = await readZip(zip);
    expect(entries.has('summary.csv')).toBe(true);
    expect(entries.has(`cases/case-${f.dicomCase}/report.pdf`)).toBe(true);
    expect(csvRecords(entries.get('summary.csv')!.toString('utf8'))).toHaveLength(4);
    await d.getByRole('button', { name: 'Close' }).click();
    await d.waitFor({ state: 'detached' });
  });

  it('warns about identified data, refuses an existing destination and bad case numbers readably', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Export…' }).click();
    const d = dialog(page);
    await d.waitFor();
    await d.getByRole('checkbox', { name: /Include patient identifiers/ }).check();
    expect(await d.getByRole('note').textContent()).toContain('recorded in the audit log');
    await d.getByRole('checkbox', { name: /Include patient identifiers/ }).uncheck();
    expect(await d.getByRole('note').count()).toBe(0);

    await d.getByLabel('Case numbers to export').fill('12, x-3');
    await d.getByLabel(/^Destination/).fill(join(out, 'other.zip'));
    await d.getByRole('button', { name: 'Export', exact: true }).click();
    expect(await d.locator('.field__problem').textContent()).toBe('"x-3" is not a case number or a range like 15-18.');

    await d.getByLabel('Case numbers to export').fill(`${f.dicomCase}`);
    await d.getByLabel(/^Destination/).fill(join(out, 'worklist.zip'));
    await d.getByRole('button', { name: 'Export', exact: true }).click();
    const alert = d.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Could not export');
    expect(await alert.textContent()).toContain('already exists');
    expect(await alert.textContent()).not.toMatch(/\bat .*\.js:\d+/);
    // Escape closes the dialog.
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    expect(readdirSync(out)).toEqual(['worklist.zip']);
  });

  it('exports the case on screen from the viewer to a folder', async () => {
    const { page } = browser;
    await page.goto(`${served.origin}/#/case/${f.pngCase}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^Case ${f.pngCase}`) }).waitFor();
    await page.getByRole('button', { name: 'Export…' }).click();
    const d = dialog(page);
    await d.waitFor();
    expect(await d.getByRole('radio', { name: `Case ${f.pngCase}` }).isChecked()).toBe(true);
    const folder = join(out, 'one-case');
    await d.getByLabel(/^Destination/).fill(folder);
    await d.getByRole('checkbox', { name: 'PDF report per case' }).uncheck();
    // N and P typed in the dialog do not move the viewer to another case.
    await d.getByRole('checkbox', { name: 'PDF report per case' }).press('n');
    expect(page.url()).toContain(`#/case/${f.pngCase}`);
    await d.getByRole('button', { name: 'Export', exact: true }).click();
    await expect
      .poll(() => d.getByTestId('export-outcome').textContent(), { timeout: 60_000 })
      .toContain('Exported 1 case (1 image)');
    expect(readdirSync(join(folder, 'cases'))).toEqual([`case-${f.pngCase}`]);
    expect(existsSync(join(folder, 'cases', `case-${f.pngCase}`, 'report.pdf'))).toBe(false);
    await d.getByRole('button', { name: 'Close' }).click();
  });

  it('shows the audit trail a page at a time, filters it, and exports it as CSV', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor();
    const count = page.getByTestId('audit-count');
    await expect.poll(() => count.textContent()).toMatch(/^1–50 of \d+ entries, newest first/);
    const total = Number(/of (\d+)/.exec((await count.textContent()) ?? '')?.[1]);
    expect(total).toBeGreaterThan(EXTRA_AUDIT_ENTRIES);
    expect(await page.locator('.audit-table tbody tr').count()).toBe(50);
    // Newest first: the last export is at the top.
    expect(await page.locator('.audit-table tbody tr').first().textContent()).toContain('cases.export');
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => count.textContent()).toMatch(new RegExp(`^51–${Math.min(100, total)} of ${total}`));
    await page.getByRole('button', { name: '← Newer' }).click();
    await expect.poll(() => count.textContent()).toMatch(/^1–50 of/);

    await page.getByLabel('Action').selectOption('cases.export');
    await expect.poll(() => count.textContent()).toMatch(/^1–2 of 2 entries/);
    const rows = page.locator('.audit-table tbody tr');
    expect(await rows.count()).toBe(2);
    // A long detail opens to the whole JSON.
    await rows.first().locator('details summary').click();
    expect(await rows.first().locator('details pre').textContent()).toContain('"identified": false');
    await page.screenshot({ path: join(artifacts, 'audit.png') });

    const csv = join(out, 'audit-exports.csv');
    await page.getByLabel(/^CSV file to create/).fill(csv);
    await page.getByRole('button', { name: 'Export the filtered entries' }).click();
    await expect.poll(() => page.locator('.audit-export__done').textContent()).toContain('Wrote 2 entries');
    expect(csvRecords(readFileSync(csv, 'utf8')).map((r) => r['action'])).toEqual(['cases.export', 'cases.export']);
    expect(browser.problems).toEqual([]);
  });
});

/** Cases added to the fixture's three: with a PDF report each, exporting them all takes several seconds. */
const MANY_CASES = 150;

run('cancelling a running export over vip serve', () => {
  let f: Fixture;
  let out: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    f = await buildFixture('vip-e2e-export-cancel-');
    const inbox = join(f.root, 'many');
    mkdirSync(inbox);
    const paths: string[] = [];
    for (let i = 0; i < MANY_CASES; i++) {
      const path = join(inbox, `image-${i}.png`);
      await writeTestPng(path, 160, 120, i + 1);
      paths.push(path);
    }
    await f.engine.call('cases.importPaths', { paths });
    f.engine.close();
    out = join(f.root, 'out');
    mkdirSync(out);
    mkdirSync(artifacts, { recursive: true });
    served = await startServe(join(f.root, 'data'));
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await f?.cleanup();
  });

  const total = MANY_CASES + 3;
  const dialog = (page: Page) => page.getByRole('dialog', { name: 'Export cases' });

  /** Aims the open dialog at `dest` and starts; resolves once at least one case is written, so a cancel is midway. */
  async function startExport(page: Page, dest: string): Promise<void> {
    const d = dialog(page);
    await d.getByLabel(/^Destination/).fill(dest);
    expect(await d.getByRole('checkbox', { name: 'PDF report per case' }).isChecked()).toBe(true);
    await d.getByRole('button', { name: 'Export', exact: true }).click();
    await d.getByText(new RegExp(`^[1-9]\\d* of ${total} cases written$`)).waitFor({ timeout: 60_000 });
  }

  it('Cancel export stops it: a plain message, nothing at the destination, and the dialog can export again', async () => {
    const { page } = browser;
    await page.goto(served.url);
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain(`${total} cases`);
    await page.getByRole('button', { name: 'Export…' }).click();
    const d = dialog(page);
    await d.waitFor();
    expect(await d.getByRole('radio', { name: `All ${total} cases of the worklist` }).isChecked()).toBe(true);
    const zip = join(out, 'everything.zip');
    await startExport(page, zip);
    // While it runs the dialog offers only the cancel beside the progress.
    expect(await d.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
    await d.getByRole('button', { name: 'Cancel export' }).click();

    const cancelled = d.getByTestId('export-cancelled');
    await cancelled.waitFor({ timeout: 60_000 });
    expect(await cancelled.locator('p').first().textContent()).toBe(`Export cancelled: nothing was written to ${zip}`);
    expect(await d.getByRole('alert').count()).toBe(0);
    expect(await d.getByRole('button', { name: 'Export', exact: true }).isEnabled()).toBe(true);
    expect(await d.getByRole('button', { name: 'Close' }).isEnabled()).toBe(true);
    expect(await d.getByLabel(/^Destination/).isEnabled()).toBe(true);
    expect(readdirSync(out)).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'export-cancelled.png') });
  });

  it('Escape while it runs cancels it the same way; the dialog then exports again and closes', async () => {
    const { page } = browser;
    const d = dialog(page);
    const folder = join(out, 'folder-export');
    await startExport(page, folder);
    await page.keyboard.press('Escape');
    const cancelled = d.getByTestId('export-cancelled');
    await cancelled.waitFor({ timeout: 60_000 });
    expect(await cancelled.locator('p').first().textContent()).toBe(
      `Export cancelled: nothing was written to ${folder}`,
    );
    expect(await d.isVisible()).toBe(true);
    expect(readdirSync(out)).toEqual([]);

    // Again, smaller: it completes where the cancelled ones would have gone.
    await d.getByLabel('Case numbers to export').fill(`${f.dicomCase}, ${f.pngCase}`);
    await d.getByRole('button', { name: 'Export', exact: true }).click();
    await expect
      .poll(() => d.getByTestId('export-outcome').textContent(), { timeout: 60_000 })
      .toContain('Exported 2 cases (3 images)');
    expect(await d.getByTestId('export-cancelled').count()).toBe(0);
    expect(readdirSync(out)).toEqual(['folder-export']);
    await d.getByRole('button', { name: 'Close' }).click();
    await d.waitFor({ state: 'detached' });
    expect(browser.problems).toEqual([]);
  });
});
