/**
 * The memory secret store (the CLI's and `vip serve`'s: seeded from VIP_LLM_API_KEY, replaceable, removable), redaction,
 * and the CLIP text tower as the phrase embedder for near duplicates (unit vectors; the matcher's cosine is theirs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage, type ModelPackage } from '../../src/main/engine/model/package';
import { clipTextEmbedder } from '../../src/main/engine/symptoms/clip-text-embedder';
import { PhraseMatcher } from '../../src/main/engine/symptoms/phrase-matching';
import {
  installSecretStore,
  LLM_API_KEY,
  MemorySecretStore,
  redact,
  secretStore,
} from '../../src/main/engine/symptoms/secret-store';

describe('secret store', () => {
  it('starts with the environment key, and can replace or forget it', () => {
    const store = new MemorySecretStore({ VIP_LLM_API_KEY: '  sk-from-env  ' });
    expect(store.get(LLM_API_KEY)).toBe('sk-from-env');
    store.set(LLM_API_KEY, 'sk-other');
    expect(store.get(LLM_API_KEY)).toBe('sk-other');
    store.set(LLM_API_KEY, ' ');
    expect(store.get(LLM_API_KEY)).toBeNull();
    expect(new MemorySecretStore({}).get(LLM_API_KEY)).toBeNull();
    expect(store.info().persistent).toBe(false);
  });

  it('the installed store is the one the engine uses', () => {
    const mine = new MemorySecretStore({});
    installSecretStore(mine);
    expect(secretStore()).toBe(mine);
  });

  it('redacts every occurrence of a secret', () => {
    expect(redact('key sk-abc123 and sk-abc123 again', 'sk-abc123')).toBe('key [API key] and [API key] again');
    expect(redact('nothing here', null)).toBe('nothing here');
  });
});

describe('CLIP text embedder', () => {
  let root: string;
  let pkg: ModelPackage;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vip-embedder-'));
    pkg = await createDemoPackage(join(root, 'models'), { id: 'demo', preset: 'tiny', seed: 0 });
  });
  afterAll(async () => {
    await closeAllClipSessions();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives unit vectors of the projection size, the same for the same text, and feeds the matcher', async () => {
    const embedder = clipTextEmbedder(pkg);
    const texts = ['white cloudy patches', 'dark clear fields', 'white cloudy patches', 'x '.repeat(200)];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(4);
    for (const v of vectors) {
      expect(v).toHaveLength(pkg.manifest.architecture.projectionDim);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    expect([...(vectors[2] ?? [])]).toEqual([...(vectors[0] ?? [])]);
    const matcher = new PhraseMatcher(embedder);
    await matcher.prepare(texts.slice(0, 2));
    const cosine = [...(vectors[0] ?? [])].reduce((s, x, i) => s + x * (vectors[1]?.[i] ?? 0), 0);
    expect(matcher.similarity(texts[0] ?? '', texts[1] ?? '').clip).toBeCloseTo(cosine, 6);
    expect(matcher.clipLabel).toBe('CLIP text tower of package "demo"');
  });
});
