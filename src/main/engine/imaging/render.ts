/**
 * Display rendering: a stored image's frame as an 8-bit PNG scaled to fit maxSize (never enlarged), grayscale for
 * grayscale images and RGB otherwise. What is shown is `displayPixels` (VOI transform, MONOCHROME1, EXIF orientation).
 */
import sharp from 'sharp';
import { badInput, VipError } from '@shared/errors';
import type { RenderedImage } from '@shared/contract';
import { decodeImage } from './decode';
import { displayPixels, type DisplayOptions, type DisplayPixels } from './display';
import { DICOM_MEDIA_TYPE, detectFormat } from './formats';
import { firstLine } from './raster-image';

export interface RenderOptions extends DisplayOptions {
  maxSize: number;
  /** 0-based. */
  frame: number;
}

export async function renderImage(bytes: Uint8Array, mediaType: string, opts: RenderOptions): Promise<RenderedImage> {
  if (mediaType === DICOM_MEDIA_TYPE && detectFormat(bytes).kind !== 'dicom') {
    throw badInput('the stored file is not DICOM');
  }
  try {
    const pixels = displayPixels(await decodeImage(bytes, opts.frame), opts);
    return { ...(await encodePng(pixels, opts.maxSize)), window: pixels.window };
  } catch (err) {
    if (err instanceof VipError) throw err;
    throw badInput(`cannot render the image: ${firstLine(err)}`);
  }
}

/** Display pixels as a PNG (grey for one channel, else RGB), scaled down to fit maxSize x maxSize when larger. */
export async function encodePng(
  pixels: Pick<DisplayPixels, 'data' | 'width' | 'height' | 'channels'>,
  maxSize = Infinity,
): Promise<{ mediaType: 'image/png'; data: Uint8Array; width: number; height: number }> {
  let pipeline = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } });
  // Without this sharp writes one-channel input as an RGB PNG; grayscale stays one channel (8-bit grey PNG).
  if (pixels.channels === 1) pipeline = pipeline.toColourspace('b-w');
  if (Number.isFinite(maxSize) && Math.max(pixels.width, pixels.height) > maxSize) {
    pipeline = pipeline.resize(maxSize, maxSize, { fit: 'inside' });
  }
  const { data, info } = await pipeline.png().toBuffer({ resolveWithObject: true });
  return {
    mediaType: 'image/png',
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}
