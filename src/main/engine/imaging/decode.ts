/** Any supported file (DICOM or an ordinary image, recognised from its bytes) to one decoded frame. */
import { badInput } from '@shared/errors';
import { decodeDicom } from './dicom-image';
import type { DecodedImage } from './decoded-image';
import { detectFormat, unsupportedFormatMessage } from './formats';
import { decodeRaster } from './raster-image';

/** `frame` is 0-based: a DICOM frame or a page of a multi-page TIFF. */
export async function decodeImage(bytes: Uint8Array, frame = 0): Promise<DecodedImage> {
  if (bytes.length === 0) throw badInput('empty file (0 bytes)');
  const format = detectFormat(bytes);
  switch (format.kind) {
    case 'dicom':
      return decodeDicom(bytes, format.layout, frame);
    case 'raster':
      return decodeRaster(bytes, format.format, frame);
    case 'unknown':
      throw badInput(unsupportedFormatMessage(format.hint));
  }
}
