import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  optionsFromManifest,
  preprocessBatch,
  preprocessImage,
  resizedSize,
  type RawPixels,
} from '../../src/main/engine/model/preprocess';
import { seededRandom } from './helpers/random-weights';

// The CLIP constants, restated here rather than imported so a typo in either place shows.
const MEAN = [0.48145466, 0.4578275, 0.40821073];
const STD = [0.26862954, 0.26130258, 0.27577711];
const S = 32;

/** The normalised value of an 8-bit channel value, computed the obvious way. */
const norm = (v: number, c: number): number => (v / 255 - (MEAN[c] ?? 0)) / (STD[c] ?? 1);

/** Value of channel c at (x, y) in a CHW output of side `size`. */
const at = (out: Float32Array, c: number, x: number, y: number, size = S): number =>
  out[c * size * size + y * size + x] ?? NaN;

function randomRgb(width: number, height: number, seed: number): RawPixels {
  const u = seededRandom(seed);
  return {
    data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(u() * 256)),
    width,
    height,
    channels: 3,
  };
}

/** Pixels from a function of (x, y) → [r, g, b]. */
function painted(width: number, height: number, paint: (x: number, y: number) => readonly number[]): RawPixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(paint(x, y), 3 * (y * width + x));
  return { data, width, height, channels: 3 };
}

const png = (p: RawPixels): Promise<Buffer> =>
  sharp(p.data, { raw: { width: p.width, height: p.height, channels: p.channels } })
    .png()
    .toBuffer();

/** Every output value equals the direct normalisation of the source pixel at (x + left, y + top). */
function expectCropOf(out: Float32Array, src: RawPixels, left: number, top: number, size = S): void {
  expect(out.length).toBe(3 * size * size);
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = src.data[((y + top) * src.width + x + left) * src.channels + (src.channels === 1 ? 0 : c)] ?? NaN;
        worst = Math.max(worst, Math.abs(at(out, c, x, y, size) - norm(v, c)));
      }
    }
  }
  expect(worst).toBeLessThan(1e-5);
}

