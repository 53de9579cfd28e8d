/**
 * The image pixel module per the standard: bits allocated/stored/high bit, signed pixels, rescale and the Modality
 * LUT Sequence, photometric interpretations (MONOCHROME1, RGB planar 0 and 1, YBR_FULL, YBR_FULL_422, PALETTE COLOR
 * with 8- and 16-bit tables), 1-bit pixels, and the file layouts without preamble or meta header.
 * Expected values are worked out by hand in the comments or computed with the forward formulas of PS3.3.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/main/engine/imaging/decode';
import type { DecodedImage } from '../../src/main/engine/imaging/decoded-image';
import { displayPixels } from '../../src/main/engine/imaging/display';
import { TS, writeDicom, type DicomElement } from './helpers/dicom-file';
import { imageElements, nativePixelData, type ImageSpec } from './helpers/image-spec';

const file = (spec: ImageSpec, opts: Parameters<typeof writeDicom>[1] = {}) => writeDicom(imageElements(spec), opts);

const gray = (img: DecodedImage): number[] => {
  if (img.kind !== 'gray') throw new Error('expected grayscale');
  return Array.from(img.values);
};
const rgb = (img: DecodedImage): number[] => {
  if (img.kind !== 'rgb') throw new Error('expected colour');
  return Array.from(img.data);
};

describe('stored values', () => {
  it('reads BitsStored bits ending at HighBit, ignoring the bits around them', async () => {
    // 16 allocated, 12 stored, high bit 14: value = (word >> 3) & 0xfff. Bit 15 and bits 0-2 hold garbage.
    // 0x8007 -> 0; 0x7ff8 -> 0xfff = 4095; (1234 << 3) | 5 = 0x2695 -> 1234; 0x8000 | (77 << 3) | 7 -> 77
    const img = await decodeImage(
      file({
        rows: 1,
        columns: 4,
        bitsStored: 12,
        highBit: 14,
        pixelData: nativePixelData([0x8007, 0x7ff8, (1234 << 3) | 5, 0x8000 | (77 << 3) | 7]),
      }),
    );
    expect(gray(img)).toEqual([0, 4095, 1234, 77]);
  });

  it('sign-extends signed pixels from BitsStored', async () => {
    // 12 bits stored, signed: 0xFFF = -1, 0x800 = -2048, 0x7FF = 2047; the high nibble is garbage (0xA000).
    const img = await decodeImage(
      file({
        rows: 1,
        columns: 3,
        bitsStored: 12,
        pixelRepresentation: 1,
        pixelData: nativePixelData([0xafff, 0xa800, 0xa7ff]),
      }),
    );
    expect(gray(img)).toEqual([-1, -2048, 2047]);
  });

  it('reads 8 bits stored in 16 allocated, and 32-bit pixels', async () => {
    const eight = await decodeImage(
      file({ rows: 1, columns: 2, bitsStored: 8, pixelData: nativePixelData([0xff12, 0x00ab]) }),
    );
    expect(gray(eight)).toEqual([0x12, 0xab]);
    const wide = await decodeImage(
      file({
        rows: 1,
        columns: 3,
        bitsAllocated: 32,
        bitsStored: 32,
        pixelData: nativePixelData([0, 70000, 2 ** 24], 32),
      }),
    );
    expect(gray(wide)).toEqual([0, 70000, 2 ** 24]);
  });

  it('unpacks 1-bit pixels, least significant bit first, across frames that share a byte', async () => {
    // Two 2x3 frames = 12 bits in 0b1010_0110, 0b0000_0110. LSB first: 0,1,1,0,0,1,0,1 | 0,1,1,0.
    // Frame 1 = bits 0-5; frame 2 = bits 6-11 (it starts inside the first byte).
    const pixels = { tag: 0x7fe00010, vr: 'OB', value: new Uint8Array([0b10100110, 0b00000110]) };
    const spec: ImageSpec = { rows: 2, columns: 3, frames: 2, bitsAllocated: 1, bitsStored: 1, pixelData: pixels };
    expect(gray(await decodeImage(file(spec), 0))).toEqual([0, 1, 1, 0, 0, 1]);
    expect(gray(await decodeImage(file(spec), 1))).toEqual([0, 1, 0, 1, 1, 0]);
  });
});

describe('modality transform', () => {
  it('applies rescale slope and intercept to signed CT values', async () => {
    // Signed 16-bit, slope 2, intercept -100: HU = 2 x stored - 100.
    // stored -1000 -> -2100, -24 -> -148, 0 -> -100, 570 -> 1040, 32767 -> 65434, -32768 -> -65636
    const img = await decodeImage(
      file({
        rows: 2,
        columns: 3,
        pixelRepresentation: 1,
        rescaleSlope: '2',
        rescaleIntercept: '-100',
        modality: 'CT',
        pixelData: nativePixelData([-1000, -24, 0, 570, 32767, -32768]),
      }),
    );
    expect(gray(img)).toEqual([-2100, -148, -100, 1040, 65434, -65636]);
  });

  it('uses the Modality LUT Sequence instead of rescale, clamping inputs outside the table, in any syntax', async () => {
    // Descriptor: 4 entries, first mapped 10, 16 bits. Table 100, 200, 400, 800.
    // stored 9 -> below -> 100; 10 -> 100; 12 -> 400; 13 -> 800; 50 -> above -> 800
    const lut: DicomElement[] = [
      { tag: 0x00283002, vr: 'US', value: [4, 10, 16] },
      { tag: 0x00283006, vr: 'OW', value: new Uint16Array([100, 200, 400, 800]) },
    ];
    for (const syntax of [TS.explicitLE, TS.implicitLE, TS.explicitBE]) {
      const spec: ImageSpec = {
        rows: 1,
        columns: 5,
        rescaleSlope: '7', // ignored: the LUT replaces it
        pixelData: nativePixelData([9, 10, 12, 13, 50]),
        extra: [{ tag: 0x00283000, vr: 'SQ', value: [lut] }],
      };
      expect(gray(await decodeImage(file(spec, { syntax }))), syntax).toEqual([100, 100, 400, 800, 800]);
    }
  });
});

describe('photometric interpretations', () => {
  it('inverts MONOCHROME1 after the window, so low values are bright', async () => {
    // c = 100, w = 11 (LINEAR): x = 100 -> ((100 - 99.5) / 10 + 0.5) x 255 = 140.25 -> 140 -> inverted 115.
    const img = await decodeImage(
      file({
        rows: 1,
        columns: 3,
        photometric: 'MONOCHROME1',
        windowCenter: '100',
        windowWidth: '11',
        pixelData: nativePixelData([0, 100, 500]),
      }),
    );
    expect(Array.from(displayPixels(img).data)).toEqual([255, 115, 0]);
  });

  it('reads RGB with planar configuration 0 and 1 to the same pixels', async () => {
    const pixels = [10, 20, 30, 200, 150, 100, 0, 255, 1];
    const planar = [10, 200, 0, 20, 150, 255, 30, 100, 1];
    const spec = { rows: 1, columns: 3, samplesPerPixel: 3 as const, bitsAllocated: 8 as const };
    const a = await decodeImage(file({ ...spec, planarConfiguration: 0, pixelData: nativePixelData(pixels, 8) }));
    const b = await decodeImage(file({ ...spec, planarConfiguration: 1, pixelData: nativePixelData(planar, 8) }));
    expect(rgb(a)).toEqual(pixels);
    expect(rgb(b)).toEqual(pixels);
  });

  // PS3.3 C.7.6.3.1.2 forward transform for YBR_FULL, rounded as a writer would store it.
  const toYbr = ([r, g, b]: number[]): number[] =>
    [
      0.299 * r! + 0.587 * g! + 0.114 * b!,
      -0.168736 * r! - 0.331264 * g! + 0.5 * b! + 128,
      0.5 * r! - 0.418688 * g! - 0.081312 * b! + 128,
    ].map((v) => Math.min(255, Math.max(0, Math.round(v))));

  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [128, 128, 128],
    [250, 200, 20],
    [12, 60, 180],
  ];

  it('converts YBR_FULL to RGB within 2 of the original colours (rounding in storage)', async () => {
    const ybr = colours.flatMap(toYbr);
    const img = await decodeImage(
      file({
        rows: 2,
        columns: 3,
        samplesPerPixel: 3,
        bitsAllocated: 8,
        photometric: 'YBR_FULL',
        pixelData: nativePixelData(ybr, 8),
      }),
    );
    const back = rgb(img);
    colours.flat().forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(2));
  });

  it('converts YBR_FULL_422 (Y1 Y2 Cb Cr per pair of pixels) to RGB', async () => {
    // Each pair has one colour and a brighter copy: same chroma, two lumas. Expected from the inverse formula.
    const pairs = [
      [200, 40, 40],
      [30, 90, 210],
      [128, 128, 128],
    ];
    const stored: number[] = [];
    const expected: number[] = [];
    for (const c of pairs) {
      const [y, cb, cr] = toYbr(c);
      const y2 = Math.min(255, y! + 30);
      stored.push(y!, y2, cb!, cr!);
      for (const yy of [y!, y2]) {
        expected.push(
          yy + 1.402 * (cr! - 128),
          yy - 0.344136 * (cb! - 128) - 0.714136 * (cr! - 128),
          yy + 1.772 * (cb! - 128),
        );
      }
    }
    const img = await decodeImage(
      file({
        rows: 1,
        columns: 6,
        samplesPerPixel: 3,
        bitsAllocated: 8,
        photometric: 'YBR_FULL_422',
        pixelData: nativePixelData(stored, 8),
      }),
    );
    expect(rgb(img)).toEqual(expected.map((v) => Math.min(255, Math.max(0, Math.round(v)))));
  });

  const paletteFile = (
    bits: 8 | 16,
    entries: number[][],
    first: number,
    stored: number[],
    packed: boolean,
    syntax: string = TS.explicitLE,
  ) => {
    const channel = (c: number): number[] => entries.map((e) => e[c]!);
    const data = (values: number[]): Uint16Array | Uint8Array =>
      packed ? Uint8Array.from(values) : Uint16Array.from(values);
    const descriptor = (tag: number): DicomElement => ({ tag, vr: 'US', value: [entries.length, first, bits] });
    return file(
      {
        rows: 1,
        columns: stored.length,
        bitsAllocated: 8,
        photometric: 'PALETTE COLOR',
        pixelData: nativePixelData(stored, 8),
        extra: [
          descriptor(0x00281101),
          descriptor(0x00281102),
          descriptor(0x00281103),
          { tag: 0x00281201, vr: 'OW', value: data(channel(0)) },
          { tag: 0x00281202, vr: 'OW', value: data(channel(1)) },
          { tag: 0x00281203, vr: 'OW', value: data(channel(2)) },
        ],
      },
      { syntax },
    );
  };

  it('maps PALETTE COLOR through 8-bit tables (entries packed two per word), clamping outside the table', async () => {
    // 4 entries from stored value 5. Stored 5, 6, 8, and 2 (below: first entry), 9 (above: last entry).
    const entries = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [10, 20, 30],
    ];
    const img = await decodeImage(paletteFile(8, entries, 5, [5, 6, 8, 2, 9], true));
    expect(rgb(img)).toEqual([255, 0, 0, 0, 255, 0, 10, 20, 30, 255, 0, 0, 10, 20, 30]);
  });

  it('maps PALETTE COLOR through 16-bit tables, scaled to 8 bits, in any byte order', async () => {
    // 65535 -> 255, 32896 -> 128, 0 -> 0, 257 -> 1
    const entries = [
      [65535, 0, 257],
      [32896, 65535, 0],
    ];
    for (const syntax of [TS.explicitLE, TS.implicitLE, TS.explicitBE]) {
      const img = await decodeImage(paletteFile(16, entries, 0, [0, 1], false, syntax));
      expect(rgb(img), syntax).toEqual([255, 0, 1, 128, 255, 0]);
    }
  });
});

describe('file layouts', () => {
  const spec: ImageSpec = { rows: 1, columns: 3, pixelData: nativePixelData([1, 2, 3]) };
  const layouts = [
    ['Part 10 without the preamble (meta group first)', { layout: 'no-preamble' }],
    ["'DICM' first, without the 128-byte preamble", { layout: 'dicm-first' }],
    ['a bare implicit VR data set (no meta header)', { layout: 'bare', syntax: TS.implicitLE }],
    ['a bare explicit VR data set (no meta header)', { layout: 'bare', syntax: TS.explicitLE }],
  ] as const;
  for (const [label, opts] of layouts) {
    it(`reads ${label}`, async () => {
      expect(gray(await decodeImage(file(spec, opts)))).toEqual([1, 2, 3]);
    });
  }
});
