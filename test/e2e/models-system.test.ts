/**
 * The Models screen's system panels over the built `vip serve`: the compute backends (`engine.status`) and the latest
 * benchmark (`bench.latest`) as a compact table, with the "no benchmark yet" hint before any. Screenshot:
 * test/artifacts/models.png is the packages screen (models-screen.test.ts); this one writes models-system.png.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleBench } from './helpers/bench-fixture';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, startServe, type Served } from './helpers/serve';

const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

run('Models screen: compute backends and the latest benchmark', () => {
  let work: string;
  let dataDir: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-models-system-'));
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

  it('shows the compute backends: onnxruntime provider, tfjs, the training text engine and the cores', async () => {
    const { page } = browser;
    await page.goto(`${served.url}#/models`);
    const panel = page.getByTestId('compute-panel');
    await expect.poll(() => panel.textContent()).toContain('Image and text towers');
    const text = (await panel.textContent()) ?? '';
    expect(text).toMatch(/CPU \((in use|picked when a model first runs)\)/);
    expect(text).toMatch(/onnxruntime-node \d+\.\d+/);
    expect(text).toMatch(/available: .*CPU/);
    expect(text).toMatch(/Training maths \(tfjs\)(WebAssembly|TensorFlow native|plain JavaScript)/);
    expect(text).toContain('auto: times onnxruntime and tfjs on the first step, keeps the faster');
    expect(text).toContain(`${cpus().length} core`);
  });

  it('says there is no benchmark yet, then shows the newest one as a table of figures against targets', async () => {
    const { page } = browser;
    const panel = page.getByTestId('bench-panel');
    await expect.poll(() => panel.textContent()).toContain('No benchmark yet — run vip bench');
    await writeSampleBench(join(dataDir, 'benchmarks'));
    await page.reload();
    const table = panel.getByRole('table');
    await table.waitFor();
    const headers = await table.locator('thead th').allTextContents();
    expect(headers.slice(0, 3)).toEqual(['Phase', 'Figure', 'Target']);
    const row = table.getByRole('row', { name: /image embedding, batch 8/ });
    expect(await row.textContent()).toContain('0.127 s per image');
    expect(await row.textContent()).toContain('<= 0.2 s per image');
    expect(await row.textContent()).toContain('met');
    expect(await table.getByRole('row', { name: /tiny demo model/ }).textContent()).toContain('not measured');
    expect(await panel.textContent()).toContain('Preset vit-b16');
    await page.setViewportSize({ width: 1400, height: 1500 });
    await page.screenshot({ path: join(artifacts, 'models-system.png'), fullPage: true });
    await page.setViewportSize({ width: 1400, height: 860 });
    expect(browser.problems).toEqual([]);
  });
});
