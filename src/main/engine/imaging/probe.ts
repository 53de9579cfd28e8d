/**
 * What an incoming file is: its format, size in pixels, frames and (for DICOM) the attributes kept.
 * Everything wrong with a file becomes a one-line badInput naming the problem (the importer adds the path).
 */
import sharp, { type Metadata } from 'sharp';
import { badInput, VipError } from '@shared/errors';
import { hasPixelData, readDicomAttributes, readPatientId, type DicomAttributes } from './dicom-attributes';
import { parseDicomBytes } from './dicom-parse';
import { assertPixelDataComplete, unsupportedReason } from './dicom-pixels';
import {
  detectFormat,
  DICOM_EXT,
  DICOM_MEDIA_TYPE,
  rasterMediaTypes,
  unsupportedFormatMessage,
  type RasterFormat,
} from './formats';

export interface ImageProbe {
  mediaType: string;
  ext: string;
  /** As displayed (after EXIF orientation). */
  width: number;
  height: number;
  frameCount: number;
  /** EXIF orientation (1..8) of ordinary images; null when absent or for DICOM. */
  orientation: number | null;
  dicom: DicomAttributes | null;
  /** Only for deriving the salted patient key; never store it. */
  patientId: string | null;
}

export async function probeImage(bytes: Uint8Array): Promise<ImageProbe> {
  if (bytes.length === 0) throw badInput('empty file (0 bytes)');
  const format = detectFormat(bytes);
  switch (format.kind) {
    case 'raster':
      return probeRaster(bytes, format.format);
    case 'dicom':
      return probeDicom(bytes, format.layout);
    case 'unknown':
      throw badInput(unsupportedFormatMessage(format.hint));
  }
}

/** sharp's messages run over several lines; keep the first. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]?.trim() || 'unknown error';
}

async function probeRaster(bytes: Uint8Array, format: RasterFormat): Promise<ImageProbe> {
  const label = format.toUpperCase();
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
    // Decode once (small) so a truncated or corrupt file is refused now rather than failing on display.
    await sharp(bytes).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (err) {
    throw badInput(`cannot read ${label} image: ${firstLine(err)}`);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw badInput(`${label} image has no width or height`);
  const { mediaType, ext } = rasterMediaTypes[format];
  return {
    mediaType,
    ext,
    width,
    height,
    frameCount: Math.max(1, meta.pages ?? 1),
    orientation: meta.orientation ?? null,
    dicom: null,
    patientId: null,
  };
}

function probeDicom(bytes: Uint8Array, layout: Parameters<typeof parseDicomBytes>[1]): ImageProbe {
  const { dataSet, transferSyntaxUid } = parseDicomBytes(bytes, layout);
  const attrs = readDicomAttributes(dataSet, transferSyntaxUid);
  if (!hasPixelData(dataSet)) {
    throw badInput('DICOM file has no pixel data (not an image: a DICOMDIR, report or presentation state?)');
  }
  if (attrs.rows < 1 || attrs.columns < 1) throw badInput('DICOM image has no Rows/Columns');
  // Native pixel data can be checked for completeness now; compressed data is checked when a codec decodes it.
  if (unsupportedReason(attrs, dataSet) === null) {
    try {
      assertPixelDataComplete(attrs, dataSet);
    } catch (err) {
      if (err instanceof VipError) throw err;
      throw badInput(`DICOM pixel data is unreadable: ${firstLine(err)}`);
    }
  }
  return {
    mediaType: DICOM_MEDIA_TYPE,
    ext: DICOM_EXT,
    width: attrs.columns,
    height: attrs.rows,
    frameCount: attrs.numberOfFrames,
    orientation: null,
    dicom: attrs,
    patientId: readPatientId(dataSet),
  };
}
