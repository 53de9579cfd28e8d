/**
 * PACS integration end to end: a private Orthanc (DICOMweb plugin, basic auth) holding generated studies, the built
 * `vip serve` in chromium. Settings › PACS nodes adds the Orthanc node and an unreachable one through the form (the
 * password never comes back to the page; an edit keeps it), tests both, and later removes one. The PACS tab searches
 * (name, date range, modality), pages, opens a study's series by keyboard and retrieves the study with its progress;
 * a retrieval that fails (a proxy cutting downloads) reads as a sentence, one held midway is cancelled, and a reload
 * brings the list back from the engine. The retrieved study becomes a local case that is predicted, reviewed, and
 * reported back with "Send SR to PACS" (an unreachable node first, readable error, then Orthanc); Orthanc's QIDO-RS
 * then lists the SRs in the study. Screenshots: test/artifacts/settings-pacs.png, pacs-search.png,
 * pacs-retrieve.png, viewer-send-sr.png. Without Orthanc the suite is skipped visibly (and fails under CI), as the
 * engine's PACS tests.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeWithOrthanc,
  freePort,
  ORTHANC_PASSWORD,
  ORTHANC_USER,
  startOrthanc,
  type Orthanc,
} from '../pacs/helpers/orthanc';
import { startProxy, type Proxy } from '../pacs/helpers/proxy';
import { makeStudy, type GeneratedStudy } from '../pacs/helpers/studies';
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser';
import { repoRoot, startServe, type Served } from './helpers/serve';

const artifacts = join(repoRoot, 'test', 'artifacts');
// CI installs chromium and Orthanc (.ci/run); elsewhere a missing one skips the suite (Orthanc's skip says so).
const suite = chromiumAvailable() || process.env['CI'] ? describeWithOrthanc : describe.skip;
const SR_CLASS = '1.2.840.10008.5.1.4.1.1.88.33';
const FILLER_STUDIES = 24;

/** A DICOM JSON attribute's first value (QIDO-RS answers in PS3.18 F.2 form). */
function first(row: Record<string, { Value?: unknown[] }>, tag: string): unknown {
  return row[tag]?.Value?.[0];
}

