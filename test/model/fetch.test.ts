import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { defaultIdFor, fetchFromHub, type FetchOptions, type FetchProgress } from '../../src/main/engine/model/fetch';
import { loadPackage } from '../../src/main/engine/model/package';
import { tinyHfFiles } from './helpers/hub-checkpoint';
import { deadEndpoint, HUB_COMMIT, silentEndpoint, startHubServer, type HubServer } from './helpers/hub-server';

const REPO = 'openai/clip-tiny-test';

let root: string;
let counter = 0;
let server: HubServer | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vip-fetch-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh data folder layout: <data>/models and <data>/tmp. */
function dataFolder(): { models: string; tmp: string } {
  counter++;
  const data = join(root, `data-${counter}`);
  const models = join(data, 'models');
  const tmp = join(data, 'tmp');
  mkdirSync(models, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  return { models, tmp };
}

function files(): Record<string, Uint8Array | string> {
  return { ...tinyHfFiles() };
}

const fast: Partial<FetchOptions> = { retryDelayMs: 10, stallTimeoutMs: 2000, token: '' };

async function fetchError(promise: Promise<unknown>): Promise<VipError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(VipError);
  expect((caught as VipError).message).not.toContain('\n');
  return caught as VipError;
}

describe('fetchFromHub', () => {
  it('downloads, verifies the LFS checksum, imports, and cleans up the download folder', async () => {
    server = await startHubServer(REPO, files());
    const { models, tmp } = dataFolder();
    const progress: FetchProgress[] = [];
    const result = await fetchFromHub(REPO, {
      ...fast,
      endpoint: server.endpoint,
      modelsDir: models,
      onProgress: (p) => progress.push(p),
    });

    expect(result.package.manifest.id).toBe('clip-tiny-test');
    expect(result.package.manifest.source).toEqual({ kind: 'huggingface-hub', ref: REPO, revision: HUB_COMMIT });
    expect(result.commit).toBe(HUB_COMMIT);
    const weights = result.files.find((f) => f.name === 'model.safetensors');
    const expectedSha = createHash('sha256').update(tinyHfFiles()['model.safetensors']).digest('hex');
    expect(weights).toMatchObject({
      verified: true,
      sha256: expectedSha,
      size: tinyHfFiles()['model.safetensors'].length,
    });
    expect(result.files.find((f) => f.name === 'config.json')?.verified).toBe(false);
    expect(result.files.map((f) => f.name).sort()).toEqual(
      ['config.json', 'merges.txt', 'model.safetensors', 'preprocessor_config.json', 'vocab.json'].sort(),
    );

    const last = progress.filter((p) => p.file === 'model.safetensors').pop();
    expect(last?.bytes).toBe(tinyHfFiles()['model.safetensors'].length);
    expect(last?.totalBytes).toBe(tinyHfFiles()['model.safetensors'].length);
    await loadPackage(join(models, 'clip-tiny-test'));
    expect(readdirSync(tmp)).toEqual([]);
    // The hub was asked for the resolve paths of the requested revision.
    expect(server.requests.some((r) => r.path === `/${REPO}/resolve/main/config.json`)).toBe(true);
  });

  it('resumes a file whose connection dropped mid-way with a Range request', async () => {
    const dropAt = 1_000_000;
    server = await startHubServer(REPO, files(), { dropAfter: { 'model.safetensors': { bytes: dropAt, times: 1 } } });
    const { models } = dataFolder();
    const result = await fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models, id: 'resumed' });
    const cdn = server.requests.filter((r) => r.path === '/cdn/model.safetensors');
    expect(cdn.length).toBe(2);
    expect(cdn[0]?.range).toBeNull();
    // The resume starts where the part file ends: after some bytes, at most those sent before the drop.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(cdn[1]?.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(dropAt);
    expect(result.files.find((f) => f.name === 'model.safetensors')?.verified).toBe(true);
    await loadPackage(join(models, 'resumed'));
  });

  it('retries a busy server (503) and then succeeds', async () => {
    server = await startHubServer(REPO, files(), { unavailable: { 'config.json': 2 } });
    const { models } = dataFolder();
    await fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models, id: 'busy' });
    expect(server.requests.filter((r) => r.path.endsWith('/config.json')).length).toBe(3);
  });

  it('falls back to tokenizer.json when vocab.json is absent, and sends the token to the hub', async () => {
    const f = files();
    const vocab = JSON.parse(f['vocab.json'] as string) as Record<string, number>;
    const merges = (f['merges.txt'] as string).trimEnd().split('\n').slice(1);
    delete f['vocab.json'];
    delete f['merges.txt'];
    f['tokenizer.json'] = JSON.stringify({ model: { type: 'BPE', vocab, merges } });
    server = await startHubServer(REPO, f, { token: 'secret' });
    const { models } = dataFolder();
    const result = await fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models, token: 'secret' });
    expect(result.files.map((f) => f.name)).toContain('tokenizer.json');
    // The token goes to the hub, never to the CDN the download is redirected to.
    expect(server.requests.filter((r) => r.path.startsWith('/cdn/')).every((r) => r.authorization === null)).toBe(true);
    expect(
      server.requests.filter((r) => r.path.includes('/resolve/')).every((r) => r.authorization === 'Bearer secret'),
    ).toBe(true);
  });

  it('a missing required file: a clear 404 error', async () => {
    const f = files();
    delete f['model.safetensors'];
    server = await startHubServer(REPO, f);
    const { models, tmp } = dataFolder();
    const err = await fetchError(fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models }));
    expect(err.code).toBe('bad_input');
    expect(err.message).toMatch(
      /no model\.safetensors at revision main.*pytorch_model\.bin checkpoints are not supported/,
    );
    expect(readdirSync(models)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a missing config.json names the file and HTTP 404', async () => {
    const f = files();
    delete f['config.json'];
    server = await startHubServer(REPO, f);
    const { models } = dataFolder();
    const err = await fetchError(fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models }));
    expect(err.message).toBe(`${REPO} at revision main has no file config.json (HTTP 404)`);
  });

  it('an unknown repository and an unknown revision', async () => {
    server = await startHubServer(REPO, files());
    const { models } = dataFolder();
    const repoErr = await fetchError(
      fetchFromHub('someone/nothing', { ...fast, endpoint: server.endpoint, modelsDir: models }),
    );
    expect(repoErr.message).toMatch(/Repository someone\/nothing not found/);
    const revErr = await fetchError(
      fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models, revision: 'v9' }),
    );
    expect(revErr.message).toMatch(/Revision v9 not found/);
  });

  it('a gated repository without a token says to set HF_TOKEN', async () => {
    server = await startHubServer(REPO, files(), { token: 'secret' });
    const { models } = dataFolder();
    const err = await fetchError(fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models }));
    expect(err.message).toMatch(/denied.*HF_TOKEN/);
  });

  it('takes the token from HF_TOKEN when none is given', async () => {
    server = await startHubServer(REPO, files(), { token: 'from-env' });
    const { models } = dataFolder();
    const saved = process.env['HF_TOKEN'];
    process.env['HF_TOKEN'] = 'from-env';
    try {
      const { token: _none, ...noToken } = fast;
      await fetchFromHub(REPO, { ...noToken, endpoint: server.endpoint, modelsDir: models, id: 'env-token' });
    } finally {
      if (saved === undefined) delete process.env['HF_TOKEN'];
      else process.env['HF_TOKEN'] = saved;
    }
    expect(server.requests.some((r) => r.authorization === 'Bearer from-env')).toBe(true);
    await loadPackage(join(models, 'env-token'));
  });

  it('a checksum mismatch is rejected and leaves nothing under models/ or tmp/', async () => {
    server = await startHubServer(REPO, files(), { wrongSha256: { 'model.safetensors': 'ab'.repeat(32) } });
    const { models, tmp } = dataFolder();
    const err = await fetchError(fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models }));
    expect(err.code).toBe('bad_input');
    expect(err.message).toContain(`Checksum mismatch for ${REPO}/model.safetensors`);
    expect(err.message).toContain('ab'.repeat(32));
    expect(readdirSync(models)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a dead endpoint fails with a clear error after its retries, keeping nothing under models/', async () => {
    const endpoint = await deadEndpoint();
    const { models } = dataFolder();
    const err = await fetchError(fetchFromHub(REPO, { ...fast, endpoint, modelsDir: models, attempts: 3 }));
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain(`Downloading config.json from ${endpoint} failed after 3 attempts`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(readdirSync(models)).toEqual([]);
  });

  it('an endpoint that never answers times out instead of hanging', async () => {
    const silent = await silentEndpoint();
    try {
      const { models } = dataFolder();
      const err = await fetchError(
        fetchFromHub(REPO, { ...fast, endpoint: silent.endpoint, modelsDir: models, attempts: 2, stallTimeoutMs: 300 }),
      );
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/no data for 300 ms/);
    } finally {
      await silent.close();
    }
  });

  it('a cancelled download stops with a cancelled error', async () => {
    server = await startHubServer(REPO, files());
    const { models } = dataFolder();
    const controller = new AbortController();
    const err = await fetchError(
      fetchFromHub(REPO, {
        ...fast,
        endpoint: server.endpoint,
        modelsDir: models,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.file === 'model.safetensors' && p.bytes > 0) controller.abort();
        },
      }),
    );
    expect(err.code).toBe('cancelled');
    expect(readdirSync(models)).toEqual([]);
  });

  it('refuses bad repo ids, and an id that already exists before downloading anything', async () => {
    server = await startHubServer(REPO, files());
    const { models } = dataFolder();
    await expect(
      fetchFromHub('../etc/passwd', { ...fast, endpoint: server.endpoint, modelsDir: models }),
    ).rejects.toThrow(/not a Hugging Face repository id/);
    mkdirSync(join(models, 'taken'));
    writeFileSync(join(models, 'taken', 'x'), '');
    await expect(
      fetchFromHub(REPO, { ...fast, endpoint: server.endpoint, modelsDir: models, id: 'taken' }),
    ).rejects.toThrow(/"taken" already exists/);
    expect(server.requests).toEqual([]);
    expect(existsSync(join(models, 'taken', 'x'))).toBe(true);
  });

  it('derives the default id from the repository name', () => {
    expect(defaultIdFor('openai/clip-vit-base-patch32')).toBe('clip-vit-base-patch32');
    expect(defaultIdFor('Someone/My CLIP+v2')).toBe('my-clip-v2');
  });
});
