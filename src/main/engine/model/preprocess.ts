/**
 * CLIP image preprocessing (VIP_METHOD.md §1), with sharp: RGB (EXIF orientation applied, alpha dropped, grayscale
 * copied to three channels) → resize so the shorter side equals the input size, bicubic → center crop → /255 →
 * normalise per channel → Float32Array in CHW order, ready for the ONNX vision tower's `pixel_values`.
 *
 * Sizes follow Hugging Face's CLIPImageProcessor: the shorter side becomes the shortest edge (usually the input size),
 * the longer floor(edge · long / short), and the crop offset is floor((side − size) / 2). An image already at the
 * resized size is not resampled at all.
 */
import sharp from 'sharp';
import { VipError, badInput } from '@shared/errors';
import type { Preprocessing } from './package';

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

type Triple = readonly [number, number, number];

/** Decoded 8-bit pixels, row-major and interleaved (e.g. DICOM display pixels from the imaging module). */
export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** An encoded image file's bytes (PNG, JPEG, TIFF, WebP, ...) or decoded pixels. */
export type ImageInput = Uint8Array | RawPixels;

export interface PreprocessOptions {
  /** The model's input size (square), e.g. 224: the side of the center crop. */
  size: number;
  /** The shorter side after resizing, before the crop (HF `size.shortest_edge`); default `size`. */
  shortestEdge?: number;
  mean?: Triple;
  std?: Triple;
}

/** Options from a model package manifest's `preprocessing` block. */
export function optionsFromManifest(p: Preprocessing): PreprocessOptions {
  return { size: p.cropSize, shortestEdge: p.imageSize, mean: p.mean, std: p.std };
}

/** 8-bit interleaved RGB. */
interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** `[3, size, size]` for one image. `name` identifies the input in error messages (a file name, a case id). */
export async function preprocessImage(
  input: ImageInput,
  options: PreprocessOptions,
  name = 'image',
): Promise<Float32Array> {
  checkOptions(options);
  const out = new Float32Array(3 * options.size * options.size);
  await preprocessInto(input, options, name, out, 0);
  return out;
}

/** `[N, 3, size, size]` for a batch, in input order. `names[i]` identifies input i in error messages. */
export async function preprocessBatch(
  inputs: readonly ImageInput[],
  options: PreprocessOptions,
  names: readonly string[] = [],
): Promise<Float32Array> {
  checkOptions(options);
  const per = 3 * options.size * options.size;
  const out = new Float32Array(inputs.length * per);
  // sharp works on libuv's thread pool; a few images in flight keep it busy without holding every decode in memory.
  const inFlight = 4;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < inputs.length; i = next++) {
      await preprocessInto(inputs[i] as ImageInput, options, names[i] ?? `image ${i + 1}`, out, i * per);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, inputs.length) }, worker));
  return out;
}

/** The size after the shorter side is scaled to `size` (the longer side rounded down, as CLIPImageProcessor does). */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  return width <= height
    ? { width: size, height: Math.floor((size * height) / width) }
    : { width: Math.floor((size * width) / height), height: size };
}

async function preprocessInto(
  input: ImageInput,
  options: PreprocessOptions,
  name: string,
  out: Float32Array,
  offset: number,
): Promise<void> {
  const rgb = await toRgb(input, name);
  const resized = await resize(rgb, options.shortestEdge ?? options.size, name);
  normaliseCenterCrop(resized, options, out, offset);
}

async function toRgb(input: ImageInput, name: string): Promise<Rgb> {
  if (input instanceof Uint8Array) {
    try {
      // autoOrient applies the EXIF orientation; srgb output turns grayscale, CMYK and 16-bit images into 8-bit RGB.
      const { data, info } = await sharp(input, { autoOrient: true })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      return interleavedRgb(
        new Uint8Array(data.buffer, data.byteOffset, data.length),
        info.width,
        info.height,
        info.channels,
        name,
      );
    } catch (err) {
      if (err instanceof VipError) throw err;
      throw badInput(`${name}: not a readable image (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const { data, width, height, channels } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw badInput(`${name}: pixel size ${width}×${height} is not a positive whole size`);
  }
  if (channels !== 1 && channels !== 3)
    throw badInput(`${name}: ${String(channels)} channels; only 1 (gray) or 3 (RGB)`);
  if (data.length !== width * height * channels) {
    throw badInput(
      `${name}: ${data.length} bytes of pixels, ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  }
  return interleavedRgb(data, width, height, channels, name);
}

function interleavedRgb(data: Uint8Array, width: number, height: number, channels: number, name: string): Rgb {
  if (channels === 3) return { data, width, height };
  if (channels !== 1) throw new VipError('internal', `${name}: decoder gave ${channels} channels`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.fill(data[i] ?? 0, 3 * i, 3 * i + 3);
  return { data: rgb, width, height };
}

async function resize(rgb: Rgb, size: number, name: string): Promise<Rgb> {
  const target = resizedSize(rgb.width, rgb.height, size);
  if (target.width === rgb.width && target.height === rgb.height) return rgb;
  try {
    const data = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
      .resize(target.width, target.height, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), ...target };
  } catch (err) {
    throw new VipError('internal', `${name}: resizing failed`, err instanceof Error ? err.message : String(err));
  }
}

function normaliseCenterCrop(rgb: Rgb, options: PreprocessOptions, out: Float32Array, offset: number): void {
  const { size } = options;
  const mean = options.mean ?? CLIP_MEAN;
  const std = options.std ?? CLIP_STD;
  const left = Math.floor((rgb.width - size) / 2);
  const top = Math.floor((rgb.height - size) / 2);
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    // (v/255 − mean)/std as one multiply-add per pixel.
    const m = mean[c] ?? 0;
    const sd = std[c] ?? 1;
    const scale = 1 / (255 * sd);
    const shift = -m / sd;
    const base = offset + c * plane;
    for (let y = 0; y < size; y++) {
      const row = ((top + y) * rgb.width + left) * 3 + c;
      for (let x = 0; x < size; x++) out[base + y * size + x] = (rgb.data[row + 3 * x] ?? 0) * scale + shift;
    }
  }
}

function checkOptions(options: PreprocessOptions): void {
  if (!Number.isInteger(options.size) || options.size < 1) {
    throw new VipError('internal', `preprocess: input size ${options.size} is not a positive integer`);
  }
  const edge = options.shortestEdge;
  if (edge !== undefined && (!Number.isInteger(edge) || edge < options.size)) {
    throw new VipError(
      'internal',
      `preprocess: shortest edge ${edge} is not a whole number ≥ the crop ${options.size}`,
    );
  }
  for (const [label, v] of [
    ['mean', options.mean],
    ['std', options.std],
  ] as const) {
    if (v !== undefined && (v.length !== 3 || v.some((x) => !Number.isFinite(x) || (label === 'std' && x <= 0)))) {
      throw new VipError(
        'internal',
        `preprocess: ${label} must be three finite numbers${label === 'std' ? ' above 0' : ''}`,
      );
    }
  }
}
