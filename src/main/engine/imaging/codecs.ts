/**
 * The compressed-frame decoders: dcmjs-codecs' WebAssembly build of libjpeg-turbo (JPEG baseline, extended, lossless),
 * CharLS (JPEG-LS), OpenJPEG (JPEG 2000), OpenJPH (HTJ2K), libjxl and its RLE decoder. Loaded once, on first use.
 *
 * The .wasm file is located with Node's resolver from this module, which works from the sources (vitest), the
 * electron-vite bundle (out/main, dependencies are external) and `vip serve`. Packaging the Electron app must ship
 * node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm (Electron's fs reads it from inside an asar archive; list
 * it under asarUnpack if the archive is ever read by something other than Node's fs).
 */
import { createRequire } from 'node:module';
import { badInput, VipError } from '@shared/errors';
import type { PixelEncoding, TransferSyntax } from './transfer-syntax';

type CodecsModule = typeof import('dcmjs-codecs');
type NativeCodecs = CodecsModule['NativeCodecs'];
type CodecContext = InstanceType<CodecsModule['Context']>;

const requireHere = createRequire(import.meta.url);
let loading: Promise<CodecsModule> | null = null;

export function codecWasmPath(): string {
  return requireHere.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm');
}

async function loadCodecs(): Promise<CodecsModule> {
  const mod = requireHere('dcmjs-codecs') as CodecsModule;
  // Its logger writes decoder warnings to the console; messages that matter come back as exceptions.
  mod.log.setLevel('silent');
  await mod.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: codecWasmPath() });
  return mod;
}

async function codecs(): Promise<CodecsModule> {
  loading ??= loadCodecs();
  try {
    const mod = await loading;
    // The module is process-wide: whoever released it last, it is loaded again here.
    if (!mod.NativeCodecs.isInitialized()) {
      loading = loadCodecs();
      return await loading;
    }
    return mod;
  } catch (err) {
    loading = null;
    throw new VipError(
      'internal',
      'the DICOM image decoders (dcmjs-codecs WebAssembly) could not be loaded',
      err instanceof Error ? err.message : String(err),
    );
  }
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

type Decoder = (n: NativeCodecs, c: CodecContext, params: Record<string, unknown>) => CodecContext;

const DECODERS: Record<Exclude<PixelEncoding, 'native'>, Decoder> = {
  rle: (n, c) => n.decodeRle(c),
  jpeg: (n, c, p) => n.decodeJpeg(c, p),
  'jpeg-ls': (n, c) => n.decodeJpegLs(c),
  jpeg2000: (n, c) => n.decodeJpeg2000(c),
  htj2k: (n, c) => n.decodeHtJpeg2000(c),
  'jpeg-xl': (n, c) => n.decodeJpegXl(c),
};

/**
 * Decodes one compressed frame. A corrupt bitstream becomes a one-line badInput and reloads the WebAssembly module,
 * so the next file starts from a clean decoder.
 */
export async function decodeCompressedFrame(
  syntax: TransferSyntax,
  encoded: Uint8Array,
  g: FrameGeometry,
  frameLabel: string,
): Promise<DecodedFrame> {
  if (syntax.encoding === 'native') throw new VipError('internal', 'native pixel data needs no codec');
  let mod = await codecs();
  // Another frame's failure may have reloaded the module while this call waited; from here on nothing awaits.
  while (!mod.NativeCodecs.isInitialized()) mod = await codecs();
  const colour = g.samplesPerPixel === 3;
  const context = new mod.Context({
    width: g.width,
    height: g.height,
    bitsAllocated: g.bitsAllocated,
    bitsStored: g.bitsStored,
    samplesPerPixel: g.samplesPerPixel,
    pixelRepresentation: g.pixelRepresentation,
    planarConfiguration: 0,
    photometricInterpretation: g.photometricInterpretation,
    // A copy: the codec may keep or modify its input.
    encodedBuffer: Uint8Array.from(encoded),
  });
  const params = syntax.jpegColourTransform && colour ? { convertColorspaceToRgb: true } : {};
  let decoded: Uint8Array | undefined;
  try {
    decoded = DECODERS[syntax.encoding](mod.NativeCodecs, context, params).getDecodedBuffer();
  } catch (err) {
    // After any failure the decoder's WebAssembly heap may be left inconsistent (seen: a later, valid JPEG 2000
    // frame then never finished decoding), so the module is reloaded before the next frame.
    resetCodecs(mod);
    throw badInput(`cannot decode the ${syntax.name} pixel data of ${frameLabel}: ${codecMessage(err)}`);
  }
  const expected = g.width * g.height * g.samplesPerPixel * Math.ceil(g.bitsAllocated / 8);
  if (!decoded || decoded.length < expected) {
    throw badInput(
      `the ${syntax.name} pixel data of ${frameLabel} decodes to ${decoded?.length ?? 0} bytes; ` +
        `Rows x Columns x samples needs ${expected}`,
    );
  }
  return {
    data: decoded.slice(0, expected),
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

function resetCodecs(mod: CodecsModule): void {
  try {
    mod.NativeCodecs.release();
  } catch {
    // Already unusable; the next call loads it again.
  }
  loading = null;
}

function codecMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim() || 'decoder failed';
}
