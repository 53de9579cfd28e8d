/**
 * Every transfer syntax decodes to the values that were written: two-frame files (the second frame is checked, so
 * frame lookup in encapsulated data is exercised too) for 16-bit (12 stored), signed 16-bit, 8-bit grayscale and 8-bit
 * RGB, compressed with dcmjs-codecs' encoders. Lossless syntaxes must match exactly; lossy ones within the tolerance
 * stated in each case (the maximum absolute error per sample).
 */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/main/engine/imaging/decode';
import type { DecodedImage } from '../../src/main/engine/imaging/decoded-image';
import { encodeFrame, loadEncoders, type Encoder } from './helpers/codec-encode';
import { TS, writeDicom } from './helpers/dicom-file';
import { imageElements, nativePixelData, pattern, rgbPattern, sampleBytes } from './helpers/image-spec';
import { flatBlockJpeg, flatBlockPixels } from './helpers/jpeg-extended';

const W = 24;
const H = 16;

interface Kind {
  name: string;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed: boolean;
  spp: 1 | 3;
  frames: [number[], number[]];
}

const kinds: Kind[] = [
  {
    name: '16-bit (12 stored)',
    bitsAllocated: 16,
    bitsStored: 12,
    signed: false,
    spp: 1,
    frames: [pattern(W, H, 0, 4095, 1), pattern(W, H, 0, 4095, 2)],
  },
  {
    name: 'signed 16-bit',
    bitsAllocated: 16,
    bitsStored: 16,
    signed: true,
    spp: 1,
    frames: [pattern(W, H, -2048, 3071, 3), pattern(W, H, -1024, 2000, 4)],
  },
  {
    name: '8-bit',
    bitsAllocated: 8,
    bitsStored: 8,
    signed: false,
    spp: 1,
    frames: [pattern(W, H, 0, 255, 5), pattern(W, H, 0, 255, 6)],
  },
  {
    name: 'RGB 8-bit',
    bitsAllocated: 8,
    bitsStored: 8,
    signed: false,
    spp: 3,
    frames: [rgbPattern(W, H), rgbPattern(W, H).map((v) => 255 - v)],
  },
];

const kind = (name: string): Kind => kinds.find((k) => k.name === name)!;

function spec(k: Kind, photometric?: string) {
  return {
    rows: H,
    columns: W,
    frames: 2,
    samplesPerPixel: k.spp,
    bitsAllocated: k.bitsAllocated,
    bitsStored: k.bitsStored,
    pixelRepresentation: (k.signed ? 1 : 0) as 0 | 1,
    ...(photometric ? { photometric } : {}),
  };
}

function nativeFile(k: Kind, syntax: string): Buffer {
  const pixels = [...k.frames[0], ...k.frames[1]];
  return writeDicom(imageElements({ ...spec(k), pixelData: nativePixelData(pixels, k.bitsAllocated) }), { syntax });
}

async function compressedFile(
  k: Kind,
  syntax: string,
  encoder: Encoder,
  params: Record<string, unknown> = {},
  photometric?: string,
): Promise<Buffer> {
  const format = {
    width: W,
    height: H,
    bitsAllocated: k.bitsAllocated,
    bitsStored: k.bitsStored,
    samplesPerPixel: k.spp,
    pixelRepresentation: k.signed ? 1 : 0,
    photometric: k.spp === 3 ? 'RGB' : 'MONOCHROME2',
  };
  const frames = await Promise.all(
    k.frames.map((f) => encodeFrame(encoder, sampleBytes(f, k.bitsAllocated), format, params)),
  );
  return writeDicom(imageElements(spec(k, photometric)), { syntax, encapsulated: { frames } });
}

/** Decoded samples: modality values (no rescale in these files, so the stored values) or RGB bytes. */
function samples(img: DecodedImage): number[] {
  return img.kind === 'gray' ? Array.from(img.values) : Array.from(img.data);
}

