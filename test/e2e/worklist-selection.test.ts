/**
 * The worklist's case date filter and multi-selection in chromium over the built `vip serve`: the date range narrows
 * the list (study date, else the import day); click, Ctrl-click, Shift-click, Space, Ctrl+A and Escape select; "Export
 * selected…" exports exactly the selected cases. Screenshot: test/artifacts/worklist-multiselect.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { csvRecords, readZip } from '../export/helpers/read-export';
import { dicomImage } from '../store/dicom-writer';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, startServe, type Served } from './helpers/serve';

const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

/** Study dates of the cases, in import order (case ids 1..8). */
const STUDY_DATES = ['20240105', '20240120', '20240203', '20240214', '20240229', '20240311', '20240322', '20240405'];

function rows(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Cases' }).getByRole('option');
}

async function selectedIds(page: Page): Promise<number[]> {
  const ids = await page
    .locator('[role="option"][aria-selected="true"]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-case-id'))));
  return ids.sort((a, b) => a - b);
}

run('worklist date filter and multi-select over vip serve', () => {
  let root: string;
  let served: Served;
  let browser: Browser;
  const caseIds: number[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vip-e2e-select-'));
    mkdirSync(artifacts, { recursive: true });
    const engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
    for (const [i, studyDate] of STUDY_DATES.entries()) {
      const size = 48;
      const pixels = Array.from({ length: size * size }, (_, p) => ((p % size) * 40 + i * 300) % 4096);
      const report = await engine.call('cases.importFiles', {
        files: [
          {
            name: `study-${i + 1}.dcm`,
            data: dicomImage({
              rows: size,
              columns: size,
              pixels,
              studyDate,
              studyUid: `1.2.826.0.1.3680043.9.8100.${i + 1}`,
              sopUid: `1.2.826.0.1.3680043.9.8100.${i + 1}.1.1`,
              studyDescription: `CHEST PA ${i + 1}`,
            }),
          },
        ],
      });
      const o = report.outcomes[0]!;
      if (o.status !== 'imported') throw new Error(`import failed: ${JSON.stringify(o)}`);
      caseIds.push(o.caseId);
    }
    engine.close();
    served = await startServe(join(root, 'data'));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('narrows the list to a case date range and widens it again', async () => {
    const { page } = browser;
    await page.goto(served.url);
    // The first page can take a while when other suites share the machine.
    await expect.poll(() => page.getByTestId('case-count').textContent(), { timeout: 30_000 }).toContain('8 cases');
    await page.getByLabel('Case date from').fill('2024-02-01');
    await page.getByLabel('Case date to').fill('2024-02-29');
    await expect.poll(() => page.getByTestId('case-count').textContent()).toBe('3 cases match the filters');
    const shown = await rows(page).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-case-id'))));
    expect(shown.sort((a, b) => a - b)).toEqual(caseIds.slice(2, 5));
    // One day, inclusive.
    await page.getByLabel('Case date from').fill('2024-02-29');
    await expect.poll(() => page.getByTestId('case-count').textContent()).toBe('1 case matches the filters');
    await page.getByLabel('Case date from').fill('');
    await page.getByLabel('Case date to').fill('');
    await expect.poll(() => page.getByTestId('case-count').textContent()).toBe('8 cases');
  });

  it('selects with click, Ctrl-click, Shift-click and the keyboard', async () => {
    const { page } = browser;
    const list = page.getByRole('listbox', { name: 'Cases' });
    expect(await list.getAttribute('aria-multiselectable')).toBe('true');
    const row = (id: number): Locator => page.locator(`[role="option"][data-case-id="${id}"]`);
    // Newest first: case 8 at the top. The checkbox toggles without opening the case.
    await row(caseIds[7]!).locator('.row-check').click();
    await row(caseIds[5]!).click({ modifiers: ['Control'] });
    await expect.poll(() => selectedIds(page)).toEqual([caseIds[5], caseIds[7]]);
    expect(page.url()).not.toContain('#/case/');
    // Shift-click selects from the anchor (case 6, the last pick) down to case 3.
    await row(caseIds[2]!).click({ modifiers: ['Shift'] });
    await expect.poll(() => selectedIds(page)).toEqual([caseIds[2], caseIds[3], caseIds[4], caseIds[5]]);
    expect(await page.getByTestId('selection-count').textContent()).toBe('4 selected');
    // Space takes the active row (case 3) out again.
    await page.keyboard.press('Space');
    await expect.poll(() => selectedIds(page)).toEqual([caseIds[3], caseIds[4], caseIds[5]]);
    // Ctrl+A: every case of the list; Escape: none.
    await page.keyboard.press('Control+a');
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe('8 selected');
    expect(await selectedIds(page)).toEqual(caseIds);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe('No case selected');
    // Shift+ArrowDown extends from the active row.
    await row(caseIds[7]!).locator('.row-check').click();
    await list.focus();
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    await expect.poll(() => selectedIds(page)).toEqual([caseIds[5], caseIds[6], caseIds[7]]);
    await page.screenshot({ path: join(artifacts, 'worklist-multiselect.png') });
  });

  it('exports exactly the selected cases', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Export selected…' }).click();
    const d = page.getByRole('dialog', { name: 'Export cases' });
    await d.waitFor();
    expect(await d.getByRole('radio', { name: 'The 3 selected cases' }).isChecked()).toBe(true);
    const zip = join(root, 'selected.zip');
    await d.getByLabel(/^Destination/).fill(zip);
    await d.getByRole('checkbox', { name: 'PDF report per case' }).uncheck();
    await d.getByRole('button', { name: 'Export', exact: true }).click();
    const outcome = d.getByTestId('export-outcome');
    await outcome.waitFor({ timeout: 60_000 });
    expect(await outcome.textContent()).toContain('Exported 3 cases (3 images)');
    const entries = await readZip(zip);
    const exported = [...entries.keys()]
      .map((k) => /^cases\/case-(\d+)\/case\.json$/.exec(k)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    expect(exported).toEqual([caseIds[5], caseIds[6], caseIds[7]]);
    expect(csvRecords(entries.get('summary.csv')!.toString('utf8'))).toHaveLength(3);
    await d.getByRole('button', { name: 'Close' }).click();
    await d.waitFor({ state: 'detached' });
    // Selection survives the export; a new filter clears it.
    expect(await page.getByTestId('selection-count').textContent()).toBe('3 selected');
    await page.getByLabel('Case date from').fill('2024-03-01');
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe('No case selected');
    expect(browser.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });
});
