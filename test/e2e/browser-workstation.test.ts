/**
 * The whole browser path: the built CLI's `vip serve`, Debian chromium opening the printed address, the renderer's
 * WebSocket client, and the engine behind it. Imports a PNG through the file input, checks the worklist and the case
 * viewer, and that a case imported by the CLI shows up in the browser. Screenshots go to test/artifacts/.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { writeTestPng } from './helpers/images';
import { repoRoot, runVip, startServe, type Served } from './helpers/serve';

// CI installs chromium (.ci/run), so there a missing browser is a failure; elsewhere these tests wait for it.
const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

run('browser workstation over vip serve', () => {
  let work: string;
  let dataDir: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-'));
    dataDir = join(work, 'data');
    await mkdir(artifacts, { recursive: true });
    await writeTestPng(join(work, 'from-cli.png'), 80, 60, 1);
    await writeTestPng(join(work, 'chest-upload.png'), 120, 90, 40);
    await writeTestPng(join(work, 'second-upload.png'), 90, 120, 80);
    // A case that exists before the server starts, imported by the CLI into the same data folder.
    const cli = runVip(['--data', dataDir, 'cases', 'import', join(work, 'from-cli.png')]);
    expect(cli.status, cli.stderr).toBe(0);
    served = await startServe(dataDir);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('opens the printed address, hides the token and shows transport, data folder and connection', async () => {
    const { page } = browser;
    await page.goto(served.url);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    expect(page.url()).not.toContain('token=');
    await expect.poll(() => page.locator('.app-header__data').textContent()).toContain(dataDir);
    expect(await page.locator('.app-header').textContent()).toContain('Browser (vip serve)');
  });

  it('lists the case the CLI imported, with its thumbnail', async () => {
    const { page } = browser;
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('1 case');
    expect(await caseRows(page).count()).toBe(1);
    await expect.poll(() => thumbnailsLoaded(browser)).toBe(1);
  });

  it('imports a PNG through the file input and shows it in the worklist', async () => {
    const { page } = browser;
    await page.getByTestId('import-files-input').setInputFiles(join(work, 'chest-upload.png'));
    const panel = page.locator('.import-panel');
    await expect.poll(() => panel.textContent()).toContain('Import finished');
    expect(await panel.textContent()).toContain('1 imported');
    expect(await panel.locator('.import-item').textContent()).toContain('chest-upload.png');
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('2 cases');
    expect(await caseRows(page).count()).toBe(2);
    await expect.poll(() => thumbnailsLoaded(browser)).toBe(2);
    // Newest first: the upload is the top row.
    const top = caseRows(page).first();
    expect(await top.getAttribute('aria-label')).toMatch(/^Case \d+/);
    await page.screenshot({ path: join(artifacts, 'worklist.png') });
  });

  it('reports a duplicate upload per file rather than importing it twice', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByTestId('import-files-input').setInputFiles(join(work, 'chest-upload.png'));
    const panel = page.locator('.import-panel');
    await expect.poll(() => panel.textContent()).toContain('Import finished');
    expect(await panel.locator('.import-item').textContent()).toContain('Duplicate');
    expect(await page.getByTestId('case-count').textContent()).toContain('2 cases');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('opens a case: image fitted in the viewer, attributes, notes saved', async () => {
    const { page } = browser;
    await caseRows(page).first().click();
    await page.getByRole('heading', { level: 1, name: /^Case \d+/ }).waitFor();
    const stageImage = page.locator('.stage__image');
    await expect
      .poll(() =>
        stageImage.evaluate((img) => {
          const i = img as unknown as { complete: boolean; naturalWidth: number };
          return i.complete ? i.naturalWidth : 0;
        }),
      )
      .toBe(120);
    const side = page.getByRole('complementary', { name: 'Case details' });
    expect(await side.textContent()).toContain('image/png');
    expect(await side.textContent()).toContain('120 × 90 px');
    expect(await side.textContent()).toContain('chest-upload.png');
    expect(await side.textContent()).toContain('Not a DICOM file');

    // Fitted: the image fills the viewport's width or height.
    const fit = await page.locator('.stage__viewport').evaluate((box) => {
      const img = box.querySelector('img');
      if (!img) return null;
      const a = box.getBoundingClientRect();
      const b = img.getBoundingClientRect();
      return { dw: Math.abs(a.width - b.width), dh: Math.abs(a.height - b.height) };
    });
    expect(fit).not.toBeNull();
    expect(Math.min(fit!.dw, fit!.dh)).toBeLessThan(2);

    // Wheel zooms around the pointer, dragging pans, 0 fits again.
    const viewport = page.locator('.stage__viewport');
    const zoomText = page.locator('.stage__zoom');
    const fitted = await zoomText.textContent();
    const vb = (await viewport.boundingBox())!;
    await page.mouse.move(vb.x + vb.width / 2, vb.y + vb.height / 2);
    await page.mouse.wheel(0, -400);
    await expect.poll(() => zoomText.textContent()).not.toBe(fitted);
    const zoomed = parseInt((await zoomText.textContent()) ?? '', 10);
    expect(zoomed).toBeGreaterThan(parseInt(fitted ?? '', 10));
    const before = (await stageImage.boundingBox())!;
    await page.mouse.down();
    await page.mouse.move(vb.x + vb.width / 2 + 60, vb.y + vb.height / 2 + 30, { steps: 4 });
    await page.mouse.up();
    const after = (await stageImage.boundingBox())!;
    expect(Math.round(after.x - before.x)).toBe(60);
    expect(Math.round(after.y - before.y)).toBe(30);
    await viewport.press('0');
    await expect.poll(() => zoomText.textContent()).toBe(fitted);

    const notes = page.getByLabel('Notes');
    await notes.fill('Left lower zone opacity; compare with prior.');
    await page.getByRole('button', { name: 'Save notes' }).click();
    await expect.poll(() => page.locator('#notes-status').textContent()).toMatch(/^Saved/);
    await page.screenshot({ path: join(artifacts, 'viewer.png') });

    await page.reload();
    await page.getByRole('heading', { level: 1, name: /^Case \d+/ }).waitFor();
    await expect.poll(() => page.getByLabel('Notes').inputValue()).toBe('Left lower zone opacity; compare with prior.');
  });

  it('steps to the next and previous case with N and P', async () => {
    const { page } = browser;
    const title = page.getByRole('heading', { level: 1, name: /^Case \d+/ });
    const first = await title.textContent();
    await page.locator('body').press('n');
    await expect.poll(() => title.textContent()).not.toBe(first);
    const second = await title.textContent();
    await page.locator('body').press('n');
    await expect.poll(() => page.locator('.viewer-bar__message').textContent()).toContain('last case');
    await page.locator('body').press('p');
    await expect.poll(() => title.textContent()).toBe(first);
    expect(second).not.toBe(first);
  });

  it('shows a readable error with the detail one click away for a case that does not exist', async () => {
    const { page } = browser;
    await page.goto(`${served.origin}/#/case/999999`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Could not open the case');
    await alert.getByText('Details').click();
    expect(await alert.textContent()).toContain('not_found');
  });

  it('filters the worklist by search text', async () => {
    const { page } = browser;
    await page.goto(`${served.origin}/#/worklist`);
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('2 cases');
    await page.getByRole('searchbox', { name: 'Search' }).fill('no-such-case-anywhere');
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('0 cases match');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('2 cases');
  });

  it('saves settings and shows the data folder read-only', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Settings' }).click();
    const name = page.getByLabel('Reviewer name');
    await name.fill('Dr. Example');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toBe('Saved.');
    expect(await page.getByLabel('Data folder').inputValue()).toBe(dataDir);
    expect(await page.getByLabel('Data folder').getAttribute('readonly')).not.toBeNull();
    await page.reload();
    await expect.poll(() => page.getByLabel('Reviewer name').inputValue()).toBe('Dr. Example');
  });

  it('imports files dropped anywhere on the worklist', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Worklist' }).click();
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('2 cases');
    const png = (await readFile(join(work, 'second-upload.png'))).toString('base64');
    const dataTransfer = await page.evaluateHandle((b64) => {
      // Runs in the page; Node's type-check project has no DOM types, hence the structural cast.
      const { DataTransfer } = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: File): void } };
      };
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      return dt;
    }, png);
    const target = page.locator('.screen--worklist');
    await target.dispatchEvent('dragenter', { dataTransfer });
    await page.locator('.drop-overlay').waitFor();
    await target.dispatchEvent('dragover', { dataTransfer });
    await target.dispatchEvent('drop', { dataTransfer });
    const panel = page.locator('.import-panel');
    await expect.poll(() => panel.textContent()).toContain('Import finished');
    expect(await panel.locator('.import-item').textContent()).toContain('dropped.png');
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('3 cases');
    expect(await page.locator('.drop-overlay').count()).toBe(0);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('imports a picked folder, skipping hidden system files', async () => {
    const { page } = browser;
    const folder = join(work, 'series');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeTestPng(join(folder, 'a.png'), 40, 40, 5);
    await writeTestPng(join(folder, 'sub', 'b.png'), 40, 40, 6);
    await writeFile(join(folder, '.DS_Store'), 'finder clutter');
    await page.getByLabel('Folder to import').setInputFiles(folder);
    const panel = page.locator('.import-panel');
    await expect.poll(() => panel.textContent()).toContain('Import finished');
    const names = await panel.locator('.import-item__name').allTextContents();
    expect(names.sort()).toEqual(['series/a.png', 'series/sub/b.png']);
    expect(await panel.textContent()).toContain('2 imported');
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('5 cases');
  });

  it('ran without console errors or CSP violations', () => {
    // The not-found case is expected to log nothing: errors are shown, not thrown.
    expect(browser.problems).toEqual([]);
  });
});

function caseRows(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Cases' }).getByRole('option');
}

async function thumbnailsLoaded(b: Browser): Promise<number> {
  return b.page.locator('.case-row .thumb img').evaluateAll(
    (imgs) =>
      // Runs in the page; Node's type-check project has no DOM types, hence the structural cast.
      imgs.filter((i) => {
        const img = i as unknown as { complete: boolean; naturalWidth: number };
        return img.complete && img.naturalWidth > 0;
      }).length,
  );
}
