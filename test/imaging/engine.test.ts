/**
 * The imaging module behind the engine's contract: compressed DICOM imported in a batch (a corrupt one refused, the
 * rest imported), the windows an image offers in cases.get, and images.render with a window or invert asked for.
 * Also model pixels: what the CLIP preprocessing receives is the display image, as RGB.
 */
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine';
import { modelPixels } from '../../src/main/engine/imaging/model-pixels';
import { preprocessImage } from '../../src/main/engine/model/preprocess';
import { openEngine, tempDir } from '../store/helpers';
import { encodeFrame, type Encoder } from './helpers/codec-encode';
import { TS, writeDicom } from './helpers/dicom-file';
import { imageElements, nativePixelData, pattern, sampleBytes, type ImageSpec } from './helpers/image-spec';

let dir: ReturnType<typeof tempDir>;
let engine: Engine;
beforeEach(() => {
  dir = tempDir('vip-imaging-engine-');
  engine = openEngine(dir.path);
});
afterEach(() => {
  engine.close();
  dir.cleanup();
});

const pngGray = async (png: Uint8Array): Promise<number[]> => [
  ...(await sharp(png).extractChannel(0).raw().toBuffer()),
];

// HU -1000, 0, 40, 1000 stored with intercept -1024.
const ct: ImageSpec = {
  rows: 2,
  columns: 2,
  bitsStored: 12,
  rescaleIntercept: '-1024',
  modality: 'CT',
  windowCenter: '40\\-600',
  windowWidth: '400\\1500',
  windowExplanation: 'MEDIASTINUM\\LUNG',
};
const ctValues = [24, 1024, 1064, 2024];

describe('through the engine', () => {
  it('imports a batch of compressed DICOM, refusing only the corrupt one, and renders each', async () => {
    const format = {
      width: 2,
      height: 2,
      bitsAllocated: 16,
      bitsStored: 12,
      samplesPerPixel: 1,
      pixelRepresentation: 0,
      photometric: 'MONOCHROME2',
    };
    const syntaxes: [string, Encoder][] = [
      [TS.rle, 'rle'],
      [TS.jpegLosslessSV1, 'jpeg-lossless'],
      [TS.jpegLsLossless, 'jpeg-ls'],
      [TS.j2kLossless, 'j2k'],
      [TS.htj2kLossless, 'htj2k'],
    ];
    const files = [];
    for (const [i, [syntax, encoder]] of syntaxes.entries()) {
      const frame = await encodeFrame(encoder, sampleBytes(ctValues, 16), format);
      const elements = imageElements(ct).map((e) =>
        e.tag === 0x00080018 ? { ...e, value: `1.2.826.0.1.3680043.9.7.1.${i}` } : e,
      );
      files.push({ name: `${encoder}.dcm`, data: writeDicom(elements, { syntax, encapsulated: { frames: [frame] } }) });
    }
    const corrupt = writeDicom(imageElements(ct), {
      syntax: TS.j2kLossless,
      encapsulated: { frames: [new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 0])] },
    });
    files.splice(2, 0, { name: 'corrupt.dcm', data: corrupt });

    const report = await engine.call('cases.importFiles', { files });
    expect(report).toMatchObject({ imported: 5, errors: 1 });
    expect(report.outcomes[2]).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/^cannot decode the JPEG 2000 Lossless pixel data of frame 1: /),
    });
    for (const o of report.outcomes) {
      if (o.status !== 'imported') continue;
      const rendered = await engine.call('images.render', { imageId: o.imageId });
      // c = 40, w = 400 over HU -1000, 0, 40, 1000 (see voi.test.ts)
      expect(await pngGray(rendered.data)).toEqual([0, 102, 128, 255]);
      expect(rendered.window).toEqual({ center: 40, width: 400 });
    }
  });

  it('lists the windows an image offers and renders with a window or invert asked for', async () => {
    const report = await engine.call('cases.importFiles', {
      files: [{ name: 'ct.dcm', data: writeDicom(imageElements({ ...ct, pixelData: nativePixelData(ctValues) })) }],
    });
    const outcome = report.outcomes[0]!;
    if (outcome.status !== 'imported') throw new Error('not imported');
    const detail = await engine.call('cases.get', { id: outcome.caseId });
    expect(detail.images[0]?.windows).toEqual([
      { center: 40, width: 400, explanation: 'MEDIASTINUM' },
      { center: -600, width: 1500, explanation: 'LUNG' },
    ]);
    const lung = await engine.call('images.render', {
      imageId: outcome.imageId,
      window: { center: -600, width: 1500 },
    });
    expect(await pngGray(lung.data)).toEqual([60, 230, 236, 255]);
    expect(lung.window).toEqual({ center: -600, width: 1500 });
    const inverted = await engine.call('images.render', { imageId: outcome.imageId, invert: true });
    expect(await pngGray(inverted.data)).toEqual([255, 153, 127, 0]);
    await expect(
      engine.call('images.render', { imageId: outcome.imageId, window: { center: 40, width: 0 } }),
    ).rejects.toMatchObject({ code: 'validation' }); // the contract refuses a width of 0 before any decoding
  });

  it('offers no windows for an ordinary image', async () => {
    const png = await sharp({ create: { width: 3, height: 3, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
    const report = await engine.call('cases.importFiles', { files: [{ name: 'a.png', data: png }] });
    const outcome = report.outcomes[0]!;
    if (outcome.status !== 'imported') throw new Error('not imported');
    expect((await engine.call('cases.get', { id: outcome.caseId })).images[0]?.windows).toEqual([]);
  });
});

describe('model pixels', () => {
  it('are the display pixels as RGB: window applied, MONOCHROME1 inverted', async () => {
    const file = writeDicom(imageElements({ ...ct, photometric: 'MONOCHROME1', pixelData: nativePixelData(ctValues) }));
    const pixels = await modelPixels(file);
    expect([pixels.width, pixels.height, pixels.channels]).toEqual([2, 2, 3]);
    // Window 40/400 gives 0, 102, 128, 255; MONOCHROME1 inverts: 255, 153, 127, 0, each copied to R, G and B.
    expect(Array.from(pixels.data)).toEqual([255, 255, 255, 153, 153, 153, 127, 127, 127, 0, 0, 0]);
  });

  it('go into the CLIP preprocessing unchanged', async () => {
    // 224 x 224 already: no resize, no crop; each value v becomes (v / 255 - mean) / std per channel.
    const values = pattern(224, 224, 0, 4095, 11);
    const file = writeDicom(
      imageElements({ rows: 224, columns: 224, bitsStored: 12, pixelData: nativePixelData(values) }),
    );
    const pixels = await modelPixels(file);
    const input = await preprocessImage(pixels, { size: 224 });
    const plane = 224 * 224;
    const mean = [0.48145466, 0.4578275, 0.40821073];
    const std = [0.26862954, 0.26130258, 0.27577711];
    for (const i of [0, 1000, plane - 1]) {
      for (let c = 0; c < 3; c++) {
        expect(input[c * plane + i]).toBeCloseTo((pixels.data[i * 3 + c]! / 255 - mean[c]!) / std[c]!, 5);
      }
    }
    // The first pixel is the minimum (0) and the last the maximum (4095) of the full-range window.
    expect([pixels.data[0], pixels.data[(plane - 1) * 3]]).toEqual([0, 255]);
  });
});
