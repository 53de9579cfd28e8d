/**
 * The Models screen over the built `vip serve`: the compute backends (`engine.status`), the latest benchmark
 * (`bench.latest`) as a compact table with the "no benchmark yet" hint before any, and a model download from a local
 * stand-in for the Hugging Face Hub ($HF_ENDPOINT) with progress, cancel, resume and the package listed. Screenshots:
 * test/artifacts/models-system.png and models-fetch.png (models.png comes from models-screen.test.ts).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyHfFiles } from '../model/helpers/hub-checkpoint';
import { startHubServer, type HubFaults, type HubServer } from '../model/helpers/hub-server';
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
  let hub: HubServer;
  // A slow link for the weights, so the progress can be watched and the download cancelled; lifted later.
  const faults: HubFaults = { slow: { 'model.safetensors': { chunkBytes: 32 * 1024, delayMs: 60 } } };
  const savedEndpoint = process.env['HF_ENDPOINT'];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-models-system-'));
    dataDir = join(work, 'data');
    await mkdir(artifacts, { recursive: true });
    hub = await startHubServer('openai/clip-tiny-test', { ...tinyHfFiles() }, faults);
    // vip serve inherits it: the engine's hub for this test.
    process.env['HF_ENDPOINT'] = hub.endpoint;
    served = await startServe(dataDir);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    if (savedEndpoint === undefined) delete process.env['HF_ENDPOINT'];
    else process.env['HF_ENDPOINT'] = savedEndpoint;
    await browser?.close();
    await served?.stop();
    await hub?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('shows the compute backends: onnxruntime provider, tfjs, the training text engine and the cores', async () => {
    const { page } = browser;
    await page.goto(`${served.url}#/models`);
    const panel = page.getByTestId('compute-panel');
    // The status loads onnxruntime and tfjs's modules on first use (seconds on a busy machine).
    await expect.poll(() => panel.textContent(), { timeout: 30_000 }).toContain('Image and text towers');
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
  });

  it('downloads a CLIP model from the hub with progress per file, cancels, resumes, and lists the package', async () => {
    const { page } = browser;
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: 'Download from the Hugging Face Hub' }),
    });
    await form.getByLabel('Repository (owner/name)').fill('not a repo');
    expect(await form.locator('.field__problem').textContent()).toContain('Use owner/name');
    await form.getByLabel('Repository (owner/name)').fill('openai/clip-tiny-test');
    expect(await form.getByLabel('Package id').inputValue()).toBe('clip-tiny-test');
    await form.getByRole('button', { name: 'Download model' }).click();

    const weights = form.getByTestId('fetch-file-model.safetensors');
    await expect.poll(() => weights.textContent(), { timeout: 30_000 }).toMatch(/^[1-9][\d.]* [KM]iB of [\d.]+ MiB$/);
    expect(await form.getByTestId('fetch-phase').textContent()).toMatch(
      /^Downloading model\.safetensors \(file \d of \d\)…$/,
    );
    expect(await form.getByRole('list', { name: 'Files' }).textContent()).toContain('config.json');
    await form.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'models-fetch.png') });
    await form.getByRole('button', { name: 'Cancel download' }).click();
    await expect.poll(() => form.getByRole('status').first().textContent()).toContain('cancelled');
    expect(await page.getByTestId('model-clip-tiny-test').count()).toBe(0);
    await form.getByRole('button', { name: 'Dismiss' }).click();

    delete faults.slow;
    await form.getByRole('button', { name: 'Download model' }).click();
    await expect
      .poll(() => form.getByRole('status').first().textContent(), { timeout: 60_000 })
      .toMatch(/^Installed "clip-tiny-test" from openai\/clip-tiny-test: ViT\/32 224px, .* MiB\./);
    await page.getByTestId('model-clip-tiny-test').waitFor();
    expect(await page.getByTestId('model-clip-tiny-test').textContent()).toContain('openai/clip-tiny-test');
    // The second download resumed the weights where the first stopped.
    expect(hub.requests.some((r) => r.path.endsWith('model.safetensors') && r.range !== null)).toBe(true);
  });

  it('says in plain words when the model does not exist, with the technical message under Details', async () => {
    const { page } = browser;
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: 'Download from the Hugging Face Hub' }),
    });
    await form.getByRole('button', { name: 'Dismiss' }).click();
    await form.getByLabel('Repository (owner/name)').fill('someone/no-such-model');
    await form.getByRole('button', { name: 'Download model' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain('Could not download the model: No model with this name was found');
    await alert.getByText('Details').click();
    expect(await alert.textContent()).toContain('Repository someone/no-such-model not found');
  });

  it('shows the compute backends on the Settings screen too', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const panel = page.getByTestId('compute-panel');
    await expect.poll(() => panel.textContent(), { timeout: 30_000 }).toContain('Image and text towers');
    expect(await panel.textContent()).toMatch(/CPU \((in use|picked when a model first runs)\)/);
    expect(browser.problems).toEqual([]);
  });
});
