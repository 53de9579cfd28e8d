/**
 * `models.fetch` through the engine's contract against a local stand-in for the hub ($HF_ENDPOINT): progress events
 * per file (download, verify), the package build's steps (build), finished; the package listed afterwards, cancel
 * mid-download and a resume, cancel while the package is built (nothing left, the same fetch later completes), and
 * failures in plain words with the technical message kept as detail.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelBuildStep, type ModelJobProgress } from '@shared/contract';
import { Engine } from '../../src/main/engine/engine';
import { describeJobFailure } from '../../src/main/engine/model/job-errors';
import { VipError } from '@shared/errors';
import { tinyHfFiles } from './helpers/hub-checkpoint';
import { startHubServer, type HubFaults, type HubServer } from './helpers/hub-server';

const REPO = 'openai/clip-tiny-test';
let root: string;
let engine: Engine;
let server: HubServer | undefined;
const savedEndpoint = process.env['HF_ENDPOINT'];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vip-fetch-job-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => {
  engine.close();
  if (savedEndpoint === undefined) delete process.env['HF_ENDPOINT'];
  else process.env['HF_ENDPOINT'] = savedEndpoint;
  rmSync(root, { recursive: true, force: true });
});

async function hub(faults: HubFaults = {}): Promise<HubServer> {
  server = await startHubServer(REPO, { ...tinyHfFiles() }, faults);
  process.env['HF_ENDPOINT'] = server.endpoint;
  return server;
}

/** Starts a fetch and collects its events until the finished one. */
async function fetchJob(
  params: { repo: string; id?: string },
  onEvent?: (e: ModelJobProgress, jobId: number) => void,
): Promise<ModelJobProgress[]> {
  const seen: ModelJobProgress[] = [];
  let jobId = -1;
  const done = new Promise<void>((resolve) => {
    const off = engine.events.on('models.jobProgress', (e) => {
      seen.push(e);
      onEvent?.(e, jobId);
      if (e.phase === 'finished' && e.jobId === jobId) {
        off();
        resolve();
      }
    });
  });
  jobId = (await engine.call('models.fetch', params)).jobId;
  await done;
  return seen.filter((e) => e.jobId === jobId);
}

