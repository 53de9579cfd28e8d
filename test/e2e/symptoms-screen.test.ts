/**
 * The Symptoms screen over the built `vip serve` in chromium, with a fake OpenAI-compatible LLM on 127.0.0.1: the
 * built-in sets on a fresh data folder, generating a set (progress, then the new unapproved version opens), a
 * clinician's edit (reword, reorder, remove, add, add back a dropped candidate) saved as a new version, approval under
 * the reviewer's name, the provenance with the raw answers and the edit, the knowledge check of the version on
 * labelled images, and cancelling a slow generation. Screenshots go to test/artifacts/symptoms.png and
 * symptoms-knowledge.png.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, startServe, type Served } from './helpers/serve';
import { completion, lastUserText, startFakeLlm, type FakeLlm } from '../symptoms/helpers/fake-llm';
import { Prng } from '../../src/main/engine/model/prng';
import { syntheticPng } from '../helpers/synthetic-dataset';

const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

const answers: Record<string, string> = {
  'normal lung': [
    'Here are features that help:',
    '1. dark, clear fields on both sides',
    '2. sharp outline of the heart',
    '3. thin lines branching outward',
    '4. an even, symmetric texture',
  ].join('\n'),
  pneumonia:
    '- white cloudy patches\n- a hazy area hiding the heart outline\n- a patchy pneumonia shadow\n- streaky shadows',
};

run('Symptoms screen over vip serve', () => {
  let work: string;
  let served: Served;
  let browser: Browser;
  let llm: FakeLlm;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-symptoms-'));
    await mkdir(artifacts, { recursive: true });
    llm = await startFakeLlm((req) => {
      const category = /help to diagnose (.+?)\? /.exec(lastUserText(req.body))?.[1] ?? '';
      return { body: completion(answers[category] ?? '', 'fake-vlm-1') };
    });
    // Labelled images for the knowledge check, in the classes of the generated set.
    for (const [label, cls] of ['normal lung', 'pneumonia'].entries()) {
      const dir = join(work, 'ds', 'test', cls);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < 3; i++)
        await writeFile(join(dir, `${i}.png`), await syntheticPng(label, 32, new Prng(`${label}:${i}`)));
    }
    served = await startServe(join(work, 'data'));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await llm?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('sets the reviewer name that approvals record', async () => {
    const { page } = browser;
    await page.goto(served.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Reviewer name').fill('Dr. Ada Example');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toContain('Saved');
  });

  it('lists the built-in sets, unapproved, on a fresh data folder', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Symptoms' }).click();
    const sets = page.getByRole('navigation', { name: 'Symptom sets' });
    await sets.getByRole('region', { name: 'builtin:chest-xray' }).waitFor();
    expect(await sets.getByRole('region', { name: 'builtin:dermoscopy' }).textContent()).toContain('not approved');
    await page.getByRole('heading', { name: 'builtin:chest-xray v1' }).waitFor();
    expect(await symptomInput(page, 'pneumonia', 1).inputValue()).toBe('white, cloudy patches inside the lung');
    expect(await page.getByTestId('approval').textContent()).toContain('Not approved');
  });

  it('generates a set with the LLM and opens the new, unapproved version', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Generate with the LLM…' }).click();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Generate with the LLM' }) });
    await form.getByLabel('Set name').fill('chest (LLM)');
    await form.getByLabel('Symptoms per class (k)').fill('3');
    await form.getByLabel('LLM base URL (OpenAI-compatible)').fill(llm.url);
    await form.getByLabel('LLM model').fill('fake-vlm');
    await form.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(() => form.getByTestId('symptom-outcome').textContent(), { timeout: 60_000 }).toContain('Done');
    await page.getByRole('heading', { name: 'chest (LLM) v1' }).waitFor();
    expect(await symptomInput(page, 'normal lung', 1).inputValue()).toBe('dark, clear fields on both sides');
    expect(await symptomInput(page, 'pneumonia', 3).inputValue()).toBe('streaky shadows');
    expect(await page.getByTestId('approval').textContent()).toContain('Not approved');
    await page.getByRole('button', { name: 'Hide the generator' }).click();
  });

  it('a clinician edits the symptoms and saves them as a new version', async () => {
    const { page } = browser;
    await symptomInput(page, 'pneumonia', 1).fill('white, cloudy patches inside the lung');
    await page.getByRole('button', { name: 'Move symptom 2 of normal lung up' }).click();
    await page.getByRole('button', { name: 'Remove symptom 3 of normal lung' }).click();
    await page.getByLabel('New symptom for pneumonia').fill('a dense bright region in one part of the lung');
    await page.getByRole('button', { name: 'Add', exact: true }).last().click();
    // The approval waits for the edit to be saved or discarded.
    expect(await page.getByRole('button', { name: 'Approve this version…' }).isDisabled()).toBe(true);
    const dropped = page.locator('details.symptom-dropped');
    await dropped.locator('summary').click();
    expect(await dropped.textContent()).toContain('names the class "pneumonia"');
    await dropped
      .getByRole('listitem')
      .filter({ hasText: 'an even, symmetric texture' })
      .getByRole('button', { name: 'Add back' })
      .click();
    await page.getByLabel('Note for the record (optional)').fill('checked against our reading guide');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByRole('heading', { name: 'chest (LLM) v2' }).waitFor();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved as' }).count()).toBe(1);
    expect(await symptomValues(page, 'normal lung')).toEqual([
      'sharp outline of the heart',
      'dark, clear fields on both sides',
      'an even, symmetric texture',
    ]);
    expect(await symptomValues(page, 'pneumonia')).toEqual([
      'white, cloudy patches inside the lung',
      'a hazy area hiding the heart outline',
      'streaky shadows',
      'a dense bright region in one part of the lung',
    ]);
    const edits = page.locator('.symptom-edits');
    expect(await edits.textContent()).toContain('Dr. Ada Example');
    expect(await edits.textContent()).toContain('checked against our reading guide');
  });

  it('approves the edited version under the reviewer name; v1 stays unapproved', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Approve this version…' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm approving chest (LLM) v2' });
    await confirm.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect.poll(() => page.getByTestId('approval').textContent()).toContain('Approved by Dr. Ada Example');
    const set = page.getByRole('navigation', { name: 'Symptom sets' }).getByRole('region', { name: 'chest (LLM)' });
    const versions = set.getByRole('button');
    await expect.poll(() => versions.first().textContent()).toContain('approved');
    expect(await versions.first().textContent()).toContain('v2');
    expect(await versions.last().textContent()).toContain('not approved');
    // The raw answers stay with the version: open the first question.
    const call = page.locator('details.symptom-call').first();
    await call.locator('summary').click();
    expect(await call.textContent()).toContain('dark, clear fields on both sides');
    expect(await call.textContent()).toContain('fake-vlm-1');
    await page.setViewportSize({ width: 1400, height: 1500 });
    await page.locator('.screen').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, 'symptoms.png') });
    await page.setViewportSize({ width: 1400, height: 860 });
  });

  it('runs the knowledge check of the open version on labelled images', async () => {
    const { page } = browser;
    const section = page.getByRole('region', { name: 'Knowledge check' });
    await section.getByLabel(/Dataset folder/).fill(join(work, 'ds'));
    await section.getByRole('button', { name: 'Run the check' }).click();
    const report = section.getByTestId('knowledge-report');
    await report.waitFor({ timeout: 60_000 });
    expect(await report.textContent()).toContain('3 normal lung, 3 pneumonia');
    expect(await report.textContent()).toMatch(/Zero-shot accuracy with these symptoms: \d+\.\d %/);
    // One row per symptom of v2 (3 + 4), each with an AUC.
    expect(await report.locator('tbody tr').count()).toBe(7);
    expect(await report.textContent()).toContain('has random weights');
    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: join(artifacts, 'symptoms-knowledge.png') });
  });

  it('cancels a slow generation; nothing is stored', async () => {
    const { page } = browser;
    llm.setHandler(() => ({ delayMs: 60_000, body: completion('1. late') }));
    await page.getByRole('button', { name: 'Generate with the LLM…' }).click();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Generate with the LLM' }) });
    await form.getByLabel('Set name').fill('never stored');
    await form.getByLabel('LLM base URL (OpenAI-compatible)').fill(llm.url);
    await form.getByLabel('LLM model').fill('fake-vlm');
    await form.getByRole('button', { name: 'Generate' }).click();
    await form.getByTestId('symptom-progress').waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => form.getByTestId('symptom-outcome').textContent()).toContain('Cancelled');
    expect(await page.getByRole('navigation', { name: 'Symptom sets' }).textContent()).not.toContain('never stored');
  });

  it('ran without console errors or CSP violations', () => {
    expect(browser.problems).toEqual([]);
  });
});

function symptomInput(page: Page, cls: string, n: number): Locator {
  return page.getByLabel(`Symptom ${n} of ${cls}`, { exact: true });
}

async function symptomValues(page: Page, cls: string): Promise<string[]> {
  const inputs = page
    .locator('fieldset.symptom-class', { has: page.locator('legend', { hasText: cls }) })
    .locator('input[aria-label^="Symptom "]');
  return inputs.evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
}
