/**
 * Building a CLIP package from the Models screen over the built `vip serve` in chromium: a vit-b16 demo shows the
 * step under way in plain words, a progress bar and the steps done; it is still shown running after a visit to
 * another screen and after a reload (the window catches up through `models.jobs`); Cancel stops it with a plain
 * message, and nothing is listed or left on disk. Then a tiny demo is created to completion. Screenshot of the build
 * in progress: test/artifacts/models-build-progress.png.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, startServe, type Served } from './helpers/serve';

const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

run('Models screen: building a package shows progress and can be cancelled', () => {
  let work: string;
  let dataDir: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-models-build-'));
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

  const demoForm = (page: Page): Locator =>
    page.locator('form', { has: page.getByRole('heading', { name: 'Create a demo package' }) });

  it('shows a vit-b16 build step by step, still running after leaving the screen and a reload, and cancels it', async () => {
    const { page } = browser;
    await page.goto(`${served.url}#/models`);
    await page.getByTestId('model-demo').waitFor();
    const form = demoForm(page);
    await form.getByLabel('Preset').selectOption('vit-b16');
    expect(await form.getByLabel('Package id').inputValue()).toBe('demo-vit-b16');
    await form.getByRole('button', { name: 'Create demo package' }).click();

    const step = form.getByTestId('build-step');
    const bar = form.getByRole('progressbar', { name: 'Package built so far' });
    // Within the weights step: some of the text tower's weights are generated.
    await expect
      .poll(() => form.getByRole('list', { name: 'Steps' }).textContent(), { timeout: 30_000 })
      .toMatch(/Text tower weights[\d.]+ [KM]iB of [\d.]+ MiB/);
    expect(await step.textContent()).toBe("Generating the text tower's weights (step 2 of 6)…");
    await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    expect(await form.getByTestId('build-percent').textContent()).toMatch(/^\d+ %$/);
    expect(await form.getByRole('button', { name: 'Creating…' }).isDisabled()).toBe(true);
    expect(await form.getByLabel('Preset').isDisabled()).toBe(true);
    await form.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'models-build-progress.png') });

    // Another screen and back: the build is still shown, further along or at the same step.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Worklist' }).click();
    await page.getByRole('heading', { level: 1, name: 'Worklist' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    expect(await demoForm(page).getByTestId('build-step').textContent()).toMatch(/\(step [2-6] of 6\)…$/);

    // A reload forgets everything the window knew: the engine's job list brings the build back.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    await expect
      .poll(() => demoForm(page).getByTestId('build-step').textContent(), { timeout: 30_000 })
      .toMatch(/\(step [2-6] of 6\)…$/);

    await demoForm(page).getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect
      .poll(() => demoForm(page).getByRole('status').textContent(), { timeout: 30_000 })
      .toContain('Creating "demo-vit-b16" was cancelled. Nothing was installed and nothing was left behind.');
    expect(await page.getByTestId('model-demo-vit-b16').count()).toBe(0);
    // Nothing half-built beside the packages (hidden temporary folders included), nothing in tmp.
    expect((await readdir(join(dataDir, 'models'))).sort()).toEqual(['demo']);
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    await demoForm(page).getByRole('button', { name: 'Dismiss' }).click();
    expect(await demoForm(page).getByRole('status').count()).toBe(0);
  });

  it('then creates a tiny demo to completion and lists it', async () => {
    const { page } = browser;
    const form = demoForm(page);
    await form.getByLabel('Preset').selectOption('tiny');
    expect(await form.getByLabel('Package id').inputValue()).toBe('demo-2');
    await form.getByRole('button', { name: 'Create demo package' }).click();
    await page.getByTestId('model-demo-2').waitFor({ timeout: 90_000 });
    await expect
      .poll(() => form.getByRole('status').textContent())
      .toMatch(/^Created "demo-2": ViT\/32 224px, .* MiB\./);
    expect(await page.getByTestId('model-demo-2').textContent()).toContain('Random weights');
    // The next proposal skips the id now taken.
    expect(await form.getByLabel('Package id').inputValue()).toBe('demo-3');
    expect((await readdir(join(dataDir, 'models'))).sort()).toEqual(['demo', 'demo-2']);
  });

  it('ran without console errors', () => {
    expect(browser.problems).toEqual([]);
  });
});