describe('models.fetch', () => {
  it('reports download and verify per file, then the build step by step, then lists the package', async () => {
    await hub();
    const events = await fetchJob({ repo: REPO });
    const last = events.at(-1)!;
    expect(last).toMatchObject({
      kind: 'fetch',
      phase: 'finished',
      status: 'completed',
      packageId: 'clip-tiny-test',
      source: REPO,
    });
    const phases = new Set(events.map((e) => e.phase));
    expect([...phases]).toEqual(['download', 'verify', 'build', 'finished']);
    const steps = new Set(events.flatMap((e) => (e.phase === 'build' && e.build ? [e.build.step] : [])));
    expect([...steps]).toEqual(ModelBuildStep.options);
    const weights = last.files.find((f) => f.name === 'model.safetensors')!;
    expect(weights.total).toBe(tinyHfFiles()['model.safetensors'].byteLength);
    expect(weights.bytes).toBe(weights.total);
    expect(events.some((e) => e.phase === 'verify' && e.file === 'model.safetensors')).toBe(true);
    const list = await engine.call('models.list', {});
    expect(list.packages.map((p) => p.id)).toContain('clip-tiny-test');
    const audit = (await engine.call('audit.list', {})).entries.find((e) => e.action === 'models.fetch');
    expect(audit).toMatchObject({ entityId: 'clip-tiny-test', detail: { repo: REPO, revision: 'main' } });
  });

  it('refuses at once an id that is installed and a repository id that is not one', async () => {
    await expect(engine.call('models.fetch', { repo: REPO })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('already installed') as string,
    });
    await expect(engine.call('models.fetch', { repo: 'not a repo' })).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('cancels mid-download, and the same fetch later resumes and completes', async () => {
    const size = tinyHfFiles()['model.safetensors'].byteLength;
    const faults: HubFaults = { slow: { 'model.safetensors': { chunkBytes: 64 * 1024, delayMs: 40 } } };
    await hub(faults);
    let cancelled = false;
    let twice: Promise<unknown> | undefined;
    const events = await fetchJob({ repo: REPO, id: 'resumed' }, (e, jobId) => {
      const w = e.files.find((f) => f.name === 'model.safetensors');
      if (!cancelled && w && w.bytes > 0 && w.bytes < size) {
        cancelled = true;
        // The same package cannot be downloaded twice at once.
        twice = engine.call('models.fetch', { repo: REPO, id: 'resumed' }).then(
          () => 'started',
          (err: unknown) => err,
        );
        void twice.then(() => engine.call('models.jobCancel', { jobId }));
      }
    });
    expect(await twice).toMatchObject({ code: 'bad_input', message: '"resumed" is already being downloaded' });
    expect(events.at(-1)).toMatchObject({ phase: 'finished', status: 'cancelled' });
    expect((await engine.call('models.list', {})).packages.map((p) => p.id)).not.toContain('resumed');
    expect(await engine.call('models.jobCancel', { jobId: events[0]!.jobId })).toEqual({ cancelled: false });

    delete faults.slow;
    const again = await fetchJob({ repo: REPO, id: 'resumed' });
    expect(again.at(-1)).toMatchObject({ status: 'completed' });
    // The second fetch asked for the rest of the weights only.
    expect(server!.requests.some((r) => r.path.endsWith('model.safetensors') && r.range !== null)).toBe(true);
  }, 60_000);

  it('cancels while the package is built: nothing is installed or left in tmp, and the same fetch later completes', async () => {
    await hub();
    let asked: Promise<unknown> | undefined;
    const events = await fetchJob({ repo: REPO, id: 'built-halfway' }, (e, jobId) => {
      if (!asked && e.phase === 'build' && e.build?.step === 'text-tower')
        asked = engine.call('models.jobCancel', { jobId });
    });
    expect(await asked).toEqual({ cancelled: true });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ phase: 'finished', status: 'cancelled' });
    // Where it stopped: in the build, after the download had completed.
    expect(last.build?.step).toBe('text-tower');
    expect(last.files.every((f) => f.total === null || f.bytes === f.total)).toBe(true);
    expect((await engine.call('models.list', {})).packages.map((p) => p.id)).not.toContain('built-halfway');
    expect(readdirSync(engine.paths.models).filter((n) => n.includes('built-halfway'))).toEqual([]);
    expect(readdirSync(engine.paths.tmp)).toEqual([]);

    const again = await fetchJob({ repo: REPO, id: 'built-halfway' });
    expect(again.at(-1)).toMatchObject({ status: 'completed' });
    expect(existsSync(join(engine.paths.models, 'built-halfway', 'manifest.json'))).toBe(true);
  });

  it('fails in plain words for an unknown repository, the technical message one click away', async () => {
    await hub();
    const events = await fetchJob({ repo: 'someone/no-such-model' });
    const last = events.at(-1)!;
    expect(last.status).toBe('failed');
    expect(last.error?.message).toMatch(/^No model with this name was found on the server/);
    expect(last.error?.detail).toContain('Repository someone/no-such-model not found');
    expect(last.error?.code).toBe('bad_input');
  });

  it('words network trouble, a full disk and other failures for people, per kind of job', () => {
    const offline = describeJobFailure(
      'fetch',
      new VipError('unavailable', 'Downloading config.json from http://x failed after 5 attempts: ECONNREFUSED'),
    );
    expect(offline.message).toMatch(/could not be reached. Check the network connection/);
    const full = new VipError('unavailable', 'No space left on the disk while downloading x');
    expect(describeJobFailure('fetch', full).message).toMatch(/^The disk is full/);
    expect(describeJobFailure('create-demo', full).message).toMatch(/^The disk is full/);
    expect(describeJobFailure('fetch', new Error('something odd')).message).toBe(
      'The download did not complete: something odd',
    );
    expect(describeJobFailure('create-demo', new Error('something odd')).message).toBe(
      'The demo package could not be built: something odd',
    );
    // A download's words are not an import's: a folder that lacks a file is not a "repository".
    const lacking = describeJobFailure('import', new VipError('bad_input', '/x has no file model.safetensors'));
    expect(lacking).toEqual({
      code: 'bad_input',
      message: 'The folder could not be imported: /x has no file model.safetensors',
      detail: '/x has no file model.safetensors',
    });
  });
});
