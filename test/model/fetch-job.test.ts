/**
 * `models.fetch` through the engine's contract against a local stand-in for the hub ($HF_ENDPOINT): progress events
 * per file (download, verify, convert, finished), the package listed afterwards, cancel mid-download and a resume,
 * and failures in plain words with the technical message kept as detail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFetchProgress } from '@shared/contract';
import { Engine } from '../../src/main/engine/engine';
import { describeFetchFailure } from '../../src/main/engine/model/fetch-errors';
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
  onEvent?: (e: ModelFetchProgress, jobId: number) => void,
): Promise<ModelFetchProgress[]> {
  const seen: ModelFetchProgress[] = [];
  let jobId = -1;
  const done = new Promise<void>((resolve) => {
    const off = engine.events.on('models.fetchProgress', (e) => {
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
  it('reports download, verify and convert per file, then lists the package', async () => {
    await hub();
    const events = await fetchJob({ repo: REPO });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ phase: 'finished', status: 'completed', packageId: 'clip-tiny-test' });
    const phases = new Set(events.map((e) => e.phase));
    expect([...phases]).toEqual(['download', 'verify', 'convert', 'finished']);
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
        void twice.then(() => engine.call('models.fetchCancel', { jobId }));
      }
    });
    expect(await twice).toMatchObject({ code: 'bad_input', message: '"resumed" is already being downloaded' });
    expect(events.at(-1)).toMatchObject({ phase: 'finished', status: 'cancelled' });
    expect((await engine.call('models.list', {})).packages.map((p) => p.id)).not.toContain('resumed');
    expect(await engine.call('models.fetchCancel', { jobId: events[0]!.jobId })).toEqual({ cancelled: false });

    delete faults.slow;
    const again = await fetchJob({ repo: REPO, id: 'resumed' });
    expect(again.at(-1)).toMatchObject({ status: 'completed' });
    // The second fetch asked for the rest of the weights only.
    expect(server!.requests.some((r) => r.path.endsWith('model.safetensors') && r.range !== null)).toBe(true);
  }, 60_000);

  it('fails in plain words for an unknown repository, the technical message one click away', async () => {
    await hub();
    const events = await fetchJob({ repo: 'someone/no-such-model' });
    const last = events.at(-1)!;
    expect(last.status).toBe('failed');
    expect(last.error?.message).toMatch(/^No model with this name was found on the server/);
    expect(last.error?.detail).toContain('Repository someone/no-such-model not found');
    expect(last.error?.code).toBe('bad_input');
  });

  it('words network trouble and a full disk for people', () => {
    const offline = describeFetchFailure(
      new VipError('unavailable', 'Downloading config.json from http://x failed after 5 attempts: ECONNREFUSED'),
    );
    expect(offline.message).toMatch(/could not be reached. Check the network connection/);
    const full = describeFetchFailure(new VipError('unavailable', 'No space left on the disk while downloading x'));
    expect(full.message).toMatch(/^The disk is full/);
    const other = describeFetchFailure(new Error('something odd'));
    expect(other.message).toBe('The download did not complete: something odd');
  });
});
