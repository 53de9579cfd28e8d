/**
 * Ordinary images through sharp: JPEG, PNG (8 and 16-bit), TIFF (pages), WebP, all eight EXIF orientations, and
 * 16-bit grayscale windowed like DICOM.
 */
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/main/engine/imaging/decode';
import type { DecodedImage } from '../../src/main/engine/imaging/decoded-image';
import { displayPixels } from '../../src/main/engine/imaging/display';

const rgbRaw = (width: number, height: number, data: number[]) =>
  sharp(Buffer.from(data), { raw: { width, height, channels: 3 } });
/** A one-channel image (sharp writes raw one-channel input as RGB unless told it is grey). */
const grayRaw = (width: number, height: number, data: number[]) =>
  sharp(Buffer.from(data), { raw: { width, height, channels: 1 } }).toColourspace('b-w');

const values = (img: DecodedImage): number[] => Array.from(img.kind === 'gray' ? img.values : img.data);

// Six distinct colours, 3 x 2.
const colours = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0, 0, 255, 255, 30, 60, 90];

describe('formats', () => {
  it('PNG, lossless WebP and TIFF give the pixels exactly', async () => {
    for (const encode of [
      (s: Sharp) => s.png(),
      (s: Sharp) => s.webp({ lossless: true }),
      // sharp's TIFF default is JPEG compression; LZW is lossless.
      (s: Sharp) => s.tiff({ compression: 'lzw' }),
    ]) {
      const img = await decodeImage(await encode(rgbRaw(3, 2, colours)).toBuffer());
      expect([img.kind, img.width, img.height]).toEqual(['rgb', 3, 2]);
      expect(values(img)).toEqual(colours);
    }
  });

  it('JPEG within 8 of a flat colour at quality 95', async () => {
    const flat = Array.from({ length: 16 * 16 }, () => [180, 90, 40]).flat();
    const img = await decodeImage(await rgbRaw(16, 16, flat).jpeg({ quality: 95 }).toBuffer());
    const got = values(img);
    expect(got.length).toBe(flat.length);
    expect(Math.max(...got.map((v, i) => Math.abs(v - flat[i]!)))).toBeLessThanOrEqual(8);
  });

  it('8-bit grayscale is shown as it is (identity window), unless a window is asked for', async () => {
    const img = await decodeImage(await grayRaw(4, 1, [0, 1, 128, 255]).png().toBuffer());
    expect(img.kind).toBe('gray');
    expect(Array.from(displayPixels(img).data)).toEqual([0, 1, 128, 255]);
    // c = 128, w = 2 (LINEAR): thresholds 127 and 128: 0 -> 0, 1 -> 0, 128 -> ((128 - 127.5) / 1 + 0.5) * 255 = 255
    expect(Array.from(displayPixels(img, { window: { center: 128, width: 2 } }).data)).toEqual([0, 0, 255, 255]);
  });

  it('16-bit grayscale PNG keeps its 16-bit values and is windowed over its full range', async () => {
    const words = [1000, 2000, 3000, 5000];
    const png = await sharp(new Uint16Array(words), { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const img = await decodeImage(png);
    expect(values(img)).toEqual(words);
    // min 1000, max 5000: y = (x - 1000) / 4000 * 255 -> 0, 63.75 -> 64, 127.5 -> 128, 255
    const shown = displayPixels(img);
    expect(Array.from(shown.data)).toEqual([0, 64, 128, 255]);
    expect(shown.window).toEqual({ center: 3000.5, width: 4001 });
  });

  it('16-bit RGB PNG becomes 8-bit RGB', async () => {
    const words = [0, 30000, 65535, 257, 514, 65535 - 257];
    const png = await sharp(new Uint16Array(words), { raw: { width: 2, height: 1, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    // x / 257 rounded: 30000 / 257 = 116.7 -> 117
    expect(values(await decodeImage(png))).toEqual([0, 117, 255, 1, 2, 254]);
  });

  it('picks a page of a multi-page TIFF, refusing one that does not exist', async () => {
    const page = (v: number) => rgbRaw(2, 2, new Array<number>(12).fill(v)).png().toBuffer();
    const tiff = await sharp([await page(10), await page(200)], { join: { animated: true } })
      .tiff({ compression: 'lzw' })
      .toBuffer();
    expect(values(await decodeImage(tiff, 0))).toEqual(new Array<number>(12).fill(10));
    expect(values(await decodeImage(tiff, 1))).toEqual(new Array<number>(12).fill(200));
    await expect(decodeImage(tiff, 2)).rejects.toMatchObject({
      code: 'bad_input',
      message: 'TIFF image has 2 page(s); frame 3 does not exist',
    });
  });
});

describe('EXIF orientation', () => {
  // Stored 3 x 2 (W x H): S[y][x] = 10 * (3y + x), so every pixel is distinct.
  const W = 3;
  const H = 2;
  const S = (y: number, x: number): number => 10 * (3 * y + x);
  // Display pixel (x, y) for each orientation (EXIF 2.3, TIFF 6.0), and the displayed size.
  const orientations: [number, number, number, (x: number, y: number) => number][] = [
    [1, W, H, (x, y) => S(y, x)],
    [2, W, H, (x, y) => S(y, W - 1 - x)], // mirrored horizontally
    [3, W, H, (x, y) => S(H - 1 - y, W - 1 - x)], // rotated 180
    [4, W, H, (x, y) => S(H - 1 - y, x)], // mirrored vertically
    [5, H, W, (x, y) => S(x, y)], // transposed
    [6, H, W, (x, y) => S(H - 1 - x, y)], // rotated 90 clockwise
    [7, H, W, (x, y) => S(H - 1 - x, W - 1 - y)], // transverse
    [8, H, W, (x, y) => S(x, W - 1 - y)], // rotated 90 counter-clockwise
  ];
  const stored = Array.from({ length: W * H }, (_, i) => S(Math.floor(i / W), i % W));

  for (const [orientation, width, height, pixel] of orientations) {
    it(`orientation ${orientation}`, async () => {
      const png = await grayRaw(W, H, stored).withMetadata({ orientation }).png().toBuffer();
      const img = await decodeImage(png);
      expect([img.width, img.height]).toEqual([width, height]);
      const expected = Array.from({ length: width * height }, (_, i) => pixel(i % width, Math.floor(i / width)));
      // sharp writes the EXIF-tagged image as RGB; its channels are equal, the first carries the geometry.
      const first = values(img).filter((_, i) => img.kind === 'gray' || i % 3 === 0);
      expect(first).toEqual(expected);
    });
  }
});
