/**
 * The training wizard's schedule choice in the browser: Fast is chosen by default, each schedule shows its estimated
 * time from the machine's latest benchmark, and the run started with Exact records the exact schedule.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveBench } from '../../src/main/engine/bench/bench-result';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';
import { sampleBench } from './helpers/bench-fixture';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, runVip, startServe, type Served } from './helpers/serve';

const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

run('training wizard: schedule', () => {
  let work: string;
  let dataDir: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-schedule-'));
    dataDir = join(work, 'data');
    await mkdir(artifacts, { recursive: true });
    await writeSyntheticDataset(join(work, 'ds'), { perClass: { train: 8, test: 2 }, size: 32 });
    await writeFile(join(work, 'shapes.json'), JSON.stringify(syntheticSymptoms));
    // A ViT-B/16 benchmark of this "machine": epochs of 24.2 s (exact) and 4.8 s (fast) for 5,232 images.
    await saveBench(join(dataDir, 'benchmarks'), sampleBench());
    served = await startServe(dataDir);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('offers Fast (default) and Exact with their estimated times, and trains with the one chosen', async () => {
    const { page } = browser;
    await page.goto(served.url);
    await page.getByRole('link', { name: 'Training' }).click();
    await page.getByRole('heading', { level: 1, name: 'Training' }).waitFor();
    await page.getByRole('radio', { name: /A symptom set file/ }).check();
    await page.getByLabel('Symptom set file (path on the engine’s machine)').fill(join(work, 'shapes.json'));
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: /A labelled folder/ }).check();
    await page.getByLabel('Dataset folder').fill(join(work, 'ds'));
    await page.getByRole('button', { name: 'Count the data' }).click();
    await page.getByTestId('class-balance').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();

    const fast = page.getByRole('radio', { name: /Fast \(default\)/ });
    const exact = page.getByRole('radio', { name: /Exact \(authors’\)/ });
    expect(await fast.isChecked()).toBe(true);
    expect(await exact.isChecked()).toBe(false);
    await page.getByLabel('Epochs').fill('50');
    // formatDuration's "N s" / "M min SS s" back to seconds.
    const shown = async (id: string): Promise<number> => {
      const text = (await page.getByTestId(id).textContent()) ?? '';
      const m = /about (?:(\d+) min )?(\d+) s/.exec(text);
      if (!m) throw new Error(`no estimate in "${text}"`);
      return Number(m[1] ?? 0) * 60 + Number(m[2]);
    };
    const fastSeconds = await shown('schedule-estimate-fast');
    const exactSeconds = await shown('schedule-estimate-exact');
    // The same feature time plus 50 epochs at 4.8 s and at 24.2 s per benchmarked epoch, scaled alike.
    expect(fastSeconds).toBeGreaterThan(0);
    expect(exactSeconds).toBeGreaterThan(fastSeconds);
    expect(await page.getByText(/Estimated from the vip bench of 2026-11-20/).count()).toBe(1);
    await page.screenshot({ path: join(artifacts, 'training-schedule.png') });

    await exact.check();
    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Batch size').fill('8');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByTestId('run-monitor').waitFor();
    await expect
      .poll(
        () => {
          const r = runVip(['--data', dataDir, '--json', 'versions', 'list']);
          const versions = (JSON.parse(r.stdout) as { versions: { schedule: string | null }[] }).versions;
          return versions.map((v) => v.schedule);
        },
        { timeout: 90_000, interval: 1000 },
      )
      .toEqual(['exact']);
    expect(browser.problems).toEqual([]);
  }, 180_000);
});
