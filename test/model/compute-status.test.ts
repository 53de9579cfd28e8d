/**
 * `engine.status` reports without starting anything: no onnxruntime provider in use and tfjs not initialised until
 * something used them, then the provider of the open sessions and tfjs's backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { closeAllClipSessions, openClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { initTfjs } from '../../src/main/engine/model/tfjs-backend';

let root: string;
let engine: Engine;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vip-compute-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
});
afterAll(async () => {
  await closeAllClipSessions();
  engine.close();
  rmSync(root, { recursive: true, force: true });
});

describe('engine.status', () => {
  it('answers before anything ran, naming what would be used', async () => {
    const s = await engine.call('engine.status', {});
    expect(s.cpuCount).toBeGreaterThan(0);
    expect(s.onnx.runtime).toMatch(/^onnxruntime-node \d+\.\d+/);
    expect(s.onnx.available.at(-1)).toBe('cpu');
    expect(s.onnx.inUse).toEqual([]);
    expect(s.tfjs.initialised).toBeNull();
    expect(s.tfjs.wouldTry).toContain('@tensorflow/tfjs-backend-wasm');
    expect(s.trainingText).toEqual({
      choice: 'auto',
      choices: ['auto', 'onnx-vjp', 'tfjs'],
      lastPicked: null,
      lastReason: null,
      lastVersionId: null,
    });
  });

  it('reports the provider of open sessions and the initialised tfjs backend', async () => {
    const pkg = await createDemoPackage(join(root, 'data', 'models'), { id: 'demo', preset: 'tiny', seed: 0 });
    const sessions = await openClipSessions(pkg);
    const tf = await initTfjs();
    const s = await engine.call('engine.status', {});
    expect(s.onnx.inUse).toEqual([sessions.executionProvider]);
    expect(s.tfjs.initialised).toBe(tf.backend);
    expect(s.tfjs.provider).toBe(tf.provider);
  }, 120_000);
});
