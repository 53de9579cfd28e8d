/**
 * Lookup tables of a DICOM data set: the Modality LUT Sequence (PS3.3 C.11.1), the VOI LUT Sequence (C.11.2) and the
 * Palette Color tables (C.7.6.3.1.5-6). A descriptor is (number of entries, 0 meaning 65536; first stored value
 * mapped; bits per entry).
 */
import type { DataSet } from 'dicom-parser';
import { badInput } from '@shared/errors';

export interface Lut {
  /** The input value that maps to entries[0]; inputs below use entries[0], above the last entry. */
  firstMapped: number;
  bitsPerEntry: number;
  entries: Uint16Array;
  name: string | null;
}

/** Entry for an input value (clamped to the table, per the standard). */
export function lookUp(lut: Lut, x: number): number {
  const i = Math.round(x) - lut.firstMapped;
  const last = lut.entries.length - 1;
  return lut.entries[i < 0 ? 0 : i > last ? last : i]!;
}

/**
 * The table at descriptorTag/dataTag of ds. `signed` is the pixel representation: it makes an implicit-VR or US
 * first-mapped value signed (the VR of the descriptor follows the pixel representation, PS3.3 C.11.1.1.1).
 */
export function readLut(
  ds: DataSet,
  descriptorTag: string,
  dataTag: string,
  signed: boolean,
  what: string,
  name: string | null = null,
): Lut {
  const descriptor = ds.elements[descriptorTag];
  const data = ds.elements[dataTag];
  if (!descriptor || descriptor.length < 6) throw badInput(`${what} has no LUT descriptor`);
  if (!data) throw badInput(`${what} has no LUT data`);
  const count = ds.uint16(descriptorTag, 0) ?? 0;
  const n = count === 0 ? 65536 : count;
  const rawFirst = ds.uint16(descriptorTag, 1) ?? 0;
  const firstMapped = (signed || descriptor.vr === 'SS') && rawFirst > 0x7fff ? rawFirst - 0x10000 : rawFirst;
  const bitsPerEntry = ds.uint16(descriptorTag, 2) ?? 16;
  if (bitsPerEntry < 1 || bitsPerEntry > 16) throw badInput(`${what} has ${bitsPerEntry} bits per entry (1 to 16)`);
  const entries = new Uint16Array(n);
  const bytes = ds.byteArray;
  const available = Math.min(data.length, bytes.length - data.dataOffset);
  if (bitsPerEntry <= 8 && available >= n && available < 2 * n) {
    // Eight-bit entries packed two to a 16-bit word (byte order of the words follows the data set).
    for (let i = 0; i < n; i++) {
      const word = ds.byteArrayParser.readUint16(bytes, data.dataOffset + (i & ~1));
      entries[i] = i % 2 === 0 ? word & 0xff : word >>> 8;
    }
  } else if (available >= 2 * n) {
    for (let i = 0; i < n; i++) entries[i] = ds.byteArrayParser.readUint16(bytes, data.dataOffset + 2 * i);
  } else {
    throw badInput(`${what} LUT data holds ${available} bytes; ${n} entries need ${2 * n}`);
  }
  return { firstMapped, bitsPerEntry, entries, name };
}

/** The first item of the Modality LUT Sequence, or null when rescale slope and intercept apply. */
export function modalityLut(ds: DataSet, signed: boolean): Lut | null {
  const item = ds.elements['x00283000']?.items?.[0]?.dataSet;
  if (!item) return null;
  return readLut(item, 'x00283002', 'x00283006', signed, 'Modality LUT Sequence');
}

/** Every item of the VOI LUT Sequence. Its input is the modality value, signed whenever that can be negative. */
export function voiLuts(ds: DataSet, signedInput: boolean): Lut[] {
  const items = ds.elements['x00283010']?.items ?? [];
  return items.flatMap((item, i) => {
    const set = item.dataSet;
    if (!set) return [];
    const name = set.string('x00283003')?.trim() || `LUT ${i + 1}`;
    return [readLut(set, 'x00283002', 'x00283006', signedInput, `VOI LUT ${i + 1}`, name)];
  });
}

export interface Palette {
  red: Lut;
  green: Lut;
  blue: Lut;
  /** Divisor that maps entries to 0..255. */
  scale: number;
}

export function palette(ds: DataSet, signed: boolean): Palette {
  if (ds.elements['x00281221'] || ds.elements['x00281222'] || ds.elements['x00281223']) {
    throw badInput('DICOM segmented palette color lookup tables are not supported');
  }
  const red = readLut(ds, 'x00281101', 'x00281201', signed, 'Red palette');
  const green = readLut(ds, 'x00281102', 'x00281202', signed, 'Green palette');
  const blue = readLut(ds, 'x00281103', 'x00281203', signed, 'Blue palette');
  const bits = Math.max(red.bitsPerEntry, green.bitsPerEntry, blue.bitsPerEntry);
  // Some writers declare 16-bit entries but fill them with 8-bit values; scaling those by 65535 would give black.
  const largest = Math.max(maxOf(red.entries), maxOf(green.entries), maxOf(blue.entries));
  const scale = bits > 8 && largest > 255 ? 2 ** bits - 1 : 255;
  return { red, green, blue, scale };
}

function maxOf(a: Uint16Array): number {
  let m = 0;
  for (const v of a) if (v > m) m = v;
  return m;
}

/** PALETTE COLOR stored values to interleaved 8-bit RGB through the file's three tables. */
export function paletteToRgb(stored: Float32Array, ds: DataSet, signed: boolean): Uint8Array {
  const p = palette(ds, signed);
  const out = new Uint8Array(stored.length * 3);
  const k = 255 / p.scale;
  for (let i = 0; i < stored.length; i++) {
    const v = stored[i]!;
    out[i * 3] = Math.min(255, Math.round(lookUp(p.red, v) * k));
    out[i * 3 + 1] = Math.min(255, Math.round(lookUp(p.green, v) * k));
    out[i * 3 + 2] = Math.min(255, Math.round(lookUp(p.blue, v) * k));
  }
  return out;
}
