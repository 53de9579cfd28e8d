/**
 * Values of interest: modality values to 8-bit display values, per DICOM PS3.3 C.11.2.1.2 (window functions LINEAR,
 * LINEAR_EXACT, SIGMOID) and C.11.2.1.1 (a VOI LUT, its output scaled from its bits per entry to 0..255).
 * With neither, the LINEAR window that spans the full range of the values.
 */
import { lookUp, type Lut } from './dicom-luts';

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface Window {
  center: number;
  width: number;
  fn: VoiFunction;
}

export function voiFunction(name: string | null): VoiFunction {
  return name === 'LINEAR_EXACT' || name === 'SIGMOID' ? name : 'LINEAR';
}

/** The window, or null when its width is not allowed for the function (LINEAR needs width >= 1, others > 0). */
export function usableWindow(center: number, width: number, fn: VoiFunction): Window | null {
  if (!Number.isFinite(center) || !Number.isFinite(width)) return null;
  if (fn === 'LINEAR' ? width < 1 : width <= 0) return null;
  return { center, width, fn };
}

export function valueRange(values: ArrayLike<number>, skip: number | null = null): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === skip) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/** The LINEAR window mapping min to 0 and max to 255 exactly: y = (x - min) / (max - min) * 255. */
export function fullRangeWindow(range: { min: number; max: number }): Window {
  return { center: (range.min + range.max + 1) / 2, width: range.max - range.min + 1, fn: 'LINEAR' };
}

/** One value through a window, 0..255 before rounding. */
export function applyWindow(x: number, w: Window): number {
  const { center: c, width } = w;
  switch (w.fn) {
    case 'LINEAR': {
      if (x <= c - 0.5 - (width - 1) / 2) return 0;
      if (x > c - 0.5 + (width - 1) / 2) return 255;
      // ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, multiplied out so exact halves stay exact in floating point.
      return ((x - c + 0.5) * 255) / (width - 1) + 127.5;
    }
    case 'LINEAR_EXACT': {
      if (x <= c - width / 2) return 0;
      if (x > c + width / 2) return 255;
      return ((x - c) * 255) / width + 127.5;
    }
    case 'SIGMOID':
      return 255 / (1 + Math.exp((-4 * (x - c)) / width));
  }
}

/** Display bytes through a window; MONOCHROME1 (or a user's invert) flips them afterwards. */
export function windowToBytes(values: ArrayLike<number>, w: Window, invert: boolean): Uint8Array {
  const out = new Uint8Array(values.length);
  if (w.fn === 'SIGMOID') {
    for (let i = 0; i < values.length; i++) {
      const y = Math.round(applyWindow(values[i]!, w));
      out[i] = invert ? 255 - y : y;
    }
    return out;
  }
  // LINEAR and LINEAR_EXACT are y = x * scale + offset between two thresholds: the same arithmetic as applyWindow,
  // hoisted out of the loop (this runs over every pixel of every rendered frame).
  const exact = w.fn === 'LINEAR_EXACT';
  const low = exact ? w.center - w.width / 2 : w.center - 0.5 - (w.width - 1) / 2;
  const high = exact ? w.center + w.width / 2 : w.center - 0.5 + (w.width - 1) / 2;
  const shift = exact ? -w.center : 0.5 - w.center;
  const divisor = exact ? w.width : w.width - 1;
  const black = invert ? 255 : 0;
  const white = invert ? 0 : 255;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x <= low) out[i] = black;
    else if (x > high) out[i] = white;
    else {
      const y = Math.round(((x + shift) * 255) / divisor + 127.5);
      out[i] = invert ? 255 - y : y;
    }
  }
  return out;
}

/** Display bytes through a VOI LUT: its entries span 0..2^bits - 1. */
export function voiLutToBytes(values: ArrayLike<number>, lut: Lut, invert: boolean): Uint8Array {
  const out = new Uint8Array(values.length);
  const top = 2 ** lut.bitsPerEntry - 1;
  for (let i = 0; i < values.length; i++) {
    const y = Math.min(255, Math.round((lookUp(lut, values[i]!) / top) * 255));
    out[i] = invert ? 255 - y : y;
  }
  return out;
}