describe('preprocessImage', () => {
  it('passes an image already at the input size through unresampled (PNG and raw pixels)', async () => {
    for (const size of [S, 224]) {
      const src = randomRgb(size, size, size);
      expectCropOf(await preprocessImage(await png(src), { size }), src, 0, 0, size);
      expectCropOf(await preprocessImage(src, { size }), src, 0, 0, size);
    }
  });

  it('center-crops without resampling when the shorter side already fits, offset rounded down', async () => {
    const wide = randomRgb(2 * S, S, 1);
    expectCropOf(await preprocessImage(await png(wide), { size: S }), wide, S / 2, 0);
    const odd = randomRgb(S + 3, S, 2);
    expectCropOf(await preprocessImage(odd, { size: S }), odd, 1, 0);
    const tall = randomRgb(S, S + 5, 3);
    expectCropOf(await preprocessImage(await png(tall), { size: S }), tall, 0, 2);
  });

  it('resizes to a shortest edge larger than the crop when asked, then crops the middle', async () => {
    // 80 × 40 with shortest edge 40 needs no resampling; the 32-pixel crop starts at (24, 4).
    const src = randomRgb(80, 40, 4);
    expectCropOf(await preprocessImage(src, { size: S, shortestEdge: 40 }), src, 24, 4);
    const manifest = {
      imageSize: 40,
      cropSize: S,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      resample: 'bicubic',
    } as const;
    expect(optionsFromManifest({ ...manifest, mean: [...manifest.mean], std: [...manifest.std] })).toEqual({
      size: S,
      shortestEdge: 40,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
  });

  it('scales the shorter side to the input size and crops the middle (landscape)', async () => {
    // 4S × 2S: red left half, blue right half. Scaled to 2S × S, the crop spans resized columns S/2 .. 3S/2, so the
    // colour boundary lands in the middle of the output; bicubic only blurs a few pixels around it.
    const red = [255, 0, 0];
    const blue = [0, 0, 255];
    const src = painted(4 * S, 2 * S, (x) => (x < 2 * S ? red : blue));
    const out = await preprocessImage(await png(src), { size: S });
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        if (Math.abs(x - S / 2) < 4) continue;
        const want = x < S / 2 ? red : blue;
        for (let c = 0; c < 3; c++) expect(at(out, c, x, y)).toBeCloseTo(norm(want[c] ?? 0, c), 5);
      }
    }
  });

  it('scales the shorter side to the input size and crops the middle (portrait, upscaled)', async () => {
    // S/2 × S: a green band in the top eighth, white below, and a dark band in the bottom quarter. Upscaled ×2 to
    // S × 2S, the crop keeps resized rows S/2 .. 3S/2: the green band (rows 0 .. S/4) is cut away, and the dark band
    // (rows 3S/2 .. 2S) too, so the output is white, with the bicubic blur of the dark edge at most in its last rows.
    const src = painted(S / 2, S, (_x, y) =>
      y < S / 8 ? [0, 255, 0] : y >= (3 * S) / 4 ? [0, 0, 0] : [255, 255, 255],
    );
    const out = await preprocessImage(src, { size: S });
    for (let y = 0; y < S - 3; y++) {
      for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) expect(at(out, c, x, y)).toBeCloseTo(norm(255, c), 5);
    }
    // Without the ×2 upscale (a plain crop of the source), the dark band would fill the lower rows.
    expect(at(out, 0, S / 2, S - 1)).toBeGreaterThan(norm(128, 0));
  });

  it('copies grayscale to three channels, from a gray PNG or raw gray pixels', async () => {
    const u = seededRandom(5);
    const gray: RawPixels = {
      data: Uint8Array.from({ length: S * S }, () => Math.floor(u() * 256)),
      width: S,
      height: S,
      channels: 1,
    };
    const grayPng = await sharp(gray.data, { raw: { width: S, height: S, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grayPng).metadata()).channels).toBe(1);
    expectCropOf(await preprocessImage(grayPng, { size: S }), gray, 0, 0);
    expectCropOf(await preprocessImage(gray, { size: S }), gray, 0, 0);
  });

  it('reduces a 16-bit grayscale PNG to 8 bits (v·257 → v)', async () => {
    const u = seededRandom(6);
    const v8 = Uint8Array.from({ length: S * S }, () => Math.floor(u() * 256));
    const file = await sharp(
      Uint16Array.from(v8, (v) => v * 257),
      { raw: { width: S, height: S, channels: 1 } },
    )
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect((await sharp(file).metadata()).depth).toBe('ushort');
    expectCropOf(await preprocessImage(file, { size: S }), { data: v8, width: S, height: S, channels: 1 }, 0, 0);
  });

  it('drops alpha without compositing', async () => {
    const rgba = new Uint8Array(S * S * 4);
    for (let i = 0; i < S * S; i++) rgba.set([10, 200, 30, i % 2 === 0 ? 0 : 128], 4 * i);
    const file = await sharp(rgba, { raw: { width: S, height: S, channels: 4 } })
      .png()
      .toBuffer();
    const out = await preprocessImage(file, { size: S });
    const want = [10, 200, 30];
    for (let c = 0; c < 3; c++)
      for (const [x, y] of [
        [0, 0],
        [1, 0],
        [S - 1, S - 1],
      ] as const) {
        expect(at(out, c, x, y)).toBeCloseTo(norm(want[c] ?? 0, c), 5);
      }
  });

  it('honours the EXIF orientation of a JPEG', async () => {
    // Stored landscape 2S × S: dark left half, bright right half. Orientation 6 means "rotate 90° clockwise to
    // display": shown as S × 2S with the dark half on top. The middle crop is then dark above, bright below.
    const src = painted(2 * S, S, (x) => (x < S ? [20, 20, 20] : [230, 230, 230]));
    const raw = sharp(src.data, { raw: { width: 2 * S, height: S, channels: 3 } });
    const rotated = await raw.clone().jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const upright = await raw.clone().jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);

    const meanOf = (out: Float32Array, x0: number, x1: number, y0: number, y1: number): number => {
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += at(out, 0, x, y);
      return sum / ((x1 - x0) * (y1 - y0));
    };
    const r = await preprocessImage(rotated, { size: S });
    expect(meanOf(r, 0, S, 0, S / 2 - 3)).toBeCloseTo(norm(20, 0), 1);
    expect(meanOf(r, 0, S, S / 2 + 3, S)).toBeCloseTo(norm(230, 0), 1);
    // Without the tag the same pixels crop to dark left, bright right: the orientation really was applied.
    const u = await preprocessImage(upright, { size: S });
    expect(meanOf(u, 0, S / 2 - 3, 0, S)).toBeCloseTo(norm(20, 0), 1);
    expect(meanOf(u, S / 2 + 3, S, 0, S)).toBeCloseTo(norm(230, 0), 1);
  });

  it('reads PNG, TIFF and lossless WebP to the same numbers, and raw pixels likewise', async () => {
    const src = painted(48, 40, (x, y) => [(x * 5) % 256, (y * 7) % 256, (x * y) % 256]);
    const base = sharp(src.data, { raw: { width: 48, height: 40, channels: 3 } });
    const fromPng = await preprocessImage(await base.clone().png().toBuffer(), { size: S });
    const fromTiff = await preprocessImage(await base.clone().tiff({ compression: 'lzw' }).toBuffer(), { size: S });
    const fromWebp = await preprocessImage(await base.clone().webp({ lossless: true }).toBuffer(), { size: S });
    const fromRaw = await preprocessImage(src, { size: S });
    expect(fromTiff).toEqual(fromPng);
    expect(fromWebp).toEqual(fromPng);
    expect(fromRaw).toEqual(fromPng);
  });

  it('uses a custom mean and std when given', async () => {
    const src = randomRgb(S, S, 9);
    const out = await preprocessImage(src, { size: S, mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1] });
    const v = src.data[0] ?? 0;
    expect(at(out, 0, 0, 0)).toBeCloseTo((v / 255 - 0.5) / 0.5, 5);
    expect(at(out, 2, 0, 0)).toBeCloseTo((src.data[2] ?? 0) / 255 - 0.5, 5);
  });

  it('rejects unreadable input as bad input naming it', async () => {
    const junk = new TextEncoder().encode('this is not an image');
    await expect(preprocessImage(junk, { size: S }, 'scan-17.png')).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/^scan-17\.png: not a readable image/),
    });
    await expect(
      preprocessImage({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 }, { size: S }, 'frame 3'),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/^frame 3: 10 bytes of pixels, 4×4×1 needs 16/),
    });
  });
});

