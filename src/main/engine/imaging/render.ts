/**
 * Display rendering: any stored image as an 8-bit PNG scaled to fit maxSize (never enlarged).
 * DICOM: rescale, the file's first window (else its full range), MONOCHROME1 inverted.
 * Ordinary images: EXIF orientation applied; 16-bit grayscale stretched over its own range.
 */
import sharp from 'sharp';
import { badInput, VipError } from '@shared/errors';
import type { RenderedImage } from '@shared/contract';
import { readDicomAttributes } from './dicom-attributes';
import { parseDicomBytes } from './dicom-parse';
import { decodeFrame } from './dicom-pixels';
import { detectFormat, DICOM_MEDIA_TYPE } from './formats';
import { firstLine } from './probe';
import { firstWindow, toDisplayBytes } from './voi';

export interface RenderOptions {
  maxSize: number;
  frame: number;
}

export async function renderImage(bytes: Uint8Array, mediaType: string, opts: RenderOptions): Promise<RenderedImage> {
  try {
    return mediaType === DICOM_MEDIA_TYPE ? await renderDicom(bytes, opts) : await renderRaster(bytes, opts);
  } catch (err) {
    if (err instanceof VipError) throw err;
    throw badInput(`cannot render the image: ${firstLine(err)}`);
  }
}

async function renderDicom(bytes: Uint8Array, opts: RenderOptions): Promise<RenderedImage> {
  const format = detectFormat(bytes);
  if (format.kind !== 'dicom') throw badInput('the stored file is not DICOM');
  const { dataSet, transferSyntaxUid } = parseDicomBytes(bytes, format.layout);
  const attrs = readDicomAttributes(dataSet, transferSyntaxUid);
  const frame = decodeFrame(dataSet, attrs, opts.frame);
  if (frame.kind === 'rgb') return encodePng(frame.data, frame.width, frame.height, 3, opts.maxSize);
  const window = firstWindow(attrs.windowCenter, attrs.windowWidth, attrs.voiLutFunction);
  const gray = toDisplayBytes(frame.values, window, frame.monochrome1);
  return encodePng(gray, frame.width, frame.height, 1, opts.maxSize);
}

async function renderRaster(bytes: Uint8Array, opts: RenderOptions): Promise<RenderedImage> {
  const input = () => sharp(bytes, { page: opts.frame }).autoOrient();
  const meta = await sharp(bytes, { page: opts.frame }).metadata();
  const gray16 = meta.depth === 'ushort' && (meta.channels ?? 0) <= 2;
  if (gray16) {
    // sharp would just drop the low byte; stretch over the image's own range instead so detail stays visible.
    const { data, info } = await input()
      .toColourspace('grey16')
      .extractChannel(0)
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const values = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    return encodePng(toDisplayBytes(values, null, false), info.width, info.height, 1, opts.maxSize);
  }
  const keepSpace = meta.space === 'srgb' || meta.space === 'b-w';
  let pipeline = input();
  if (!keepSpace) pipeline = pipeline.toColourspace('srgb');
  const { data, info } = await pipeline
    .resize(opts.maxSize, opts.maxSize, { fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer({ resolveWithObject: true });
  return {
    mediaType: 'image/png',
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

async function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  maxSize: number,
): Promise<RenderedImage> {
  const { data, info } = await sharp(pixels, { raw: { width, height, channels } })
    .resize(maxSize, maxSize, { fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer({ resolveWithObject: true });
  return {
    mediaType: 'image/png',
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}
