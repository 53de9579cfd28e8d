/**
 * The training wizard on reviewed cases and a labelled folder together, in chromium over the built `vip serve`: the
 * class balance is the union's (a reviewed image that is also in the folder counts once), the sources line says how
 * many came from each, and a short run trains on it to a result. Screenshot: test/artifacts/training-data.png.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, startServe, type Served } from './helpers/serve';

const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

run('training wizard: reviewed cases and a labelled folder together', () => {
  let work: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vip-e2e-union-'));
    mkdirSync(artifacts, { recursive: true });
    const folder = join(work, 'ds');
    await writeSyntheticDataset(folder, { perClass: { train: 4, test: 1 }, size: 32 });
    writeFileSync(join(work, 'shapes.json'), JSON.stringify(syntheticSymptoms));
    // Reviewed cases: three new round spots, and a copy of one of the folder's striped images.
    const extra = join(work, 'extra');
    const written = await writeSyntheticDataset(extra, { perClass: { train: 3 }, size: 32, seed: 50 });
    const copy = join(work, 'copy-of-striped.png');
    copyFileSync(join(folder, 'train', 'striped', '000.png'), copy);
    const engine = Engine.open({ dataDir: join(work, 'data'), transport: 'cli' });
    const reviewed: Array<{ path: string; label: string }> = [
      ...written.filter((p) => p.includes('round spot')).map((path) => ({ path, label: 'round spot' })),
      { path: copy, label: 'striped' },
    ];
    for (const r of reviewed) {
      const report = await engine.call('cases.importFiles', {
        files: [{ name: r.path.split('/').pop()!, data: readFileSync(r.path) }],
      });
      const o = report.outcomes[0]!;
      if (o.status !== 'imported') throw new Error(`import failed: ${JSON.stringify(o)}`);
      await engine.call('cases.review', { caseId: o.caseId, label: r.label });
    }
    engine.close();
    served = await startServe(join(work, 'data'));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('counts the union per class, each image once, and trains on it', async () => {
    const { page } = browser;
    await page.goto(served.url);
    await page.getByRole('link', { name: 'Training' }).click();
    await page.getByRole('heading', { level: 1, name: 'Training' }).waitFor();
    await page.getByRole('radio', { name: /A symptom set file/ }).check();
    await page.getByLabel('Symptom set file (path on the engine’s machine)').fill(join(work, 'shapes.json'));
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('radio', { name: /Reviewed cases and a labelled folder/ }).check();
    await page.getByLabel('Dataset folder').fill(join(work, 'ds'));
    await page.getByLabel('Validation share (%)').fill('25');
    await page.getByRole('button', { name: 'Count the data' }).click();
    const balance = page.getByTestId('class-balance');
    await balance.waitFor({ timeout: 30_000 });
    const cells = async (name: string): Promise<number[]> =>
      (
        await balance
          .getByRole('row', { name: new RegExp(name) })
          .locator('td.num')
          .allTextContents()
      ).map(Number);
    // round spot: 4 from the folder + 3 reviewed = 7 (2 held out); striped: 4, the reviewed copy counted once.
    expect(await cells('round spot')).toEqual([5, 2, 1]);
    expect(await cells('striped')).toEqual([3, 1, 1]);
    const sources = page.getByTestId('data-sources');
    expect(await sources.textContent()).toBe(
      'Together: 7 images from the folder and 4 from reviewed cases; 1 duplicate (same image content) counted once.',
    );
    expect(await page.locator('.wizard-step').textContent()).toContain(
      'held out of the training images of both sources per class',
    );
    await page.screenshot({ path: join(artifacts, 'training-data.png') });

    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Fast' }).click();
    await page.getByLabel('Epochs').fill('3');
    await page.getByLabel('Batch size').fill('4');
    await page.getByRole('button', { name: 'Start training' }).click();
    const result = page.getByTestId('run-result');
    await result.waitFor({ timeout: 180_000 });
    // The result's metrics load after it appears.
    await expect.poll(() => result.locator('table.confusion').count(), { timeout: 30_000 }).toBe(1);
    expect(browser.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  }, 240_000);
});
