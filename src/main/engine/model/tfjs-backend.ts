/**
 * Picks the tfjs backend once per process: native TensorFlow (GPU, then CPU) when its optional package is installed and
 * loads, otherwise WebAssembly (XNNPACK, SIMD), and the pure-JS `cpu` backend as the last resort.
 * `VIP_TFJS_BACKEND=node|wasm|cpu` forces one (tests, benchmarks); a forced backend that cannot start is an error rather
 * than a silent fallback, so a benchmark never measures the wrong thing.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { VipError, badInput } from '@shared/errors';
// tf.grad needs the kernels' gradients, which tfjs-core does not register by itself under Node.
import './tfjs-gradients';

export type TfjsBackendChoice = 'node' | 'wasm' | 'cpu';

export interface TfjsBackendInfo {
  /** tfjs's own backend name: `tensorflow` (tfjs-node or tfjs-node-gpu), `wasm` or `cpu`. */
  backend: string;
  /** Which package provided it, for logs and the About box. */
  provider:
    | '@tensorflow/tfjs-node-gpu'
    | '@tensorflow/tfjs-node'
    | '@tensorflow/tfjs-backend-wasm'
    | '@tensorflow/tfjs-backend-cpu';
  /** wasm only: SIMD in use. tfjs disables wasm threads under Node (tfjs issue 3830), so it always runs on one thread. */
  simd?: boolean;
}

const nativePackages = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

let chosen: Promise<TfjsBackendInfo> | undefined;
/** The answer of `chosen` once it settled (for status reports that must not start tfjs themselves). */
let settled: TfjsBackendInfo | undefined;

/** Initialises tfjs once; later calls return the first call's answer. */
export function initTfjs(): Promise<TfjsBackendInfo> {
  // Through a promise so that a bad override rejects like every other failure instead of throwing synchronously.
  chosen ??= Promise.resolve()
    .then(() => pickBackend(readOverride()))
    .then((info) => (settled = info));
  return chosen;
}

export interface TfjsBackendStatus {
  /** The backend this process initialised, or null when nothing here has used tfjs yet. */
  initialised: TfjsBackendInfo | null;
  /** VIP_TFJS_BACKEND when set (valid or not). */
  forced: string | null;
  /** The packages initTfjs would try, in order, as far as can be told without loading them. */
  wouldTry: TfjsBackendInfo['provider'][];
}

/**
 * What tfjs runs on here, without initialising it: starting a native backend just to answer would load TensorFlow
 * (hundreds of MB) into the process. A native package counts when it resolves; whether it loads is only known by trying.
 */
export function tfjsBackendStatus(): TfjsBackendStatus {
  const forced = process.env['VIP_TFJS_BACKEND']?.trim().toLowerCase() || null;
  const require = createRequire(import.meta.url);
  const resolvable = (name: string): boolean => {
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  };
  const native = nativePackages.filter(resolvable);
  const wouldTry: TfjsBackendInfo['provider'][] =
    forced === 'cpu'
      ? ['@tensorflow/tfjs-backend-cpu']
      : forced === 'wasm'
        ? ['@tensorflow/tfjs-backend-wasm']
        : forced === 'node'
          ? [...native]
          : [...native, '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'];
  return { initialised: settled ?? null, forced, wouldTry };
}

function readOverride(): TfjsBackendChoice | undefined {
  const raw = process.env['VIP_TFJS_BACKEND']?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'node' || raw === 'wasm' || raw === 'cpu') return raw;
  throw badInput(`VIP_TFJS_BACKEND must be one of node, wasm, cpu (got "${raw}")`);
}

async function pickBackend(forced: TfjsBackendChoice | undefined): Promise<TfjsBackendInfo> {
  if (forced === undefined || forced === 'node') {
    const native = await tryNative();
    if (native !== undefined) return native;
    if (forced === 'node') {
      throw new VipError(
        'unavailable',
        'VIP_TFJS_BACKEND=node but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads',
      );
    }
  }
  if (forced === undefined || forced === 'wasm') {
    const wasm = await tryWasm();
    if (wasm !== undefined) return wasm;
    if (forced === 'wasm')
      throw new VipError('unavailable', 'VIP_TFJS_BACKEND=wasm but the tfjs WebAssembly backend did not start');
  }
  if (!(await tf.setBackend('cpu'))) throw new VipError('internal', 'the tfjs cpu backend did not start');
  await tf.ready();
  return { backend: 'cpu', provider: '@tensorflow/tfjs-backend-cpu' };
}

async function tryNative(): Promise<TfjsBackendInfo | undefined> {
  for (const name of nativePackages) {
    try {
      // A variable specifier keeps bundlers and tsc from demanding a package that is optional and usually absent.
      const specifier: string = name;
      await import(/* @vite-ignore */ specifier);
      // The package registers `tensorflow` in its own tfjs-core; if npm did not dedupe to ours, it is of no use here.
      if (!tf.findBackendFactory('tensorflow')) continue;
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return { backend: 'tensorflow', provider: name };
      }
    } catch {
      // Not installed, or its native library does not load on this machine (CUDA missing, ABI mismatch): try the next.
    }
  }
  return undefined;
}

async function tryWasm(): Promise<TfjsBackendInfo | undefined> {
  try {
    // Under Node the wasm binaries are read from disk; point tfjs at the package's own dist folder.
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    setWasmPaths(`${dist}/`);
    if (!(await tf.setBackend('wasm'))) return undefined;
    await tf.ready();
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    return { backend: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', simd };
  } catch {
    return undefined;
  }
}
