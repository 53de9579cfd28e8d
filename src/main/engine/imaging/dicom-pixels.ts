/**
 * One frame of native (uncompressed, little-endian) DICOM pixel data: grayscale as modality values
 * (stored value x RescaleSlope + RescaleIntercept), colour as interleaved 8-bit RGB.
 * Compressed transfer syntaxes end in a clear error until the codec issue adds them.
 */
import type { DataSet } from 'dicom-parser';
import { badInput } from '@shared/errors';
import type { DicomAttributes } from './dicom-attributes';
import { isNativeLittleEndian, transferSyntaxLabel } from './transfer-syntax';

export type DicomFrame =
  | { kind: 'gray'; width: number; height: number; values: Float32Array; monochrome1: boolean }
  | { kind: 'rgb'; width: number; height: number; data: Uint8Array };

/** Why this file cannot be decoded by this version, or null when it can. */
export function unsupportedReason(a: DicomAttributes, ds: DataSet): string | null {
  if (!isNativeLittleEndian(a.transferSyntaxUid) || a.encapsulated) {
    return `transfer syntax ${transferSyntaxLabel(a.transferSyntaxUid)} is not supported yet`;
  }
  if (!ds.elements['x7fe00010']) return 'DICOM pixel data other than integer (float or double) is not supported yet';
  if (![8, 16, 32].includes(a.bitsAllocated)) return `DICOM BitsAllocated ${a.bitsAllocated} is not supported yet`;
  if (a.bitsStored < 1 || a.bitsStored > a.bitsAllocated)
    return `DICOM BitsStored ${a.bitsStored} does not fit BitsAllocated ${a.bitsAllocated}`;
  const pi = a.photometricInterpretation ?? (a.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
  if (a.samplesPerPixel === 1 && pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2') {
    return `DICOM photometric interpretation ${pi} is not supported yet`;
  }
  if (a.samplesPerPixel === 3 && !((pi === 'RGB' || pi === 'YBR_FULL') && a.bitsAllocated === 8)) {
    return `DICOM colour images other than 8-bit RGB or YBR_FULL (${pi}, ${a.bitsAllocated}-bit) are not supported yet`;
  }
  if (a.samplesPerPixel !== 1 && a.samplesPerPixel !== 3)
    return `DICOM SamplesPerPixel ${a.samplesPerPixel} is not supported`;
  return null;
}

export function frameByteLength(a: DicomAttributes): number {
  return a.rows * a.columns * a.samplesPerPixel * (a.bitsAllocated / 8);
}

/** Throws badInput when the native pixel data is shorter than Rows x Columns x frames. */
export function assertPixelDataComplete(a: DicomAttributes, ds: DataSet): void {
  const el = ds.elements['x7fe00010'];
  if (!el) return;
  const needed = frameByteLength(a) * a.numberOfFrames;
  const available = Math.min(el.length, ds.byteArray.length - el.dataOffset);
  if (available < needed) {
    throw badInput(
      `DICOM pixel data holds ${available} bytes; Rows x Columns x frames needs ${needed} (truncated file?)`,
    );
  }
}

export function decodeFrame(ds: DataSet, a: DicomAttributes, frame: number): DicomFrame {
  const reason = unsupportedReason(a, ds);
  if (reason) throw badInput(reason);
  if (a.rows < 1 || a.columns < 1) throw badInput('DICOM image has no Rows/Columns');
  if (frame >= a.numberOfFrames)
    throw badInput(`DICOM image has ${a.numberOfFrames} frame(s); frame ${frame} does not exist`);
  assertPixelDataComplete(a, ds);
  const el = ds.elements['x7fe00010']!;
  const bytes = ds.byteArray;
  const start = el.dataOffset + frame * frameByteLength(a);
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, frameByteLength(a));
  const n = a.rows * a.columns;
  if (a.samplesPerPixel === 3) return { kind: 'rgb', width: a.columns, height: a.rows, data: readColour(view, a, n) };
  const stored = storedValueReader(view, a);
  const slope = a.rescaleSlope === 0 ? 1 : a.rescaleSlope;
  // Float32 halves the memory of large frames; display needs far less precision than it keeps.
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = stored(i) * slope + a.rescaleIntercept;
  return {
    kind: 'gray',
    width: a.columns,
    height: a.rows,
    values,
    monochrome1: a.photometricInterpretation === 'MONOCHROME1',
  };
}

/** Stored values: the BitsStored bits ending at HighBit, sign-extended when PixelRepresentation is 1. */
function storedValueReader(view: DataView, a: DicomAttributes): (i: number) => number {
  const bits = a.bitsStored;
  const divisor = 2 ** Math.max(0, a.highBit + 1 - bits);
  const range = 2 ** bits;
  const signBit = 2 ** (bits - 1);
  const signed = a.pixelRepresentation === 1;
  const raw =
    a.bitsAllocated === 8
      ? (i: number) => view.getUint8(i)
      : a.bitsAllocated === 16
        ? (i: number) => view.getUint16(i * 2, true)
        : (i: number) => view.getUint32(i * 4, true);
  return (i) => {
    // Arithmetic instead of bit operators: 32-bit values overflow JavaScript's signed 32-bit bit ops.
    const v = Math.floor(raw(i) / divisor) % range;
    return signed && v >= signBit ? v - range : v;
  };
}

function readColour(view: DataView, a: DicomAttributes, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  const planar = a.planarConfiguration === 1;
  const ybr = a.photometricInterpretation === 'YBR_FULL';
  for (let i = 0; i < n; i++) {
    const s0 = planar ? view.getUint8(i) : view.getUint8(i * 3);
    const s1 = planar ? view.getUint8(n + i) : view.getUint8(i * 3 + 1);
    const s2 = planar ? view.getUint8(2 * n + i) : view.getUint8(i * 3 + 2);
    if (ybr) {
      // PS3.3 C.7.6.3.1.2: YBR_FULL to RGB.
      out[i * 3] = clampByte(s0 + 1.402 * (s2 - 128));
      out[i * 3 + 1] = clampByte(s0 - 0.344136 * (s1 - 128) - 0.714136 * (s2 - 128));
      out[i * 3 + 2] = clampByte(s0 + 1.772 * (s1 - 128));
    } else {
      out[i * 3] = s0;
      out[i * 3 + 1] = s1;
      out[i * 3 + 2] = s2;
    }
  }
  return out;
}

const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
