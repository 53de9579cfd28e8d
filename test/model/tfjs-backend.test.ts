import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { initTfjs as InitTfjs } from '../../src/main/engine/model/tfjs-backend';

const require = createRequire(import.meta.url);
function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

/** A fresh copy of the module, so each test sees its own once-per-process choice. */
async function freshInit(override: string | undefined): Promise<typeof InitTfjs> {
  if (override === undefined) delete process.env['VIP_TFJS_BACKEND'];
  else process.env['VIP_TFJS_BACKEND'] = override;
  vi.resetModules();
  return (await import('../../src/main/engine/model/tfjs-backend')).initTfjs;
}

afterEach(() => {
  delete process.env['VIP_TFJS_BACKEND'];
});

async function matMulWorks(): Promise<void> {
  const y = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]));
  expect(Array.from(await y.data())).toEqual([19, 22, 43, 50]);
}

describe('initTfjs', () => {
  it('prefers native TensorFlow, else WebAssembly with SIMD, and answers the same on every call', async () => {
    const initTfjs = await freshInit(undefined);
    const info = await initTfjs();
    expect(tf.getBackend()).toBe(info.backend);
    if (nativeInstalled) {
      expect(['tensorflow', 'wasm']).toContain(info.backend);
    } else {
      expect(info).toEqual({ backend: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', simd: true });
    }
    expect(await initTfjs()).toBe(info);
    await matMulWorks();
  });

  it('honours VIP_TFJS_BACKEND=cpu and =wasm', async () => {
    const cpu = await (await freshInit('cpu'))();
    expect(cpu).toEqual({ backend: 'cpu', provider: '@tensorflow/tfjs-backend-cpu' });
    expect(tf.getBackend()).toBe('cpu');
    await matMulWorks();
    const wasm = await (await freshInit(' WASM '))();
    expect(wasm.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await matMulWorks();
  });

  it('fails clearly when VIP_TFJS_BACKEND=node cannot be honoured', async () => {
    const attempt = (await freshInit('node'))();
    if (nativeInstalled) {
      expect((await attempt).backend).toBe('tensorflow');
    } else {
      await expect(attempt).rejects.toThrow(/VIP_TFJS_BACKEND=node but neither/);
      await expect(attempt).rejects.toMatchObject({ name: 'VipError', code: 'unavailable' });
    }
  });

  it('rejects an unknown VIP_TFJS_BACKEND as bad input', async () => {
    const initTfjs = await freshInit('webgl');
    const attempt = initTfjs();
    await expect(attempt).rejects.toThrow(/VIP_TFJS_BACKEND must be one of node, wasm, cpu \(got "webgl"\)/);
    await expect(attempt).rejects.toMatchObject({ code: 'bad_input' });
  });
});