function maxError(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

async function expectDecodes(file: Uint8Array, k: Kind, tolerance = 0): Promise<void> {
  const second = await decodeImage(file, 1);
  expect([second.width, second.height, second.kind]).toEqual([W, H, k.spp === 3 ? 'rgb' : 'gray']);
  if (tolerance === 0) expect(samples(second)).toEqual(k.frames[1]);
  else expect(maxError(samples(second), k.frames[1])).toBeLessThanOrEqual(tolerance);
  const first = await decodeImage(file, 0);
  if (tolerance === 0) expect(samples(first)).toEqual(k.frames[0]);
  else expect(maxError(samples(first), k.frames[0])).toBeLessThanOrEqual(tolerance);
}

describe('native transfer syntaxes decode exactly', () => {
  const syntaxes = [
    ['Implicit VR Little Endian', TS.implicitLE],
    ['Explicit VR Little Endian', TS.explicitLE],
    ['Explicit VR Big Endian', TS.explicitBE],
    ['Deflated Explicit VR Little Endian', TS.deflatedLE],
  ] as const;
  for (const [label, syntax] of syntaxes) {
    for (const k of kinds) {
      it(`${label}, ${k.name}`, async () => {
        await expectDecodes(nativeFile(k, syntax), k);
      });
    }
  }
});

describe('lossless compressed syntaxes decode exactly', () => {
  const lossless: [string, string, Encoder, Record<string, unknown>, string[]][] = [
    ['RLE Lossless', TS.rle, 'rle', {}, kinds.map((k) => k.name)],
    ['JPEG Lossless SV1', TS.jpegLosslessSV1, 'jpeg-lossless', {}, kinds.map((k) => k.name)],
    // Process 14 with another predictor than SV1's first-order one (6: Rb + (Ra - Rc) / 2).
    ['JPEG Lossless, predictor 6', TS.jpegLossless, 'jpeg-lossless', { predictor: 6 }, kinds.map((k) => k.name)],
    ['JPEG-LS Lossless', TS.jpegLsLossless, 'jpeg-ls', {}, kinds.map((k) => k.name)],
    ['JPEG 2000 Lossless', TS.j2kLossless, 'j2k', {}, kinds.map((k) => k.name)],
    ['HTJ2K Lossless', TS.htj2kLossless, 'htj2k', {}, ['16-bit (12 stored)', '8-bit', 'RGB 8-bit']],
    ['JPEG XL Lossless', TS.jpegXlLossless, 'jpeg-xl', {}, ['16-bit (12 stored)', '8-bit', 'RGB 8-bit']],
  ];
  for (const [label, syntax, encoder, params, names] of lossless) {
    for (const name of names) {
      it(`${label}, ${name}`, async () => {
        const k = kind(name);
        await expectDecodes(await compressedFile(k, syntax, encoder, params), k);
      });
    }
  }
});

it('RLE colour reads the same whatever PlanarConfiguration says (RLE segments are always planes)', async () => {
  const k = kind('RGB 8-bit');
  const format = {
    width: W,
    height: H,
    bitsAllocated: 8,
    bitsStored: 8,
    samplesPerPixel: 3,
    pixelRepresentation: 0,
    photometric: 'RGB',
  };
  const frames = await Promise.all(k.frames.map((f) => encodeFrame('rle', sampleBytes(f, 8), format)));
  const file = writeDicom(imageElements({ ...spec(k), planarConfiguration: 1 }), {
    syntax: TS.rle,
    encapsulated: { frames },
  });
  await expectDecodes(file, k);
});

describe('lossy compressed syntaxes decode within their tolerance', () => {
  it('JPEG Baseline, 8-bit grayscale at quality 95: within 12 of the original', async () => {
    const k = kind('8-bit');
    await expectDecodes(await compressedFile(k, TS.jpegBaseline, 'jpeg-baseline'), k, 12);
  });

  it('JPEG Baseline, colour as YBR_FULL_422 (4:2:2 chroma): RGB within 24 of the original', async () => {
    // Chroma subsampling halves colour resolution; the pattern's colour changes by up to ~11 per pixel horizontally.
    const k = kind('RGB 8-bit');
    const file = await compressedFile(k, TS.jpegBaseline, 'jpeg-baseline', { sampleFactor: 1 }, 'YBR_FULL_422');
    await expectDecodes(file, k, 24);
  });

  it('JPEG-LS Near-Lossless with NEAR = 2: within 2 of the original (the codec bound)', async () => {
    for (const name of ['16-bit (12 stored)', '8-bit', 'RGB 8-bit']) {
      const k = kind(name);
      await expectDecodes(
        await compressedFile(k, TS.jpegLsNearLossless, 'jpeg-ls-near', { allowedLossyError: 2 }),
        k,
        2,
      );
    }
  });

  it('JPEG 2000 (irreversible, 3:1 on a smooth 12-bit image, 2:1 on RGB): within 2% of the full scale', async () => {
    // These images are tiny, so the codestream header takes much of the budget: higher ratios leave no room for data.
    const gray: Kind = {
      ...kind('16-bit (12 stored)'),
      frames: [pattern(W, H, 0, 4095, 7, 0.01), pattern(W, H, 0, 4095, 8, 0.01)],
    };
    await expectDecodes(await compressedFile(gray, TS.j2k, 'j2k-lossy', { rate: 3 }), gray, Math.round(0.02 * 4095));
    const rgb = kind('RGB 8-bit');
    const colour = await compressedFile(rgb, TS.j2k, 'j2k-lossy', { rate: 2 }, 'YBR_ICT');
    await expectDecodes(colour, rgb, Math.round(0.02 * 255));
  });

  it('JPEG Extended, 12-bit (SOF1): flat blocks decode exactly', async () => {
    // Only DC coefficients with quantiser 1: the inverse DCT of a flat block is exact, so no tolerance is needed.
    const blocksA = [
      [0, 4095, 2048],
      [100, 3000, 1234],
    ];
    const blocksB = [
      [17, 999, 4000],
      [2222, 5, 3333],
    ];
    const k: Kind = {
      name: '12-bit',
      bitsAllocated: 16,
      bitsStored: 12,
      signed: false,
      spp: 1,
      frames: [flatBlockPixels(blocksA), flatBlockPixels(blocksB)],
    };
    const file = writeDicom(imageElements({ ...spec(k), rows: 16, columns: 24 }), {
      syntax: TS.jpegExtended,
      encapsulated: { frames: [flatBlockJpeg(blocksA, 12), flatBlockJpeg(blocksB, 12)] },
    });
    await expectDecodes(file, k);
  });

  it('JPEG Extended, 8-bit (a baseline stream is also a valid process 2 stream): within 12', async () => {
    const k = kind('8-bit');
    await expectDecodes(await compressedFile(k, TS.jpegExtended, 'jpeg-baseline'), k, 12);
  });
});

describe('files written by another implementation (dcmjs Transcoder) decode the same', () => {
  // dcmjs writes its own meta header, offset tables and element order; only the pixels are compared.
  const cases: [string, string, string, number][] = [
    ['Implicit VR Little Endian', TS.implicitLE, '16-bit (12 stored)', 0],
    ['Explicit VR Big Endian', TS.explicitBE, 'signed 16-bit', 0],
    ['RLE Lossless', TS.rle, 'RGB 8-bit', 0],
    ['JPEG Lossless SV1', TS.jpegLosslessSV1, '16-bit (12 stored)', 0],
    ['JPEG-LS Lossless', TS.jpegLsLossless, 'signed 16-bit', 0],
    ['JPEG 2000 Lossless', TS.j2kLossless, 'RGB 8-bit', 0],
    ['JPEG-LS Near-Lossless (Transcoder defaults), within 10', TS.jpegLsNearLossless, '8-bit', 10],
    ['JPEG Baseline (Transcoder defaults, a noisy image), within 40', TS.jpegBaseline, '8-bit', 40],
  ];
  for (const [label, syntax, name, tolerance] of cases) {
    it(`${label}, ${name}`, async () => {
      const { Transcoder } = await loadEncoders();
      const k = kind(name);
      const source = nativeFile(k, TS.explicitLE);
      const transcoder = new Transcoder(Uint8Array.from(source).buffer);
      transcoder.transcode(syntax);
      await expectDecodes(new Uint8Array(transcoder.getDicomPart10()), k, tolerance);
    });
  }
});
