/**
 * Values of interest: mapping modality values (after rescale) to 8-bit display values, per DICOM PS3.3
 * C.11.2.1.2 (LINEAR, LINEAR_EXACT, SIGMOID), or linearly over the image's own range when it has no window.
 */

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface Window {
  center: number;
  width: number;
  fn: VoiFunction;
}

/** The first usable window of a file, or null (then the full range is used). */
export function firstWindow(centers: number[], widths: number[], fn: string | null): Window | null {
  const center = centers[0];
  const width = widths[0];
  if (center === undefined || width === undefined) return null;
  const f: VoiFunction = fn === 'LINEAR_EXACT' || fn === 'SIGMOID' ? fn : 'LINEAR';
  // LINEAR needs width >= 1; the others any positive width.
  if (f === 'LINEAR' ? width < 1 : width <= 0) return null;
  return { center, width, fn: f };
}

export function valueRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length ? { min, max } : { min: 0, max: 0 };
}

/** One value through a window, 0..255 before rounding. */
export function applyWindow(x: number, w: Window): number {
  const { center: c, width } = w;
  switch (w.fn) {
    case 'LINEAR': {
      if (x <= c - 0.5 - (width - 1) / 2) return 0;
      if (x > c - 0.5 + (width - 1) / 2) return 255;
      return ((x - (c - 0.5)) / (width - 1) + 0.5) * 255;
    }
    case 'LINEAR_EXACT': {
      if (x <= c - width / 2) return 0;
      if (x > c + width / 2) return 255;
      return ((x - c) / width + 0.5) * 255;
    }
    case 'SIGMOID':
      return 255 / (1 + Math.exp((-4 * (x - c)) / width));
  }
}

/** Display bytes of a single-channel image: through the window, else stretched over [min, max]; optionally inverted. */
export function toDisplayBytes(values: ArrayLike<number>, window: Window | null, invert: boolean): Uint8Array {
  const out = new Uint8Array(values.length);
  let map: (x: number) => number;
  if (window) map = (x) => applyWindow(x, window);
  else {
    const { min, max } = valueRange(values);
    const span = max - min;
    map = span > 0 ? (x) => ((x - min) / span) * 255 : () => 0;
  }
  for (let i = 0; i < values.length; i++) {
    const y = Math.round(map(values[i]!));
    const clamped = y < 0 ? 0 : y > 255 ? 255 : y;
    out[i] = invert ? 255 - clamped : clamped;
  }
  return out;
}
