/**
 * Image files as the model reads them: raster formats as they are, DICOM through the display pipeline (rescale, the
 * file's first window, MONOCHROME1 inverted), so a radiograph looks to CLIP as it looks on the screen. The format
 * comes from the bytes, never from the file name.
 */
import { readFile } from 'node:fs/promises';
import { badInput } from '@shared/errors';
import { DICOM_MEDIA_TYPE, detectFormat, unsupportedFormatMessage } from '../imaging/formats';
import { renderImage } from '../imaging/render';

/** Largest side a DICOM frame is rendered at before the model's own resize. */
const DICOM_RENDER_SIZE = 2048;

/** Bytes sharp can decode: the file itself, or a PNG rendering of a DICOM frame. */
export async function modelInputBytes(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  const format = detectFormat(bytes);
  if (format.kind === 'raster') return bytes;
  if (format.kind === 'dicom') {
    try {
      return (await renderImage(bytes, DICOM_MEDIA_TYPE, { maxSize: DICOM_RENDER_SIZE, frame: 0 })).data;
    } catch (err) {
      throw badInput(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw badInput(`${name}: ${unsupportedFormatMessage(format.hint)}`);
}

export async function readImageBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw badInput(`cannot read image ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
