/**
 * The Models screen and the demo-model banner over the built `vip serve` in chromium: the host creates the demo
 * package on a fresh data folder, the banner warns on every screen, and packages are created, removed and imported
 * (with a readable error for a bad path) through the UI. A screenshot goes to test/artifacts/models.png.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, startServe, type Served } from './helpers/serve';

// CI installs chromium (.ci/run), so there a missing browser is a failure; elsewhere these tests wait for it.
const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');
const DEMO_WARNING =
  'Demo model active: random weights, not for clinical use. Import a real CLIP model on the Models screen.';

run('Models screen and demo-model banner over vip serve', () => {
  let work: string;
  let dataDir: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-models-'));
    dataDir = join(work, 'data');
    await mkdir(artifacts, { recursive: true });
    served = await startServe(dataDir);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('warns on the worklist that the demo model is active, linking to the Models screen', async () => {
    const { page } = browser;
    await page.goto(served.url);
    const banner = page.getByTestId('model-banner');
    await expect.poll(() => banner.textContent()).toContain(DEMO_WARNING);
    await page.getByRole('heading', { level: 1, name: 'Worklist' }).waitFor();
    await banner.getByRole('link', { name: 'Models screen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    expect(page.url()).toContain('#/models');
  });

  it('lists the demo package as the default, with its random-weights warning and no placeholder text', async () => {
    const { page } = browser;
    const demo = card(page, 'demo');
    await demo.waitFor();
    const text = (await demo.textContent()) ?? '';
    expect(text).toContain('Default');
    expect(text).toContain('Random weights');
    expect(text).toContain('not for clinical use');
    expect(text).toContain('Generated demo');
    expect(text).toContain('demo:tiny:0');
    expect(text).toMatch(/\d+(\.\d)? MiB/);
    expect(await page.locator('.screen').textContent()).not.toContain('no model API');
    expect(await page.locator('.model-card').count()).toBe(1);
  });

  it('creates a second tiny demo package under another id and lists it', async () => {
    const { page } = browser;
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Create a demo package' }) });
    await form.getByLabel('Preset').selectOption('tiny');
    await form.getByLabel('Package id').fill('demo-second');
    await form.getByRole('button', { name: 'Create demo package' }).click();
    await card(page, 'demo-second').waitFor({ timeout: 90_000 });
    await expect.poll(() => form.getByRole('status').textContent()).toContain('Created "demo-second"');
    expect(await card(page, 'demo-second').textContent()).toContain('Random weights');
    expect(await card(page, 'demo-second').textContent()).not.toContain('Default');
    expect(await page.locator('.model-card').count()).toBe(2);
    expect(await packagesOnDisk(dataDir)).toEqual(['demo', 'demo-second']);
  });

  it('removes a package after a confirm step', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Remove demo-second…' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm removing demo-second' });
    expect(await confirm.textContent()).not.toContain('last usable');
    // Cancel first: nothing is removed.
    // The safe choice has the focus; cancelling returns it to the button that opened the confirm step.
    expect(
      await confirm.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === b.ownerDocument.activeElement),
    ).toBe(true);
    await page.keyboard.press('Enter');
    expect(await confirm.count()).toBe(0);
    expect(
      await page
        .getByRole('button', { name: 'Remove demo-second…' })
        .evaluate((b) => b === b.ownerDocument.activeElement),
    ).toBe(true);
    expect(await packagesOnDisk(dataDir)).toEqual(['demo', 'demo-second']);
    await page.getByRole('button', { name: 'Remove demo-second…' }).click();
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect.poll(() => card(page, 'demo-second').count()).toBe(0);
    // The removal's notice sits above the packages (the create form keeps its own, of the build it ran).
    await expect
      .poll(() => page.locator('.screen--models > .model-done').textContent())
      .toContain('Removed "demo-second"');
    expect(await packagesOnDisk(dataDir)).toEqual(['demo']);
  });

  it('shows a readable error, with the code one click away, for an import path that is not a folder', async () => {
    const { page } = browser;
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: 'Import a Hugging Face CLIP folder' }),
    });
    const missing = join(work, 'no-such-clip-folder');
    await form.getByLabel(/Folder path/).fill(missing);
    // The id is proposed from the folder's name.
    expect(await form.getByLabel('Package id').inputValue()).toBe('no-such-clip-folder');
    await form.getByRole('button', { name: 'Import folder' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Could not import the folder');
    expect(await alert.textContent()).toContain(`${missing} is not a folder`);
    expect(await alert.textContent()).not.toMatch(/\bat .*\.js:\d+/);
    await alert.getByText('Details').click();
    expect(await alert.textContent()).toContain('bad_input');
    expect(await packagesOnDisk(dataDir)).toEqual(['demo']);
  });

  it('warns clearly before removing the last usable package', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Remove demo…' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm removing demo' });
    expect(await confirm.textContent()).toContain('This is the last usable CLIP package');
    expect(await confirm.textContent()).toContain('It is the default package');
    // The screen scrolls inside the window, so make the window tall enough to show the import error as well.
    await page.setViewportSize({ width: 1400, height: 1300 });
    await page.screenshot({ path: join(artifacts, 'models.png') });
    await page.setViewportSize({ width: 1400, height: 860 });
    await confirm.getByRole('button', { name: 'Remove the last model' }).click();
    await expect.poll(() => card(page, 'demo').count()).toBe(0);
    // The banner follows the change: no demo to warn about, but no usable model either.
    await expect.poll(() => page.getByTestId('model-banner').textContent()).toContain('No usable CLIP model');
    expect(await page.locator('.screen').textContent()).toContain('No CLIP package is installed');
  });

  it('creates the demo again, and the banner returns to the demo warning on every screen', async () => {
    const { page } = browser;
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Create a demo package' }) });
    // With "demo" free again, it is the proposed id.
    expect(await form.getByLabel('Package id').inputValue()).toBe('demo');
    await form.getByRole('button', { name: 'Create demo package' }).click();
    await card(page, 'demo').waitFor({ timeout: 90_000 });
    const banner = page.getByTestId('model-banner');
    await expect.poll(() => banner.textContent()).toContain(DEMO_WARNING);
    for (const screen of ['Worklist', 'Training', 'Symptoms', 'Settings']) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: screen }).click();
      await expect.poll(() => page.locator('h1').first().textContent()).toContain(screen);
      expect(await banner.textContent()).toContain(DEMO_WARNING);
    }
  });

  it('ran without console errors or CSP violations', () => {
    expect(browser.problems).toEqual([]);
  });
});

function card(page: Page, id: string): Locator {
  return page.getByTestId(`model-${id}`);
}

async function packagesOnDisk(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, 'models'))).filter((n) => !n.startsWith('.')).sort();
}
