/**
 * Decoded sample bytes (little endian, as native pixel data or as a codec returns them) to numbers: grayscale stored
 * values (BitsStored bits ending at HighBit, sign-extended for PixelRepresentation 1), and colour samples to 8-bit RGB
 * (planar configuration 0 and 1; RGB, YBR_FULL, YBR_FULL_422, YBR_PARTIAL_422 per PS3.3 C.7.6.3.1.2).
 */

export interface SampleLayout {
  width: number;
  height: number;
  samplesPerPixel: number;
  /** 8, 16 or 32: bytes per sample x 8. */
  bitsAllocated: number;
  bitsStored: number;
  /** HighBit + 1 - BitsStored: how far the stored bits sit above bit 0 (native data only; codecs return 0). */
  shift: number;
  signed: boolean;
  planar: boolean;
  photometric: string;
  /** Native YBR_*_422: Y1 Y2 Cb Cr for each pair of pixels. */
  packed422: boolean;
}

/** Stored values of a single-sample frame. Float32 holds integers exactly up to 2^24, which covers real data. */
export function storedValues(data: Uint8Array, l: SampleLayout): Float32Array {
  const n = l.width * l.height;
  const out = new Float32Array(n);
  const bits = l.bitsStored;
  if (l.bitsAllocated <= 16 && bits <= 16) {
    const mask = (1 << bits) - 1;
    const signBit = 1 << (bits - 1);
    const range = 1 << bits;
    const words = l.bitsAllocated === 8 ? data : uint16View(data);
    for (let i = 0; i < n; i++) {
      const v = (words[i]! >>> l.shift) & mask;
      out[i] = l.signed && v & signBit ? v - range : v;
    }
    return out;
  }
  // 32-bit words: arithmetic instead of bit operators, which are signed 32-bit in JavaScript.
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const divisor = 2 ** l.shift;
  const range = 2 ** bits;
  const signBit = 2 ** (bits - 1);
  for (let i = 0; i < n; i++) {
    const v = Math.floor(view.getUint32(i * 4, true) / divisor) % range;
    out[i] = l.signed && v >= signBit ? v - range : v;
  }
  return out;
}

function uint16View(data: Uint8Array): Uint16Array {
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.byteLength >>> 1);
  return new Uint16Array(Uint8Array.from(data).buffer, 0, data.byteLength >>> 1);
}

/** Interleaved 8-bit RGB of a three-sample frame. */
export function rgbFromSamples(data: Uint8Array, l: SampleLayout): Uint8Array {
  const n = l.width * l.height;
  const sample = sampleTo8Bit(data, l);
  const out = new Uint8Array(n * 3);
  if (l.packed422) {
    unpack422(sample, n, out, l.photometric === 'YBR_PARTIAL_422' ? ybrPartialToRgb : ybrFullToRgb);
    return out;
  }
  const at = l.planar ? (i: number, c: number) => sample(c * n + i) : (i: number, c: number) => sample(i * 3 + c);
  const convert =
    l.photometric === 'YBR_FULL' ? ybrFullToRgb : l.photometric.startsWith('YBR_PARTIAL') ? ybrPartialToRgb : null;
  for (let i = 0; i < n; i++) {
    const s0 = at(i, 0);
    const s1 = at(i, 1);
    const s2 = at(i, 2);
    if (convert) convert(s0, s1, s2, out, i * 3);
    else {
      out[i * 3] = s0;
      out[i * 3 + 1] = s1;
      out[i * 3 + 2] = s2;
    }
  }
  return out;
}

/** Sample k (in storage order) scaled to 0..255: 16-bit colour keeps its top eight stored bits' worth of range. */
function sampleTo8Bit(data: Uint8Array, l: SampleLayout): (k: number) => number {
  const mask = 2 ** l.bitsStored - 1;
  if (l.bitsAllocated === 8) {
    return l.bitsStored >= 8 && l.shift === 0 ? (k) => data[k]! : (k) => (((data[k]! >>> l.shift) & mask) * 255) / mask;
  }
  const words = uint16View(data);
  return (k) => (((words[k]! >>> l.shift) & mask) * 255) / mask;
}

type YbrToRgb = (y: number, cb: number, cr: number, out: Uint8Array, at: number) => void;

const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** PS3.3 C.7.6.3.1.2, YBR_FULL: full-range ITU-R BT.601 with chroma offset 128. */
const ybrFullToRgb: YbrToRgb = (y, cb, cr, out, at) => {
  out[at] = clampByte(y + 1.402 * (cr - 128));
  out[at + 1] = clampByte(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
  out[at + 2] = clampByte(y + 1.772 * (cb - 128));
};

/** YBR_PARTIAL: luminance 16..235, chroma 16..240 (BT.601 studio range). */
const ybrPartialToRgb: YbrToRgb = (y, cb, cr, out, at) => {
  const l = 1.164383 * (y - 16);
  out[at] = clampByte(l + 1.596027 * (cr - 128));
  out[at + 1] = clampByte(l - 0.391762 * (cb - 128) - 0.812968 * (cr - 128));
  out[at + 2] = clampByte(l + 2.017232 * (cb - 128));
};

/** Native 4:2:2: each pair of pixels is stored as Y1 Y2 Cb Cr and shares its chroma. */
function unpack422(sample: (k: number) => number, n: number, out: Uint8Array, convert: YbrToRgb): void {
  for (let pair = 0; pair * 2 < n; pair++) {
    const k = pair * 4;
    const cb = sample(k + 2);
    const cr = sample(k + 3);
    convert(sample(k), cb, cr, out, pair * 6);
    if (pair * 2 + 1 < n) convert(sample(k + 1), cb, cr, out, pair * 6 + 3);
  }
}