describe('preprocessBatch', () => {
  it('stacks the images in input order, each as preprocessImage gives it', async () => {
    const inputs = [
      randomRgb(S, S, 21),
      randomRgb(50, 36, 22),
      await png(randomRgb(36, 70, 23)),
      randomRgb(S + 1, S, 24),
      randomRgb(40, 40, 25),
    ];
    const batch = await preprocessBatch(inputs, { size: S });
    const per = 3 * S * S;
    expect(batch.length).toBe(inputs.length * per);
    for (const [i, input] of inputs.entries()) {
      expect(batch.subarray(i * per, (i + 1) * per)).toEqual(await preprocessImage(input, { size: S }));
    }
  });

  it('names the failing input', async () => {
    const inputs = [randomRgb(S, S, 1), new Uint8Array([1, 2, 3])];
    await expect(preprocessBatch(inputs, { size: S }, ['a.png', 'b.png'])).rejects.toThrow(
      /^b\.png: not a readable image/,
    );
    await expect(preprocessBatch(inputs, { size: S })).rejects.toThrow(/^image 2: not a readable image/);
  });
});

describe('resizedSize', () => {
  it('scales the shorter side to the size and rounds the longer one down', () => {
    expect(resizedSize(640, 480, 224)).toEqual({ width: 298, height: 224 }); // 224·640/480 = 298.67
    expect(resizedSize(480, 640, 224)).toEqual({ width: 224, height: 298 });
    expect(resizedSize(100, 100, 224)).toEqual({ width: 224, height: 224 });
    expect(resizedSize(300, 1000, 224)).toEqual({ width: 224, height: 746 }); // 224·1000/300 = 746.67
  });
});
