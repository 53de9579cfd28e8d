/**
 * The `symptoms.*` methods through the engine's contract: the built-in sets on a fresh data folder, the API key kept
 * in the main process (never returned, never logged), generation as a background job with progress, retry and
 * finished events, cancellation, a partial result, a clinician's edit as a new version, and approval.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SymptomProgress } from '../../src/shared/contract';
import { Engine } from '../../src/main/engine/engine';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { completion, lastUserText, startFakeLlm, type FakeLlm } from './helpers/fake-llm';

const KEY = 'sk-handler-test-5e4d3c2b1a';
let root: string;
let engine: Engine;
let llm: FakeLlm;

const answers: Record<string, string> = {
  melanoma: '1. several colors mixed together\n2. a lopsided shape\n3. a blurry, notched border',
  nevus: '1. one even shade of brown\n2. a round, symmetric shape\n3. a smooth, clear border',
};
const category = (text: string): string => /help to diagnose (.+?)\? /.exec(text)?.[1] ?? '';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-symptom-handlers-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
  llm = await startFakeLlm((req) => ({ body: completion(answers[category(lastUserText(req.body))] ?? '') }));
  await engine.call('settings.update', { llmBaseUrl: llm.url, llmModel: 'test-model' });
});

afterAll(async () => {
  await engine.call('symptoms.setApiKey', { apiKey: '' });
  engine.close();
  await llm.close();
  await closeAllClipSessions();
  rmSync(root, { recursive: true, force: true });
});

/** Starts a generation and collects its events until the finished one. */
async function generate(
  params: Partial<Parameters<typeof engine.call<'symptoms.generate'>>[1]> = {},
  onEvent?: (e: SymptomProgress) => void,
): Promise<{ jobId: number; events: SymptomProgress[]; end: SymptomProgress }> {
  const events: SymptomProgress[] = [];
  let jobId = -1;
  const done = new Promise<SymptomProgress>((resolve) => {
    const off = engine.events.on('symptoms.progress', (e) => {
      if (e.jobId !== jobId) return;
      events.push(e);
      onEvent?.(e);
      if (e.phase === 'finished') {
        off();
        resolve(e);
      }
    });
  });
  jobId = (
    await engine.call('symptoms.generate', {
      name: 'derm',
      modality: 'dermoscopy',
      classes: ['melanoma', 'nevus'],
      k: 3,
      ...params,
    })
  ).jobId;
  return { jobId, events, end: await done };
}

