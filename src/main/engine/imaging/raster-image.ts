/**
 * Ordinary images (JPEG, PNG, TIFF, WebP) through sharp, EXIF orientation applied: 16-bit grayscale as values to be
 * windowed like DICOM (no window: its own full range), 8-bit grayscale as values over 0..255 (shown as they are unless
 * a window is asked for), everything else as 8-bit sRGB with alpha dropped.
 */
import sharp, { type Metadata } from 'sharp';
import { badInput, VipError } from '@shared/errors';
import type { DecodedImage } from './decoded-image';
import type { RasterFormat } from './formats';
import { assertWithinPixelBudget, PIXEL_BUDGET } from './pixel-budget';

/** sharp's messages run over several lines; keep the first. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]?.trim() || 'unknown error';
}

const open = (bytes: Uint8Array, page: number) => sharp(bytes, { page, limitInputPixels: PIXEL_BUDGET });

/** Header facts, with the size checked against the pixel budget before anything is decoded. */
export async function rasterMetadata(bytes: Uint8Array, format: RasterFormat, page = 0): Promise<Metadata> {
  const label = format.toUpperCase();
  // Header only, without sharp's own pixel limit, so an oversized image gets the budget's message below.
  const header = (p: number) => sharp(bytes, { page: p, limitInputPixels: false }).metadata();
  let meta: Metadata;
  try {
    meta = await header(0);
  } catch (err) {
    throw badInput(`cannot read ${label} image: ${firstLine(err)}`);
  }
  const pages = Math.max(1, meta.pages ?? 1);
  if (page >= pages) throw badInput(`${label} image has ${pages} page(s); frame ${page + 1} does not exist`);
  if (page > 0) {
    try {
      meta = await header(page);
    } catch (err) {
      throw badInput(`cannot read page ${page + 1} of the ${label} image: ${firstLine(err)}`);
    }
  }
  if (!meta.width || !meta.height) throw badInput(`${label} image has no width or height`);
  assertWithinPixelBudget(meta.width, meta.height, `${label} image`);
  return meta;
}

const isGray = (meta: Metadata): boolean =>
  (meta.channels ?? 3) <= 2 || meta.space === 'b-w' || meta.space === 'grey16';

export async function decodeRaster(bytes: Uint8Array, format: RasterFormat, page: number): Promise<DecodedImage> {
  const meta = await rasterMetadata(bytes, format, page);
  try {
    if (isGray(meta) && meta.depth === 'ushort') {
      const { data, info } = await open(bytes, page)
        .autoOrient()
        .toColourspace('grey16')
        .extractChannel(0)
        .raw({ depth: 'ushort' })
        .toBuffer({ resolveWithObject: true });
      const words = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
      return grayImage(Float32Array.from(words), info.width, info.height, null);
    }
    if (isGray(meta)) {
      const { data, info } = await open(bytes, page)
        .autoOrient()
        .extractChannel(0)
        .raw()
        .toBuffer({ resolveWithObject: true });
      return grayImage(Float32Array.from(data), info.width, info.height, { min: 0, max: 255 });
    }
    const { data, info } = await open(bytes, page)
      .autoOrient()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new VipError('internal', `sharp gave ${info.channels} channels for sRGB`);
    return {
      kind: 'rgb',
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (err) {
    if (err instanceof VipError) throw err;
    throw badInput(`cannot decode ${format.toUpperCase()} image: ${firstLine(err)}`);
  }
}

function grayImage(
  values: Float32Array,
  width: number,
  height: number,
  naturalRange: { min: number; max: number } | null,
): DecodedImage {
  return {
    kind: 'gray',
    width,
    height,
    values,
    monochrome1: false,
    windows: [],
    voiFunction: 'LINEAR',
    voiLuts: [],
    naturalRange,
    paddingValue: null,
  };
}
