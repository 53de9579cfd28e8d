/**
 * The bytes of one frame of DICOM pixel data, as stored: native frames (copied into little-endian order for Explicit
 * VR Big Endian, unpacked to one byte per pixel for 1-bit data) or the compressed bitstream of an encapsulated frame
 * (PS3.5 A.4: fragments found through the Extended or Basic Offset Table, one fragment per frame, or the start
 * marker of each codestream).
 */
import type { DataSet, Element, Fragment } from 'dicom-parser';
import { badInput } from '@shared/errors';
import type { DicomAttributes } from './dicom-attributes';
import type { PixelEncoding } from './transfer-syntax';

/** Bytes per frame of native pixel data (YBR_FULL_422 stores two luminance and two chroma samples per two pixels). */
export function nativeFrameByteLength(a: DicomAttributes): number {
  const pixels = a.rows * a.columns;
  if (a.bitsAllocated === 1) return Math.ceil(pixels / 8);
  const samplesPerPixel = isSubsampled422(a) ? 2 : a.samplesPerPixel;
  return pixels * samplesPerPixel * (a.bitsAllocated / 8);
}

export const isSubsampled422 = (a: DicomAttributes): boolean =>
  a.samplesPerPixel === 3 && /^YBR_(FULL|PARTIAL)_422$/.test(a.photometricInterpretation ?? '');

/** Throws badInput when native pixel data is shorter than Rows x Columns x frames (a truncated file). */
export function assertNativePixelDataComplete(a: DicomAttributes, ds: DataSet): void {
  const el = ds.elements['x7fe00010'];
  if (!el) return;
  const needed =
    a.bitsAllocated === 1
      ? Math.ceil((a.rows * a.columns * a.numberOfFrames) / 8)
      : nativeFrameByteLength(a) * a.numberOfFrames;
  const available = Math.max(0, Math.min(el.length, ds.byteArray.length - el.dataOffset));
  if (available < needed) {
    throw badInput(
      `DICOM pixel data holds ${available} bytes; Rows x Columns x frames needs ${needed} (truncated file?)`,
    );
  }
}

/** One native frame in little-endian sample order. 1-bit data comes back as one byte (0 or 1) per pixel. */
export function nativeFrameBytes(ds: DataSet, a: DicomAttributes, frame: number, bigEndian: boolean): Uint8Array {
  assertNativePixelDataComplete(a, ds);
  const el = ds.elements['x7fe00010']!;
  const bytes = ds.byteArray;
  if (a.bitsAllocated === 1) return unpackBits(bytes, el.dataOffset, frame * a.rows * a.columns, a.rows * a.columns);
  const length = nativeFrameByteLength(a);
  const start = el.dataOffset + frame * length;
  const stored = bytes.subarray(start, start + length);
  if (!bigEndian) return stored;
  // Big endian: 16- and 32-bit words are swapped; 8-bit samples in OW words are swapped in pairs, in OB not at all.
  const wordBytes = a.bitsAllocated === 8 ? (el.vr === 'OB' ? 1 : 2) : a.bitsAllocated / 8;
  return wordBytes === 1 ? stored : swapped(stored, wordBytes);
}

function swapped(src: Uint8Array, wordBytes: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i + wordBytes <= src.length; i += wordBytes) {
    for (let j = 0; j < wordBytes; j++) out[i + j] = src[i + wordBytes - 1 - j]!;
  }
  return out;
}

/** PS3.5 8.1.1: 1-bit pixels are packed least significant bit first; frames need not start on a byte boundary. */
function unpackBits(bytes: Uint8Array, offset: number, firstBit: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = firstBit + i;
    out[i] = (bytes[offset + (bit >>> 3)]! >>> (bit & 7)) & 1;
  }
  return out;
}

/** The compressed bitstream of one frame of encapsulated pixel data. */
export function encapsulatedFrameBytes(
  ds: DataSet,
  a: DicomAttributes,
  frame: number,
  encoding: PixelEncoding,
): Uint8Array {
  const el = ds.elements['x7fe00010'];
  if (!el?.encapsulatedPixelData) throw badInput('DICOM pixel data is not encapsulated although the syntax is');
  const fragments = el.fragments ?? [];
  const bytes = ds.byteArray;
  for (const f of fragments) {
    if (f.position + f.length > bytes.length) {
      throw badInput(`DICOM pixel data fragment runs past the end of the file (truncated file?)`);
    }
  }
  if (fragments.length === 0) throw badInput('DICOM encapsulated pixel data has no fragments');
  const frameFragments = fragmentsOfFrame(ds, el, fragments, frame, a.numberOfFrames, encoding);
  if (frameFragments.length === 1) {
    const f = frameFragments[0]!;
    return bytes.subarray(f.position, f.position + f.length);
  }
  const total = frameFragments.reduce((sum, f) => sum + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of frameFragments) {
    out.set(bytes.subarray(f.position, f.position + f.length), at);
    at += f.length;
  }
  return out;
}

function fragmentsOfFrame(
  ds: DataSet,
  el: Element,
  fragments: Fragment[],
  frame: number,
  frames: number,
  encoding: PixelEncoding,
): Fragment[] {
  if (frames === 1) return fragments;
  const extended = extendedOffsets(ds, frames);
  const starts = extended ?? (el.basicOffsetTable?.length === frames ? el.basicOffsetTable : null);
  if (starts) {
    const from = starts[frame]!;
    const to = starts[frame + 1] ?? Infinity;
    const picked = fragments.filter((f) => f.offset >= from && f.offset < to);
    if (picked.length) return picked;
    throw badInput(`DICOM offset table points frame ${frame + 1} at no fragment`);
  }
  if (fragments.length === frames) return [fragments[frame]!];
  // No usable table: a frame starts at each fragment that opens a codestream.
  const groups: Fragment[][] = [];
  for (const f of fragments) {
    if (groups.length === 0 || startsCodestream(ds.byteArray, f, encoding)) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length === frames) return groups[frame]!;
  throw badInput(
    `cannot locate frame ${frame + 1} of ${frames} in the encapsulated pixel data ` +
      `(${fragments.length} fragments, no offset table)`,
  );
}

/** Extended Offset Table (7FE0,0001), 64-bit offsets in the same space as the Basic Offset Table. */
function extendedOffsets(ds: DataSet, frames: number): number[] | null {
  const el = ds.elements['x7fe00001'];
  if (!el || el.length < frames * 8) return null;
  const out: number[] = [];
  for (let i = 0; i < frames; i++) {
    const at = el.dataOffset + i * 8;
    const low = ds.byteArrayParser.readUint32(ds.byteArray, at);
    const high = ds.byteArrayParser.readUint32(ds.byteArray, at + 4);
    out.push(high * 2 ** 32 + low);
  }
  return out;
}

function startsCodestream(bytes: Uint8Array, f: Fragment, encoding: PixelEncoding): boolean {
  const b0 = bytes[f.position];
  const b1 = bytes[f.position + 1];
  switch (encoding) {
    case 'jpeg':
    case 'jpeg-ls':
      return b0 === 0xff && b1 === 0xd8;
    case 'jpeg2000':
    case 'htj2k':
      // A raw codestream (SOC) or a JP2 file (signature box).
      return (b0 === 0xff && b1 === 0x4f) || (b0 === 0 && b1 === 0 && bytes[f.position + 4] === 0x6a);
    case 'jpeg-xl':
      return b0 === 0xff && b1 === 0x0a;
    default:
      return false;
  }
}
