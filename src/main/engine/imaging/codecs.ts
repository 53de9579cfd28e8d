/**
 * The compressed-frame decoders: dcmjs-codecs' WebAssembly build of libjpeg-turbo (JPEG baseline, extended, lossless),
 * CharLS (JPEG-LS), OpenJPEG (JPEG 2000), OpenJPH (HTJ2K), libjxl and its RLE decoder, run in a worker thread:
 *   - a long decode (seconds for a large JPEG 2000 frame) does not block the engine's event loop;
 *   - a decoder that never finishes is stopped after a time limit, and one that crashes takes only its thread down;
 *   - after any failure the thread is replaced, so the next frame starts from a clean decoder (a corrupt frame was
 *     seen to leave OpenJPEG's state such that a later valid frame never finished).
 * Frames are decoded one at a time (the WebAssembly module is single-threaded anyway).
 *
 * The package and its .wasm are located with Node's resolver from this module, which works from the sources (vitest),
 * the electron-vite bundle (out/main, dependencies are external) and `vip serve`. Packaging the Electron app must ship
 * node_modules/dcmjs-codecs (with build/dcmjs-native-codecs.wasm) outside the asar archive or list it under
 * asarUnpack, since the worker loads both by absolute path.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { badInput, VipError } from '@shared/errors';
import { CODEC_WORKER_SOURCE } from './codec-worker-script';
import type { PixelEncoding, TransferSyntax } from './transfer-syntax';

// Not named `require`: the bundler declares its own in shared chunks.
const nodeRequire = createRequire(import.meta.url);

export function codecWasmPath(): string {
  return nodeRequire.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm');
}

/** Time allowed for one frame: generous, since this machine may be busy; a hang is what it guards against. */
function decodeTimeLimitMs(pixels: number): number {
  const override = Number(process.env['VIP_DECODE_TIMEOUT_MS']);
  if (Number.isFinite(override) && override > 0) return override;
  return 60_000 + Math.ceil(pixels / 1e6) * 20_000;
}

/** What the decoder is told about the frame: the file's attributes. */
export interface FrameGeometry {
  width: number;
  height: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
}

export interface DecodedFrame {
  /** Samples in native little-endian layout, interleaved (planar configuration 0). */
  data: Uint8Array;
  /** JPEG colour streams come out as RGB, JPEG 2000 colour-transformed streams (YBR_RCT/YBR_ICT) too. */
  photometricInterpretation: string;
}

interface Reply {
  id: number;
  decoded?: Uint8Array;
  error?: string;
}

let worker: Worker | null = null;
let nextId = 1;
let queue: Promise<unknown> = Promise.resolve();

function startWorker(): Worker {
  const w = new Worker(CODEC_WORKER_SOURCE, {
    eval: true,
    workerData: { modulePath: nodeRequire.resolve('dcmjs-codecs'), wasmPath: codecWasmPath() },
  });
  // Idle, the thread must not keep a CLI process alive; it is referenced while a frame is being decoded.
  w.unref();
  return w;
}

function stopWorker(w: Worker): void {
  if (worker === w) worker = null;
  void w.terminate();
}

/** Runs one decode job on the thread; rejects with the decoder's message, a crash, or the time limit. */
function runJob(job: Record<string, unknown>, transfer: ArrayBuffer[], limitMs: number): Promise<Uint8Array> {
  const w = (worker ??= startWorker());
  const id = nextId++;
  return new Promise<Uint8Array>((resolve, reject) => {
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      w.unref();
      outcome();
    };
    const onMessage = (reply: Reply) => {
      if (reply.id !== id) return;
      if (reply.error !== undefined) {
        stopWorker(w);
        finish(() => reject(new DecodeError(reply.error ?? 'decoder failed')));
      } else finish(() => resolve(reply.decoded ?? new Uint8Array(0)));
    };
    const onError = (err: Error) => {
      stopWorker(w);
      finish(() => reject(new DecodeError(`the decoder crashed (${err.message})`)));
    };
    const onExit = (code: number) => {
      if (worker === w) worker = null;
      finish(() => reject(new DecodeError(`the decoder stopped (exit code ${code})`)));
    };
    const timer = setTimeout(() => {
      stopWorker(w);
      finish(() => reject(new DecodeError(`the decoder did not finish within ${seconds(limitMs)}`)));
    }, limitMs);
    w.ref();
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage({ ...job, id }, transfer);
  });
}

class DecodeError extends Error {}

/** Decodes one compressed frame; every failure is a one-line badInput naming the syntax and the frame. */
export async function decodeCompressedFrame(
  syntax: TransferSyntax,
  encoded: Uint8Array,
  g: FrameGeometry,
  frameLabel: string,
): Promise<DecodedFrame> {
  if (syntax.encoding === 'native') throw new VipError('internal', 'native pixel data needs no codec');
  const encoding: Exclude<PixelEncoding, 'native'> = syntax.encoding;
  const colour = g.samplesPerPixel === 3;
  // A copy of just this frame, handed over to the thread: a view would send (and detach) the whole file's buffer.
  // Not .slice(): on a Buffer (dicom-parser's byte array) that returns a view.
  const bytes = new Uint8Array(encoded);
  const job = {
    encoding,
    params: syntax.jpegColourTransform && colour ? { convertColorspaceToRgb: true } : {},
    context: {
      width: g.width,
      height: g.height,
      bitsAllocated: g.bitsAllocated,
      bitsStored: g.bitsStored,
      samplesPerPixel: g.samplesPerPixel,
      pixelRepresentation: g.pixelRepresentation,
      planarConfiguration: 0,
      photometricInterpretation: g.photometricInterpretation,
      encodedBuffer: bytes,
    },
  };
  const run = queue.then(() => runJob(job, [bytes.buffer], decodeTimeLimitMs(g.width * g.height)));
  queue = run.catch(() => undefined);
  let decoded: Uint8Array;
  try {
    decoded = await run;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw badInput(`cannot decode the ${syntax.name} pixel data of ${frameLabel}: ${firstLine(err.message)}`);
  }
  const expected = g.width * g.height * g.samplesPerPixel * Math.ceil(g.bitsAllocated / 8);
  if (decoded.length < expected) {
    throw badInput(
      `the ${syntax.name} pixel data of ${frameLabel} decodes to ${decoded.length} bytes; ` +
        `Rows x Columns x samples needs ${expected}`,
    );
  }
  return {
    data: decoded.length === expected ? decoded : decoded.subarray(0, expected),
    photometricInterpretation: decodedPhotometric(syntax, g.photometricInterpretation, colour),
  };
}

function decodedPhotometric(syntax: TransferSyntax, pi: string, colour: boolean): string {
  if (!colour) return pi;
  if (syntax.jpegColourTransform) return 'RGB';
  if ((syntax.encoding === 'jpeg2000' || syntax.encoding === 'htj2k') && (pi === 'YBR_RCT' || pi === 'YBR_ICT')) {
    return 'RGB';
  }
  return pi;
}

const seconds = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

const firstLine = (text: string): string => (text.split('\n')[0] ?? '').trim() || 'decoder failed';
