/**
 * images.render. Expected display values are worked out by hand in the comments (DICOM PS3.3 C.11.2.1.2.1,
 * the LINEAR window: below c - 0.5 - (w-1)/2 -> 0, above c - 0.5 + (w-1)/2 -> 255,
 * else ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, rounded).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine';
import { dicomImage, encapsulatedDicom, type ImageSpec } from './dicom-writer';
import { greyPng, openEngine, pngPixels, solidPng, tempDir } from './helpers';

let dir: ReturnType<typeof tempDir>;
let engine: Engine;
beforeEach(() => {
  dir = tempDir();
  engine = openEngine(dir.path);
});
afterEach(() => {
  engine.close();
  dir.cleanup();
});

async function importBytes(name: string, data: Uint8Array): Promise<number> {
  const report = await engine.call('cases.importFiles', { files: [{ name, data }] });
  const o = report.outcomes[0]!;
  if (o.status !== 'imported') throw new Error(o.status === 'error' ? o.error : 'duplicate');
  return o.imageId;
}

async function renderDicom(spec: ImageSpec, maxSize = 64, frame = 0) {
  const id = await importBytes(`img-${Math.random()}.dcm`, dicomImage(spec));
  const rendered = await engine.call('images.render', { imageId: id, maxSize, frame });
  expect(rendered.mediaType).toBe('image/png');
  return { id, rendered, pixels: await pngPixels(rendered.data) };
}

// Stored values 512, 600, 700, 1000 with slope 2 and intercept -1024 give modality values 0, 176, 376, 976.
const ramp: ImageSpec = {
  rows: 2,
  columns: 2,
  pixels: [512, 600, 700, 1000],
  rescaleSlope: '2',
  rescaleIntercept: '-1024',
};
// Stored 2048, 2240, 2248, 2256, 2258 with slope 0.5 and intercept -1024 give 0, 96, 100, 104, 105.
const narrow: ImageSpec = {
  rows: 1,
  columns: 5,
  pixels: [2048, 2240, 2248, 2256, 2258],
  rescaleSlope: '0.5',
  rescaleIntercept: '-1024',
};

describe('rendering DICOM', () => {
  it('applies rescale and the first window (LINEAR)', async () => {
    // c = 100, w = 11: thresholds 94.5 and 104.5; y = ((x - 99.5) / 10 + 0.5) * 255
    //   x = 0   -> below  -> 0
    //   x = 96  -> 38.25  -> 38
    //   x = 100 -> 140.25 -> 140
    //   x = 104 -> 242.25 -> 242
    //   x = 105 -> above  -> 255
    // (LINEAR_EXACT would give 35, 128, 220 in the middle.) The second window (2000/10) must be ignored.
    const { pixels, rendered } = await renderDicom({ ...narrow, windowCenter: '100\\2000', windowWidth: '11\\10' });
    expect([rendered.width, rendered.height]).toEqual([5, 1]);
    expect(pixels.data).toEqual([0, 38, 140, 242, 255]);
  });

  it('inverts MONOCHROME1 after windowing', async () => {
    const { pixels } = await renderDicom({
      ...narrow,
      windowCenter: '100',
      windowWidth: '11',
      photometric: 'MONOCHROME1',
    });
    expect(pixels.data).toEqual([255, 217, 115, 13, 0]);
  });

  it('stretches over the full range when the file has no window', async () => {
    // min 0, max 976: y = x / 976 * 255 -> 0, 45.98 -> 46, 98.24 -> 98, 255
    const { pixels } = await renderDicom(ramp);
    expect(pixels.data).toEqual([0, 46, 98, 255]);
  });

  it('reads only BitsStored bits and sign-extends signed pixels', async () => {
    // 12 bits stored in 16, signed; the high nibble holds garbage that must be masked off.
    // 0xAFFB -> 0xFFB = -5; 0x5000 -> 0; 0xF00A -> 10; 0x07FA -> 2042.
    // Full range -5..2042: y = (x + 5) / 2047 * 255 -> 0, 0.62 -> 1, 1.87 -> 2, 255
    const { pixels } = await renderDicom({
      rows: 1,
      columns: 4,
      pixels: [0xaffb, 0x5000, 0xf00a, 0x07fa],
      bitsStored: 12,
      pixelRepresentation: 1,
    });
    expect(pixels.data).toEqual([0, 1, 2, 255]);
  });

  it('renders 8-bit RGB, interleaved and planar, exactly', async () => {
    const interleaved = await renderDicomRgb([10, 20, 30, 200, 150, 100], 0);
    const planar = await renderDicomRgb([10, 200, 20, 150, 30, 100], 1);
    expect(interleaved).toEqual([10, 20, 30, 200, 150, 100]);
    expect(planar).toEqual([10, 20, 30, 200, 150, 100]);
  });

  async function renderDicomRgb(samples: number[], planarConfiguration: 0 | 1): Promise<number[]> {
    const id = await importBytes(
      `rgb-${planarConfiguration}.dcm`,
      dicomImage({ rows: 1, columns: 2, pixels: samples, bitsAllocated: 8, samplesPerPixel: 3, planarConfiguration }),
    );
    const rendered = await engine.call('images.render', { imageId: id, maxSize: 64 });
    return (await pngPixels(rendered.data, 3)).data;
  }

  it('renders the requested frame and refuses one that does not exist', async () => {
    const { id } = await renderDicom({
      rows: 1,
      columns: 2,
      frames: 2,
      pixels: [0, 100, 50, 60],
      windowCenter: '50',
      windowWidth: '11',
    });
    // Frame 1 holds 50 and 60; c = 50, w = 11: thresholds 44.5 and 54.5; x = 50 -> ((50 - 49.5) / 10 + 0.5) * 255 = 140.25
    const second = await engine.call('images.render', { imageId: id, frame: 1 });
    expect((await pngPixels(second.data)).data).toEqual([140, 255]);
    await expect(engine.call('images.render', { imageId: id, frame: 2 })).rejects.toMatchObject({
      code: 'bad_input',
      message: `Image ${id} has 2 frame(s); frame 2 does not exist`,
    });
  });

  it('scales to fit maxSize and keeps the aspect ratio', async () => {
    const pixels = Array.from({ length: 64 * 32 }, (_, i) => i % 4096);
    const { rendered } = await renderDicom({ rows: 32, columns: 64, pixels }, 16);
    expect([rendered.width, rendered.height]).toEqual([16, 8]);
  });

  it('refuses a compressed frame that does not decode at import, with a one-line reason', async () => {
    const report = await engine.call('cases.importFiles', {
      files: [{ name: 'j2k.dcm', data: encapsulatedDicom({ rows: 4, columns: 4 }) }],
    });
    expect(report.outcomes[0]).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/^cannot decode the JPEG 2000 Lossless pixel data of frame 1: [^\n]+$/),
    });
  });
});

describe('rendering ordinary images', () => {
  it('renders a PNG scaled to fit, colours intact', async () => {
    const id = await importBytes('red.png', await solidPng(40, 20, [200, 30, 10]));
    const rendered = await engine.call('images.render', { imageId: id, maxSize: 16 });
    expect([rendered.width, rendered.height]).toEqual([16, 8]);
    const { data } = await pngPixels(rendered.data, 3);
    expect(data.slice(0, 3)).toEqual([200, 30, 10]);
    expect((await sharp(rendered.data).metadata()).depth).toBe('uchar');
  });

  it('never enlarges a small image', async () => {
    const id = await importBytes('small.png', await solidPng(5, 3, [1, 2, 3]));
    const rendered = await engine.call('images.render', { imageId: id, maxSize: 1024 });
    expect([rendered.width, rendered.height]).toEqual([5, 3]);
  });

  it('applies EXIF orientation', async () => {
    const jpeg = await sharp({ create: { width: 30, height: 10, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const id = await importBytes('rotated.jpg', jpeg);
    const rendered = await engine.call('images.render', { imageId: id });
    expect([rendered.width, rendered.height]).toEqual([10, 30]);
  });

  it('windows 16-bit grayscale over its own range', async () => {
    // min 1000, max 5000: y = (x - 1000) / 4000 * 255 -> 0, 63.75 -> 64, 127.5 -> 128, 255
    const id = await importBytes('deep.png', await greyPng(2, 2, [1000, 2000, 3000, 5000], 16));
    const rendered = await engine.call('images.render', { imageId: id });
    expect((await sharp(rendered.data).metadata()).depth).toBe('uchar');
    expect((await pngPixels(rendered.data)).data).toEqual([0, 64, 128, 255]);
  });

  it('reports a managed file that has gone missing', async () => {
    const id = await importBytes('gone.png', await solidPng(4, 4, [4, 4, 4]));
    const image = engine.store.images.get(id)!;
    rmSync(join(dir.path, 'images', ...image.relPath.split('/')));
    await expect(engine.call('images.render', { imageId: id })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('missing from the managed image folder'),
    });
    await expect(engine.call('images.render', { imageId: 9999 })).rejects.toMatchObject({ code: 'not_found' });
  });
});
