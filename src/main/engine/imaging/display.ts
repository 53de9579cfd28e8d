/**
 * Display pixels of a decoded frame: 8-bit grayscale through the VOI transform (a window asked for, else the file's
 * first window, else its first VOI LUT, else the full range of values), MONOCHROME1 inverted; colour as it is.
 * An `invert` asked for flips the result once more.
 */
import type { DecodedImage, GrayImage } from './decoded-image';
import { fullRangeWindow, usableWindow, valueRange, voiLutToBytes, windowToBytes, type Window } from './voi';

export interface DisplayOptions {
  /** Overrides the file's window (the viewer's interactive window/level). */
  window?: { center: number; width: number };
  invert?: boolean;
}

export interface DisplayPixels {
  /** Row-major, interleaved when RGB. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
  /** The window applied to grayscale; null for colour or when a VOI LUT was used. */
  window: { center: number; width: number } | null;
  /** The VOI LUT applied instead of a window, by name. */
  voiLut: string | null;
}

export function displayPixels(image: DecodedImage, opts: DisplayOptions = {}): DisplayPixels {
  const { width, height } = image;
  if (image.kind === 'rgb') {
    const data = opts.invert ? image.data.map((v) => 255 - v) : image.data;
    return { data, width, height, channels: 3, window: null, voiLut: null };
  }
  const invert = image.monochrome1 !== (opts.invert === true);
  const lut = image.voiLuts[0];
  if (!opts.window && image.windows.length === 0 && lut) {
    return {
      data: voiLutToBytes(image.values, lut, invert),
      width,
      height,
      channels: 1,
      window: null,
      voiLut: lut.name,
    };
  }
  const w = chosenWindow(image, opts.window);
  return {
    data: windowToBytes(image.values, w, invert),
    width,
    height,
    channels: 1,
    window: { center: w.center, width: w.width },
    voiLut: null,
  };
}

function chosenWindow(image: GrayImage, asked: DisplayOptions['window']): Window {
  if (asked) {
    // LINEAR is defined for widths of at least 1; a narrower request is the narrowest window there is.
    const width = image.voiFunction === 'LINEAR' ? Math.max(1, asked.width) : asked.width;
    const w = usableWindow(asked.center, width, image.voiFunction);
    if (w) return w;
  }
  const first = image.windows[0];
  if (first) return { center: first.center, width: first.width, fn: image.voiFunction };
  return fullRangeWindow(image.naturalRange ?? valueRange(image.values, image.paddingValue));
}
