/**
 * The renderer against the real browser host (src/main/serve/server.ts) with a scripted engine behind it: a worklist of
 * 10,000 cases must stay a handful of DOM rows paged in with offset/limit, refresh on `cases.changed`, and a result that
 * breaks the contract must be reported on screen, never trusted and never crash the page.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary } from '@shared/contract';
import { parseRequest } from '@shared/protocol';
import { EngineEvents } from '../../src/main/engine/events';
import { startServer, type RunningServer } from '../../src/main/serve/server';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { assertBuilt, repoRoot } from './helpers/serve';

const run = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const artifacts = join(repoRoot, 'test', 'artifacts');

/** A case id whose `cases.get` answer is deliberately malformed. */
const BROKEN_CASE = 4242;

class ScriptedEngine {
  readonly events = new EngineEvents();
  total = 10_000;
  listCalls: Array<{ offset: number; limit: number }> = [];
  renderCalls = 0;
  constructor(private readonly png: Uint8Array) {}

  /** Row `index` in created_desc order: the newest case has the highest id. */
  summary(index: number): CaseSummary {
    const id = this.total - index;
    return {
      id,
      createdAt: new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString(),
      studyDate: '20250102',
      modality: id % 2 ? 'CR' : 'DX',
      bodyPart: 'CHEST',
      patientKey: `pk-${id}`,
      description: `Synthetic case ${id}`,
      imageCount: 1,
      firstImageId: id,
      predictedClass: id % 3 ? 'normal' : null,
      predictedProbability: id % 3 ? 0.5 + (id % 50) / 100 : null,
      reviewStatus: id % 5 ? 'unreviewed' : 'reviewed',
      reviewLabel: id % 5 ? null : 'normal',
    };
  }

  async invoke(method: unknown, params: unknown): Promise<unknown> {
    const req = parseRequest(method, params);
    switch (req.method) {
      case 'app.info':
        return {
          version: 'test',
          dataDir: '/scripted/data',
          transport: 'http',
          schemaVersion: 1,
          platform: 'linux',
          cpuCount: 2,
        };
      case 'settings.get':
        return { reviewerName: '', llmBaseUrl: '', llmModel: '' };
      case 'cases.list': {
        const { offset, limit } = req.params as { offset: number; limit: number };
        this.listCalls.push({ offset, limit });
        const end = Math.min(this.total, offset + limit);
        const cases = [];
        for (let i = offset; i < end; i++) cases.push(this.summary(i));
        return { total: this.total, cases };
      }
      case 'images.render':
        this.renderCalls++;
        return { mediaType: 'image/png', data: this.png, width: 8, height: 8 };
      case 'cases.get': {
        const { id } = req.params as { id: number };
        if (id === BROKEN_CASE) return { id, notes: 42, images: 'none' };
        return { ...this.summary(this.total - id), notes: null, images: [] };
      }
      default:
        throw new Error(`the scripted engine does not answer ${req.method}`);
    }
  }
}

function caseRows(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Cases' }).getByRole('option');
}

run('worklist at scale and bad answers (scripted engine)', () => {
  let engine: ScriptedEngine;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    assertBuilt();
    await mkdir(artifacts, { recursive: true });
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .png()
      .toBuffer();
    engine = new ScriptedEngine(new Uint8Array(png));
    server = await startServer({ engine, port: 0, rendererDir: join(repoRoot, 'out', 'renderer') });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows 10,000 cases with only the visible rows in the DOM, paged with offset/limit', async () => {
    const { page } = browser;
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('10,000 cases');
    await expect.poll(() => caseRows(page).first().getAttribute('aria-label')).toMatch(/^Case 10000,/);
    const domRows = await caseRows(page).count();
    expect(domRows).toBeGreaterThan(5);
    expect(domRows).toBeLessThan(60);
    expect(engine.listCalls.every((c) => c.limit <= 200)).toBe(true);
    expect(engine.listCalls.every((c) => c.offset === 0)).toBe(true);
    // Thumbnails only for rows that exist, not for ten thousand.
    await expect.poll(() => engine.renderCalls).toBeGreaterThan(0);
    expect(engine.renderCalls).toBeLessThanOrEqual(domRows);
  });

  it('jumps to the end with the keyboard, fetching only the last page', async () => {
    const { page } = browser;
    const list = page.getByRole('listbox', { name: 'Cases' });
    await list.focus();
    const before = engine.listCalls.length;
    await page.keyboard.press('End');
    const last = page.locator('[role="option"][aria-posinset="10000"]');
    await expect.poll(() => last.getAttribute('aria-label')).toMatch(/^Case 1,/);
    await expect.poll(() => last.getAttribute('aria-selected')).toBe('true');
    const fetched = engine.listCalls.slice(before).map((c) => c.offset);
    expect(fetched).toContain(9800);
    expect(fetched.length).toBeLessThanOrEqual(3);
    expect(await caseRows(page).count()).toBeLessThan(60);
    await page.keyboard.press('Home');
    await expect
      .poll(() => page.locator('[role="option"][aria-posinset="1"]').getAttribute('aria-selected'))
      .toBe('true');
  });

  it('refreshes when the engine announces cases.changed', async () => {
    const { page } = browser;
    engine.total = 10_001;
    engine.events.emit('cases.changed', { caseIds: [10_001] });
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('10,001 cases');
    await expect.poll(() => caseRows(page).first().getAttribute('aria-label')).toMatch(/^Case 10001,/);
    await page.screenshot({ path: join(artifacts, 'worklist-10k.png') });
  });

  it('reports a result that breaks the contract instead of showing it, and keeps working', async () => {
    const { page } = browser;
    await page.goto(`${server.url.split('?')[0]}#/case/${BROKEN_CASE}`);
    const alert = page.getByRole('alert').filter({ hasText: 'Could not open the case' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The server sent an invalid cases.get result');
    await alert.getByText('Details').click();
    expect(await alert.textContent()).toMatch(/createdAt: Invalid input/);
    const report = page.getByRole('complementary', { name: 'Protocol problems' });
    expect(await report.textContent()).toContain('Rejected an invalid cases.get result');
    await page.getByRole('link', { name: 'Worklist' }).first().click();
    await expect.poll(() => page.getByTestId('case-count').textContent()).toContain('10,001 cases');
    expect(browser.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });
});
