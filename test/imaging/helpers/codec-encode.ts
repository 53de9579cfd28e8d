/** Compressed frames for the tests, made with dcmjs-codecs' own encoders (libjpeg-turbo, CharLS, OpenJPEG, ...). */
import { createRequire } from 'node:module';

type CodecsModule = typeof import('dcmjs-codecs');
const require = createRequire(import.meta.url);
let ready: Promise<CodecsModule> | null = null;

export function loadEncoders(): Promise<CodecsModule> {
  // The decoder under test reloads the shared module after a failure; load it again when that happened.
  const mod = require('dcmjs-codecs') as CodecsModule;
  if (ready && !mod.NativeCodecs.isInitialized()) ready = null;
  ready ??= (async () => {
    const mod = require('dcmjs-codecs') as CodecsModule;
    mod.log.setLevel('silent');
    await mod.NativeCodecs.initializeAsync({
      webAssemblyModulePathOrUrl: require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm'),
    });
    return mod;
  })();
  return ready;
}

export type Encoder =
  'rle' | 'jpeg-baseline' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg-ls-near' | 'j2k' | 'j2k-lossy' | 'htj2k' | 'jpeg-xl';

export interface FrameFormat {
  width: number;
  height: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  photometric: string;
}

/** One frame's native little-endian, interleaved samples to its compressed bitstream. */
export async function encodeFrame(
  encoder: Encoder,
  samples: Uint8Array,
  f: FrameFormat,
  params: Record<string, unknown> = {},
): Promise<Uint8Array> {
  const { NativeCodecs, Context } = await loadEncoders();
  const ctx = new Context({
    width: f.width,
    height: f.height,
    bitsAllocated: f.bitsAllocated,
    bitsStored: f.bitsStored,
    samplesPerPixel: f.samplesPerPixel,
    pixelRepresentation: f.pixelRepresentation,
    planarConfiguration: 0,
    photometricInterpretation: f.photometric,
    decodedBuffer: samples,
  });
  const encoders: Record<Encoder, () => InstanceType<CodecsModule['Context']>> = {
    rle: () => NativeCodecs.encodeRle(ctx),
    'jpeg-baseline': () => NativeCodecs.encodeJpeg(ctx, { lossy: true, quality: 95, ...params }),
    'jpeg-lossless': () => NativeCodecs.encodeJpeg(ctx, { lossy: false, ...params }),
    'jpeg-ls': () => NativeCodecs.encodeJpegLs(ctx, { lossy: false }),
    'jpeg-ls-near': () => NativeCodecs.encodeJpegLs(ctx, { lossy: true, allowedLossyError: 2, ...params }),
    j2k: () => NativeCodecs.encodeJpeg2000(ctx, { lossy: false }),
    'j2k-lossy': () => NativeCodecs.encodeJpeg2000(ctx, { lossy: true, rate: 10, ...params }),
    htj2k: () => NativeCodecs.encodeHtJpeg2000(ctx, { lossy: false }),
    'jpeg-xl': () => NativeCodecs.encodeJpegXl(ctx, { lossy: false }),
  };
  const encoded = encoders[encoder]().getEncodedBuffer();
  if (!encoded) throw new Error(`${encoder} produced nothing`);
  return Uint8Array.from(encoded);
}
