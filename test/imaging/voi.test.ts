/**
 * Display values per PS3.3 C.11.2: the window functions, the windows a file offers (first is the default, the
 * viewer may override), the VOI LUT Sequence, and the full range of modality values when the file has neither.
 * Expected values are worked out by hand:
 *   LINEAR:       x <= c - 0.5 - (w-1)/2 -> 0; x > c - 0.5 + (w-1)/2 -> 255; else ((x - (c-0.5)) / (w-1) + 0.5) * 255
 *   LINEAR_EXACT: x <= c - w/2 -> 0; x > c + w/2 -> 255; else ((x - c) / w + 0.5) * 255
 *   SIGMOID:      255 / (1 + exp(-4 (x - c) / w))
 */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/main/engine/imaging/decode';
import { displayPixels, type DisplayOptions } from '../../src/main/engine/imaging/display';
import { writeDicom, type DicomElement } from './helpers/dicom-file';
import { imageElements, nativePixelData, type ImageSpec } from './helpers/image-spec';

async function shown(spec: ImageSpec, opts: DisplayOptions = {}) {
  const d = displayPixels(await decodeImage(writeDicom(imageElements(spec))), opts);
  return { values: Array.from(d.data), window: d.window, voiLut: d.voiLut };
}

// Stored 0, 96, 100, 104, 105 (no rescale).
const ramp = { rows: 1, columns: 5, pixelData: nativePixelData([0, 96, 100, 104, 105]) };

describe('window functions', () => {
  it('LINEAR (the default)', async () => {
    // c = 100, w = 11: thresholds 94.5 and 104.5; 96 -> 38.25, 100 -> 140.25, 104 -> 242.25
    expect((await shown({ ...ramp, windowCenter: '100', windowWidth: '11' })).values).toEqual([0, 38, 140, 242, 255]);
  });

  it('LINEAR_EXACT', async () => {
    // c = 100, w = 10: thresholds 95 and 105; 96 -> 0.1 * 255 = 25.5 -> 26, 100 -> 127.5 -> 128,
    // 104 -> 0.9 * 255 = 229.5 -> 230; 105 is not above 105: 1.0 * 255 = 255.
    const r = await shown({ ...ramp, windowCenter: '100', windowWidth: '10', voiLutFunction: 'LINEAR_EXACT' });
    expect(r.values).toEqual([0, 26, 128, 230, 255]);
  });

  it('SIGMOID', async () => {
    // c = 100, w = 10: 0 -> 255/(1+e^40) = 0; 96 -> 255/(1+e^1.6) = 42.8; 100 -> 127.5 -> 128;
    // 104 -> 255/(1+e^-1.6) = 212.2; 105 -> 255/(1+e^-2) = 224.6
    const r = await shown({ ...ramp, windowCenter: '100', windowWidth: '10', voiLutFunction: 'SIGMOID' });
    expect(r.values).toEqual([0, 43, 128, 212, 225]);
  });
});

describe('windows offered', () => {
  const ct: ImageSpec = {
    rows: 1,
    columns: 4,
    pixelRepresentation: 1,
    rescaleIntercept: '-1024',
    // Stored 24, 1024, 1064, 2024 -> HU -1000 (air), 0 (water), 40, 1000 (bone)
    pixelData: nativePixelData([24, 1024, 1064, 2024]),
    windowCenter: '40\\-600',
    windowWidth: '400\\1500',
    windowExplanation: 'MEDIASTINUM\\LUNG',
  };

  it('uses the first by default and lists all with their names', async () => {
    // c = 40, w = 400: thresholds -160 and 239; 0 -> ((0 - 39.5) / 399 + 0.5) * 255 = 102.26; 40 -> 127.82
    const r = await shown(ct);
    expect(r.values).toEqual([0, 102, 128, 255]);
    expect(r.window).toEqual({ center: 40, width: 400 });
    const img = await decodeImage(writeDicom(imageElements(ct)));
    expect(img.kind === 'gray' && img.windows).toEqual([
      { center: 40, width: 400, explanation: 'MEDIASTINUM' },
      { center: -600, width: 1500, explanation: 'LUNG' },
    ]);
  });

  it('applies a window asked for instead (the lung window)', async () => {
    // c = -600, w = 1500: thresholds -1350 and 149; -1000 -> ((-1000 + 600.5) / 1499 + 0.5) * 255 = 59.54;
    // 0 -> 229.6; 40 -> 236.4 (rounded 236); 1000 -> 255
    const r = await shown(ct, { window: { center: -600, width: 1500 } });
    expect(r.values).toEqual([60, 230, 236, 255]);
    expect(r.window).toEqual({ center: -600, width: 1500 });
  });

  it('inverts on request, on top of the window', async () => {
    expect((await shown(ct, { invert: true })).values).toEqual([255, 153, 127, 0]);
  });
});

describe('without a window', () => {
  it('applies the first VOI LUT of the VOI LUT Sequence', async () => {
    // 3 entries from 96, 12 bits: 0, 2048, 4095. Display = entry / 4095 * 255:
    // 0 -> below -> 0; 96 -> 0; 100 -> above -> 255; 104 -> 255; 105 -> 255. And 97 -> 2048 -> 127.5 -> 128.
    const lut: DicomElement[] = [
      { tag: 0x00283002, vr: 'US', value: [3, 96, 12] },
      { tag: 0x00283003, vr: 'LO', value: 'NORMAL' },
      { tag: 0x00283006, vr: 'OW', value: new Uint16Array([0, 2048, 4095]) },
    ];
    const r = await shown({
      rows: 1,
      columns: 6,
      pixelData: nativePixelData([0, 96, 97, 100, 104, 105]),
      extra: [{ tag: 0x00283010, vr: 'SQ', value: [lut] }],
    });
    expect(r.values).toEqual([0, 0, 128, 255, 255, 255]);
    expect(r.voiLut).toBe('NORMAL');
    expect(r.window).toBeNull();
  });

  it('spans the full range of modality values', async () => {
    // Stored 512, 600, 700, 1000 with slope 2 and intercept -1024 -> 0, 176, 376, 976: y = x / 976 * 255
    const r = await shown({
      rows: 1,
      columns: 4,
      rescaleSlope: '2',
      rescaleIntercept: '-1024',
      pixelData: nativePixelData([512, 600, 700, 1000]),
    });
    expect(r.values).toEqual([0, 46, 98, 255]);
    expect(r.window).toEqual({ center: 488.5, width: 977 });
  });

  it('leaves Pixel Padding Value out of the full range', async () => {
    // Padding stored 0 (modality -1024) would otherwise stretch the range; the rest spans 100..300.
    // y = (x - 100) / 200 * 255: 100 -> 0, 200 -> 127.5 -> 128, 300 -> 255; the padding pixel is below: 0.
    const r = await shown({
      rows: 1,
      columns: 4,
      rescaleIntercept: '-1024',
      pixelData: nativePixelData([0, 1124, 1224, 1324]),
      extra: [{ tag: 0x00280120, vr: 'US', value: [0] }],
    });
    expect(r.values).toEqual([0, 0, 128, 255]);
  });
});