suite('PACS workstation over vip serve and Orthanc', () => {
  let work: string;
  let orthanc: Orthanc;
  let served: Served;
  let browser: Browser;
  let doe: GeneratedStudy;
  let roe: GeneratedStudy;
  let caseId: number;
  let sentSops: string[];
  const proxies: Proxy[] = [];
  const base = (): string => served.url.replace(/\?.*$/, '');

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vip-e2e-pacs-'));
    await mkdir(artifacts, { recursive: true });
    orthanc = await startOrthanc();
    doe = makeStudy({
      key: 9101,
      patientId: 'PAT-0042',
      patientName: 'DOE^JANE',
      studyDate: '20240315',
      modality: 'CR',
      accession: 'ACC-1001',
      series: 2,
      instancesPerSeries: 2,
      size: 256,
    });
    roe = makeStudy({
      key: 9102,
      patientId: 'PAT-0077',
      patientName: 'ROE^RICHARD',
      studyDate: '20240402',
      modality: 'CT',
      accession: 'ACC-1002',
      series: 1,
      instancesPerSeries: 2,
    });
    const others = [
      roe,
      makeStudy({
        key: 9103,
        patientId: 'PAT-0108',
        patientName: 'MUSTERMANN^ERIKA',
        studyDate: '20231120',
        modality: 'DX',
        accession: 'ACC-0987',
        series: 1,
        instancesPerSeries: 1,
      }),
    ];
    // Enough small studies for a second page of results (25 a page).
    for (let i = 0; i < FILLER_STUDIES; i++)
      others.push(
        makeStudy({
          key: 9200 + i,
          patientId: `PAT-${2000 + i}`,
          patientName: `FILLER^PATIENT${String(i).padStart(2, '0')}`,
          studyDate: '20220101',
          modality: 'OT',
          accession: `ACC-${2000 + i}`,
          series: 1,
          instancesPerSeries: 1,
          size: 32,
        }),
      );
    await orthanc.upload([...doe.files, ...others.flatMap((s) => s.files)]);
    served = await startServe(join(work, 'data'));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    for (const p of proxies) await p.close();
    await orthanc?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const nodeForm = (page: Page) => page.getByRole('form', { name: 'Add a PACS node' });

  async function addNode(page: Page, name: string, url: string, basic: boolean): Promise<void> {
    await page.getByRole('button', { name: 'Add PACS node…' }).click();
    const form = nodeForm(page);
    await form.getByRole('textbox', { name: /^Name/ }).fill(name);
    await form.getByRole('textbox', { name: /^DICOMweb base URL/ }).fill(url);
    if (basic) {
      await form.getByRole('combobox', { name: 'Authentication' }).selectOption('basic');
      await form.getByRole('textbox', { name: /^User name/ }).fill(ORTHANC_USER);
      await form.getByLabel(/^Password/).fill(ORTHANC_PASSWORD);
    }
    await form.getByRole('button', { name: 'Add node' }).click();
    await page.getByRole('listitem', { name: `PACS node ${name}` }).waitFor();
  }

  it('adds the nodes in Settings and tests their connections; the password never comes back', async () => {
    const { page } = browser;
    await page.goto(served.url);
    await page.getByRole('status').filter({ hasText: 'Connected' }).first().waitFor();
    await page.goto(`${base()}#/settings`);
    await page.getByRole('heading', { level: 2, name: 'PACS nodes' }).waitFor();
    await expect
      .poll(() => page.getByTestId('pacs-nodes').textContent(), { timeout: 30_000 })
      .toContain('No PACS node yet');

    // A bad address is refused in words before anything is sent.
    await page.getByRole('button', { name: 'Add PACS node…' }).click();
    await nodeForm(page).getByRole('textbox', { name: /^Name/ }).fill('ORTHANC');
    await nodeForm(page)
      .getByRole('textbox', { name: /^DICOMweb base URL/ })
      .fill('pacs.local/dicom-web');
    await nodeForm(page).getByRole('button', { name: 'Add node' }).click();
    expect(await nodeForm(page).textContent()).toContain('Use the http:// or https:// address');
    await nodeForm(page).getByRole('button', { name: 'Cancel' }).click();

    await addNode(page, 'ORTHANC', orthanc.dicomWeb, true);
    const offlinePort = await freePort();
    await addNode(page, 'OFFLINE', `http://127.0.0.1:${offlinePort}/dicom-web`, false);

    const orthancCard = page.getByRole('listitem', { name: 'PACS node ORTHANC' });
    expect(await orthancCard.textContent()).toContain('Password kept in memory');
    await orthancCard.getByRole('button', { name: 'Test connection' }).click();
    const ok = orthancCard.getByTestId('pacs-test-result');
    await expect.poll(() => ok.textContent(), { timeout: 30_000 }).toContain('Connected');

    const offlineCard = page.getByRole('listitem', { name: 'PACS node OFFLINE' });
    await offlineCard.getByRole('button', { name: 'Test connection' }).click();
    const failed = offlineCard.getByTestId('pacs-test-result');
    await expect.poll(() => failed.textContent(), { timeout: 30_000 }).toContain('Not reachable');

    // Write-only: the password is in no field, no text and no attribute of the page.
    expect(await page.content()).not.toContain(ORTHANC_PASSWORD);
    await orthancCard.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit PACS node ORTHANC' });
    expect(await edit.getByLabel(/^Password/).inputValue()).toBe('');
    expect(await edit.getByLabel(/^Password/).getAttribute('placeholder')).toContain('leave empty to keep');
    // An edit with the password left empty keeps the stored one.
    await edit.getByRole('spinbutton', { name: 'Timeout (seconds)' }).fill('20');
    await edit.getByRole('button', { name: 'Save node' }).click();
    await expect.poll(() => orthancCard.textContent(), { timeout: 10_000 }).toContain('Timeout 20 s');
    expect(await orthancCard.textContent()).toContain('Password kept in memory');
    await orthancCard.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => ok.textContent(), { timeout: 30_000 }).toContain('Connected');

    // The section at the top of the window, under the app's header.
    await page
      .getByTestId('pacs-nodes')
      .evaluate((el) => (el as unknown as { scrollIntoView(): void }).scrollIntoView());
    await page.screenshot({ path: join(artifacts, 'settings-pacs.png') });
  });

  it('searches the PACS tab, pages, opens a study’s series, and says when a node is unreachable', async () => {
    const { page } = browser;
    await page.goto(`${base()}#/worklist`);
    await page.getByRole('navigation', { name: 'Worklist source' }).getByRole('link', { name: 'PACS' }).click();
    await page.getByRole('search', { name: 'Search the PACS' }).waitFor();
    const node = page.getByRole('combobox', { name: 'PACS node' });
    await node.selectOption('ORTHANC');
    const search = page.getByRole('search', { name: 'Search the PACS' });
    await search.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByTestId('pacs-study-row');
    const count = page.getByTestId('pacs-result-count');
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe('Studies 1–25 in ORTHANC');
    expect(await rows.count()).toBe(25);
    const pages = page.getByRole('navigation', { name: 'Result pages' });
    await pages.getByRole('button', { name: /^Next/ }).click();
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe('Studies 26–27 of 27 in ORTHANC');
    expect(await rows.count()).toBe(2);
    expect(await pages.getByRole('button', { name: /^Next/ }).isDisabled()).toBe(true);
    await pages.getByRole('button', { name: /Previous/ }).click();
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe('Studies 1–25 in ORTHANC');

    // Patient name as a clinician types it, then a date range and modality that exclude the study.
    await search.getByRole('textbox', { name: 'Patient name' }).fill('doe');
    await search.getByRole('textbox', { name: 'Patient name' }).press('Enter');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(1);
    const text = (await rows.first().textContent()) ?? '';
    expect(text).toContain('DOE, JANE');
    expect(text).toContain('ID PAT-0042');
    expect(text).toContain('2024-03-15');
    expect(text).toContain('ACC-1001');
    expect(text).toContain('4 images');
    await search.getByLabel('Study date from').fill('2024-04-01');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe('No study matches this search.');
    await search.getByLabel('Study date from').fill('2024-03-01');
    await search.getByLabel('Study date to').fill('2024-03-31');
    await search.getByLabel('Modality').fill('CR');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(1);

    // Every patient of a date range (the filler studies are older).
    await search.getByRole('button', { name: 'Clear' }).click();
    expect(await search.getByRole('textbox', { name: 'Patient name' }).inputValue()).toBe('');
    await search.getByLabel('Study date from').fill('2023-01-01');
    await search.getByLabel('Study date to').fill('2024-12-31');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe('Studies 1–3 of 3 in ORTHANC');
    // By keyboard: Right opens the study's series, Space ticks it, Down and Up move between studies.
    const row = rows.filter({ hasText: 'DOE, JANE' });
    await row.getByRole('checkbox').focus();
    await page.keyboard.press('ArrowRight');
    const series = page.getByTestId('pacs-series-row');
    await expect.poll(() => series.count(), { timeout: 30_000 }).toBe(2);
    expect(await series.first().textContent()).toContain('Series 1: SERIES 1');
    expect(await series.first().textContent()).toContain('2 images');
    await page.keyboard.press('Space');
    expect(await row.getByRole('checkbox').isChecked()).toBe(true);
    expect(await series.first().getByRole('checkbox').isChecked()).toBe(true);
    const doeUid = await row.getAttribute('data-study-uid');
    const focusedRow = page.locator('tr:focus-within');
    await page.keyboard.press('ArrowDown');
    // The series are part of the ticked study (their boxes are off): focus goes on to the next study.
    expect(await focusedRow.getAttribute('data-study-uid')).not.toBe(doeUid);
    expect(await focusedRow.getAttribute('data-testid')).toBe('pacs-study-row');
    await page.keyboard.press('ArrowUp');
    expect(await focusedRow.getAttribute('data-study-uid')).toBe(doeUid);
    await page.getByRole('button', { name: 'Retrieve 1 study' }).waitFor();
    await page.screenshot({ path: join(artifacts, 'pacs-search.png') });

    // The same search on the unreachable node: a sentence, the technical answer behind Details.
    await node.selectOption('OFFLINE');
    await search.getByRole('button', { name: 'Search' }).click();
    const problem = page.getByRole('alert').filter({ hasText: 'The search in OFFLINE failed' });
    await problem.waitFor({ timeout: 30_000 });
    expect(await problem.getByText('Details').count()).toBe(1);
    await node.selectOption('ORTHANC');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
  });

  it('retrieves the study with progress; it becomes a case of the local worklist', async () => {
    const { page } = browser;
    const doeRow = page.getByTestId('pacs-study-row').filter({ hasText: 'DOE, JANE' });
    await doeRow.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retrieve 1 study' }).click();
    const job = page.getByTestId('pacs-job').first();
    await job.waitFor();
    expect(await job.textContent()).toContain('DOE, JANE · 2024-03-15');
    await expect
      .poll(() => job.getByRole('status').textContent(), { timeout: 60_000 })
      .toContain('Retrieved: 4 images');
    expect(await job.locator('progress').getAttribute('value')).toBe('4');
    const open = job.getByRole('link', { name: /^Open case \d+$/ });
    caseId = Number(((await open.textContent()) ?? '').replace(/\D/g, ''));
    expect(caseId).toBeGreaterThan(0);

    // Retrieving again stores nothing twice.
    await doeRow.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retrieve 1 study' }).click();
    await expect
      .poll(() => page.getByTestId('pacs-job').first().getByRole('status').textContent(), { timeout: 60_000 })
      .toContain('Already in the worklist: 4 images');

    await page.getByRole('link', { name: 'Local cases' }).click();
    await expect.poll(() => page.getByTestId('case-count').textContent(), { timeout: 10_000 }).toContain('1 case');
    await expect.poll(() => page.locator(`[data-case-id="${caseId}"]`).count(), { timeout: 10_000 }).toBe(1);
  });

  it('says in words when a retrieval fails, and cancels one midway', async () => {
    const { page } = browser;
    // FLAKY cuts every image download; SLOW holds the second image until released.
    const flaky = await startProxy(orthanc.dicomWeb, { dropAfter: 0, drop: 'always' });
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startProxy(orthanc.dicomWeb, { hook: { afterInstances: 1, run: () => gate } });
    proxies.push(flaky, slow);
    await page.goto(`${base()}#/settings`);
    await addNode(page, 'FLAKY', flaky.url, true);
    await addNode(page, 'SLOW', slow.url, true);

    await page.goto(`${base()}#/pacs`);
    const node = page.getByRole('combobox', { name: 'PACS node' });
    const search = page.getByRole('search', { name: 'Search the PACS' });
    const rows = page.getByTestId('pacs-study-row');
    const jobs = page.getByTestId('pacs-job');

    await node.selectOption('FLAKY');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => page.getByTestId('pacs-result-count').textContent(), { timeout: 30_000 })
      .toContain('in FLAKY');
    await rows.filter({ hasText: 'MUSTERMANN, ERIKA' }).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retrieve 1 study' }).click();
    const failed = jobs.first();
    await expect
      .poll(() => failed.getByRole('status').textContent(), { timeout: 60_000 })
      .toBe('The study could not be retrieved');
    const problem = failed.getByRole('alert');
    expect(await problem.textContent()).toContain('FLAKY did not send this study');
    await problem.getByText('Details').click();
    expect((await problem.locator('pre').textContent())?.length).toBeGreaterThan(10);

    await node.selectOption('SLOW');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => page.getByTestId('pacs-result-count').textContent(), { timeout: 30_000 })
      .toContain('in SLOW');
    await rows.filter({ hasText: 'ROE, RICHARD' }).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retrieve 1 study' }).click();
    const held = jobs.first();
    await expect
      .poll(() => held.getByRole('status').textContent(), { timeout: 60_000 })
      .toContain('Retrieving: 1 of 2 images');
    expect(
      await page.getByRole('navigation', { name: 'Worklist source' }).getByRole('link', { name: /PACS/ }).textContent(),
    ).toBe('PACS1');
    await held.getByRole('button', { name: 'Cancel' }).click();
    await expect
      .poll(() => held.getByRole('status').textContent(), { timeout: 30_000 })
      .toBe('Cancelled: 1 of 2 images retrieved');
    release();
    expect(await held.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await page.screenshot({ path: join(artifacts, 'pacs-retrieve.png') });

    // A reload loses nothing: the engine lists its retrievals (pacs.jobs) with their outcomes.
    await page.reload();
    const listed = page.getByTestId('pacs-job');
    await expect.poll(() => listed.count(), { timeout: 30_000 }).toBe(4);
    expect(await listed.first().textContent()).toContain(`Study ${roe.studyUid}`);
    expect(await listed.first().getByRole('status').textContent()).toBe('Cancelled: 1 of 2 images retrieved');
    expect(await listed.nth(1).getByRole('status').textContent()).toBe('The study could not be retrieved');
  });

  it('opens the case, predicts and reviews it, and sends the SR: an unreachable node first, then Orthanc', async () => {
    const { page } = browser;
    await page.goto(`${base()}#/pacs`);
    await page.getByTestId('pacs-job').first().waitFor();
    await page
      .getByRole('link', { name: `Open case ${caseId}` })
      .first()
      .click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`^Case ${caseId}`) }).waitFor();
    const panel = page.getByTestId('evidence-panel');
    const probs = panel.getByRole('list', { name: 'Class probabilities' }).getByRole('listitem');
    if ((await probs.count()) === 0) {
      await panel.getByRole('button', { name: 'Predict' }).click();
    }
    await expect.poll(() => probs.count(), { timeout: 60_000 }).toBeGreaterThan(1);
    await page.locator('body').press('a');
    await expect
      .poll(() => page.getByTestId('review-status').textContent(), { timeout: 10_000 })
      .toContain('agrees with the model');

    await page.getByRole('button', { name: 'Send SR to PACS…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send the structured report to PACS' });
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent(), { timeout: 10_000 }).toContain('your review');
    const choose = dialog.getByRole('combobox', { name: 'PACS node' });
    await choose.selectOption('OFFLINE');
    await dialog.getByRole('button', { name: 'Send SR' }).click();
    const problem = dialog.getByRole('alert');
    await expect.poll(() => problem.textContent(), { timeout: 60_000 }).toContain('The report was not sent to OFFLINE');

    await choose.selectOption('ORTHANC');
    await dialog.getByRole('button', { name: 'Try again' }).click();
    const outcome = dialog.getByTestId('send-outcome');
    await outcome.waitFor({ timeout: 60_000 });
    // One SR per predicted image: the study's four images.
    expect(await outcome.textContent()).toContain('4 reports sent to ORTHANC');
    sentSops = (await dialog.getByTestId('sent-sop-uid').allTextContents()).map((t) => t.trim());
    expect(sentSops).toHaveLength(4);
    for (const uid of sentSops) expect(uid).toMatch(/^\d+(\.\d+)+$/);
    await page.screenshot({ path: join(artifacts, 'viewer-send-sr.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('removes a node after a confirmation in place', async () => {
    const { page } = browser;
    await page.goto(`${base()}#/settings`);
    const card = page.getByRole('listitem', { name: 'PACS node FLAKY' });
    await card.getByRole('button', { name: 'Remove' }).click();
    const confirm = card.getByRole('alertdialog', { name: 'Remove FLAKY?' });
    expect(await confirm.textContent()).toContain('Cases already retrieved stay in the worklist');
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(0);
    expect(await page.getByTestId('pacs-nodes').getByRole('status').textContent()).toBe('FLAKY removed.');
    expect(await page.getByTestId('pacs-node').count()).toBe(3);
  });

  it('Orthanc lists the SRs in the retrieved study (QIDO-RS)', async () => {
    const r = await orthanc.rest('GET', `/dicom-web/studies/${doe.studyUid}/instances`);
    expect(r.status).toBe(200);
    const instances = r.json as Array<Record<string, { Value?: unknown[] }>>;
    for (const uid of sentSops) {
      const sr = instances.find((i) => first(i, '00080018') === uid);
      expect(sr, `SR ${uid} among ${instances.length} instances`).toBeDefined();
      expect(first(sr!, '00080016')).toBe(SR_CLASS);
    }
    expect(instances).toHaveLength(doe.sopUids.length + sentSops.length);
    // The images are still there beside them.
    for (const sop of doe.sopUids) expect(instances.some((i) => first(i, '00080018') === sop)).toBe(true);
    // Nothing went wrong in the page along the way (console errors, page errors, CSP violations).
    expect(browser.problems).toEqual([]);
  });
});
