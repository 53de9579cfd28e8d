/**
 * What an incoming file is: its format, size in pixels, frames and (for DICOM) the attributes kept.
 * Everything wrong with a file becomes a one-line badInput naming the problem (the importer adds the path): the header
 * is checked, and the first frame of compressed DICOM (up to PROBE_DECODE_PIXELS) and a small version of an ordinary
 * image are decoded, so a corrupt file is refused at import rather than failing later on display.
 */
import sharp from 'sharp';
import { badInput, VipError } from '@shared/errors';
import { readPatientId, type DicomAttributes } from './dicom-attributes';
import { checkCompressedFrame, decodeDicomFrame, openDicom } from './dicom-image';
import {
  detectFormat,
  DICOM_EXT,
  DICOM_MEDIA_TYPE,
  rasterMediaTypes,
  unsupportedFormatMessage,
  type DicomLayout,
  type RasterFormat,
} from './formats';
import { PIXEL_BUDGET } from './pixel-budget';
import { firstLine, rasterMetadata } from './raster-image';

export { firstLine };

/**
 * Compressed frames up to this size (CT and MR slices, ultrasound, most secondary captures) are decoded at import, so
 * a corrupt one is refused then. Larger ones (radiographs, mammograms) are only checked for a valid codestream start:
 * decoding a 2k x 2k JPEG 2000 frame takes seconds in WebAssembly, and the viewer decodes it when shown anyway.
 */
export const PROBE_DECODE_PIXELS = 1024 * 1024;

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

async function probeRaster(bytes: Uint8Array, format: RasterFormat): Promise<ImageProbe> {
  const meta = await rasterMetadata(bytes, format);
  try {
    // Decode once (small) so a truncated or corrupt file is refused now rather than failing on display.
    await sharp(bytes, { limitInputPixels: PIXEL_BUDGET }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (err) {
    throw badInput(`cannot read ${format.toUpperCase()} image: ${firstLine(err)}`);
  }
  const { mediaType, ext } = rasterMediaTypes[format];
  return {
    mediaType,
    ext,
    width: meta.autoOrient?.width ?? meta.width!,
    height: meta.autoOrient?.height ?? meta.height!,
    frameCount: Math.max(1, meta.pages ?? 1),
    orientation: meta.orientation ?? null,
    dicom: null,
    patientId: null,
  };
}

async function probeDicom(bytes: Uint8Array, layout: DicomLayout): Promise<ImageProbe> {
  const dicom = openDicom(bytes, layout);
  const attrs = dicom.attrs;
  if (dicom.syntax.encoding !== 'native') {
    try {
      if (attrs.rows * attrs.columns <= PROBE_DECODE_PIXELS) await decodeDicomFrame(dicom, 0);
      else checkCompressedFrame(dicom, 0);
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
    patientId: readPatientId(dicom.dataSet),
  };
}