describe('symptoms.* methods', () => {
  it('lists the built-in sets on a fresh data folder, unapproved, once', async () => {
    const first = await engine.call('symptoms.list', {});
    const again = await engine.call('symptoms.list', {});
    expect(first.versions.map((v) => [v.name, v.origin, v.approved])).toEqual([
      ['builtin:chest-xray', 'built-in', false],
      ['builtin:dermoscopy', 'built-in', false],
    ]);
    expect(again.versions.map((v) => v.id)).toEqual(first.versions.map((v) => v.id));
  });

  it('keeps the API key in the process: never sent back, never in the audit log', async () => {
    const status = await engine.call('symptoms.setApiKey', { apiKey: KEY });
    expect(status).toMatchObject({ baseUrl: llm.url, model: 'test-model', hasApiKey: true, keyPersistent: false });
    expect(JSON.stringify(status)).not.toContain(KEY);
    const audit = await engine.call('audit.list', {});
    expect(audit.entries.map((e) => e.action)).toContain('symptoms.apiKey.set');
    expect(JSON.stringify(audit)).not.toContain(KEY);
  });

  it('generates in the background with progress events and stores an unapproved version', async () => {
    llm.requests.length = 0;
    const { events, end } = await generate();
    expect(end).toMatchObject({ phase: 'finished', status: 'complete' });
    expect(events.map((e) => e.phase)).toEqual(['stage1', 'stage1', 'validate', 'finished']);
    expect(llm.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
    const version = await engine.call('symptoms.get', { id: end.versionId ?? 0 });
    expect(version).toMatchObject({ name: 'derm', version: 1, approved: false, origin: 'generated', partial: false });
    expect(version.classes).toEqual([
      { name: 'melanoma', symptoms: ['several colors mixed together', 'a lopsided shape', 'a blurry, notched border'] },
      { name: 'nevus', symptoms: ['one even shade of brown', 'a round, symmetric shape', 'a smooth, clear border'] },
    ]);
    const generation = version.provenance?.['generation'] as { model: string; endpoint: string };
    expect(generation).toMatchObject({ model: 'test-model', endpoint: `${llm.url}/chat/completions` });
    expect(JSON.stringify(version)).not.toContain(KEY);
    // Nowhere in the database either (the WAL included).
    for (const file of readdirSync(engine.paths.root).filter((f) => f.startsWith('vip.db'))) {
      expect(readFileSync(join(engine.paths.root, file)).includes(KEY), file).toBe(false);
    }
  });

  it('reports retries as events and marks a short result partial', async () => {
    llm.setHandler((req, i) =>
      i === 0
        ? { status: 429, headers: { 'retry-after': '0' } }
        : {
            body: completion(
              category(lastUserText(req.body)) === 'nevus' ? '1. one even shade of brown' : (answers.melanoma ?? ''),
            ),
          },
    );
    llm.requests.length = 0;
    const { events, end } = await generate({ name: 'derm-partial' });
    expect(events[1]).toMatchObject({
      phase: 'retry',
      message: 'the LLM answered 429 Too Many Requests; trying again in 0 s',
    });
    expect(end.status).toBe('partial');
    expect(end.message?.split('\n')).toEqual([
      'class "nevus": only 1 valid symptom of the 3 asked for',
      'near duplicates matched by words only: the default CLIP package "demo" has random weights',
    ]);
    const version = await engine.call('symptoms.get', { id: end.versionId ?? 0 });
    expect(version.partial).toBe(true);
    expect(version.warnings).toContain('class "nevus": only 1 valid symptom of the 3 asked for');
  });

  it('cancels a running generation: finished as cancelled, nothing stored', async () => {
    llm.setHandler(() => ({ delayMs: 20_000, body: completion('1. late') }));
    let cancel: Promise<{ cancelled: boolean }> | undefined;
    const before = (await engine.call('symptoms.list', {})).versions.length;
    const { jobId, end } = await generate({ name: 'cancelled one' }, (e) => {
      if (e.phase === 'stage1' && !cancel) cancel = engine.call('symptoms.cancel', { jobId: e.jobId });
    });
    expect(await cancel).toEqual({ cancelled: true });
    expect(end).toMatchObject({ status: 'cancelled', versionId: null });
    expect((await engine.call('symptoms.list', {})).versions).toHaveLength(before);
    expect(await engine.call('symptoms.cancel', { jobId })).toEqual({ cancelled: false });
  });

  it('refuses bad input before starting a job', async () => {
    await expect(engine.call('symptoms.generate', { name: 'x', modality: 'x', classes: ['A', 'a'] })).rejects.toThrow(
      /classes "A" and "a" differ only in case or spacing/,
    );
    await expect(
      engine.call('symptoms.generate', { name: 'x', modality: 'x', classes: ['a', 'b'], llmBaseUrl: 'ftp://x' }),
    ).rejects.toThrow(/must start with http/);
    await expect(
      engine.call('symptoms.generate', { name: 'x', modality: 'x', classes: ['a', 'b'], imagesDir: join(root, 'no') }),
    ).rejects.toThrow(/image folder .* does not exist/);
  });

  it('saves a clinician edit as a new unapproved version and approves it', async () => {
    const derm = (await engine.call('symptoms.list', {})).versions.find((v) => v.name === 'derm');
    if (!derm) throw new Error('no generated version');
    const [melanoma, nevus] = derm.classes;
    const saved = await engine.call('symptoms.saveVersion', {
      baseVersionId: derm.id,
      classes: [
        { name: 'melanoma', symptoms: [...(melanoma?.symptoms ?? [])].reverse() },
        { name: 'nevus', symptoms: [...(nevus?.symptoms ?? []).slice(0, 2), 'a fine, regular net of thin lines'] },
      ],
      note: 'reordered and reworded',
    });
    expect(saved.created).toBe(true);
    expect(saved.version).toMatchObject({ version: 2, approved: false, origin: 'edited', parentVersionId: derm.id });
    const edits = saved.version.provenance?.['edits'] as { by: string; changes: Record<string, unknown> }[];
    expect(edits[0]?.by).toBe(engine.actor());
    expect(edits[0]?.changes).toEqual({
      melanoma: { added: [], removed: [], reordered: true },
      nevus: { added: ['a fine, regular net of thin lines'], removed: ['a smooth, clear border'], reordered: false },
    });

    const same = await engine.call('symptoms.saveVersion', {
      baseVersionId: saved.version.id,
      classes: saved.version.classes,
    });
    expect(same).toMatchObject({ created: false, version: { id: saved.version.id } });
    await expect(
      engine.call('symptoms.saveVersion', {
        baseVersionId: derm.id,
        classes: [
          { name: 'nevus', symptoms: ['x'] },
          { name: 'melanoma', symptoms: ['y'] },
        ],
      }),
    ).rejects.toThrow(/the classes must stay those of derm v1 \("melanoma", "nevus"\), in that order/);
    await expect(
      engine.call('symptoms.saveVersion', {
        baseVersionId: derm.id,
        classes: [
          { name: 'melanoma', symptoms: ['a dark spot', 'A dark spot'] },
          { name: 'nevus', symptoms: ['y'] },
        ],
      }),
    ).rejects.toThrow(/lists the symptom "A dark spot" twice/);

    const approved = await engine.call('symptoms.approve', { id: saved.version.id });
    expect(approved).toMatchObject({ approved: true, approvedBy: engine.actor() });
    const twice = await engine.call('symptoms.approve', { id: saved.version.id });
    expect(twice.approvedAt).toBe(approved.approvedAt);
    const actions = (await engine.call('audit.list', {})).entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['symptoms.generate', 'symptoms.edit', 'symptoms.approve']));
    await expect(engine.call('symptoms.approve', { id: 999 })).rejects.toThrow(/No symptom set version 999/);
  });
});
