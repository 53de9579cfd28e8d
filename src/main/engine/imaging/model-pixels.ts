/**
 * Model pixels: what CLIP sees of an image is what the clinician sees, the display pixels (the file's default window
 * for DICOM, MONOCHROME1 inverted, EXIF orientation applied) as 8-bit RGB, grayscale copied to three channels. The
 * result goes to the CLIP preprocessing (model/preprocess.ts accepts it as RawPixels).
 */
import { decodeImage } from './decode';
import { displayPixels, type DisplayOptions } from './display';

export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** The display pixels of frame `frame` (0-based) of an image file, as interleaved RGB. */
export async function modelPixels(bytes: Uint8Array, frame = 0, opts: DisplayOptions = {}): Promise<RgbPixels> {
  const shown = displayPixels(await decodeImage(bytes, frame), opts);
  return { data: asRgb(shown.data, shown.channels), width: shown.width, height: shown.height, channels: 3 };
}

export function asRgb(data: Uint8Array, channels: 1 | 3): Uint8Array {
  if (channels === 3) return data;
  const rgb = new Uint8Array(data.length * 3);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    rgb[3 * i] = v;
    rgb[3 * i + 1] = v;
    rgb[3 * i + 2] = v;
  }
  return rgb;
}
