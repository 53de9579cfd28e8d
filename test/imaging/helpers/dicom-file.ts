/**
 * A DICOM writer for the imaging tests, built byte by byte (independent of the parser under test): Implicit and
 * Explicit VR Little Endian, Explicit VR Big Endian, Deflated; Part 10, without preamble, or a bare data set;
 * sequences; native or encapsulated pixel data (frames split into fragments, with or without offset tables).
 */
import { deflateRawSync } from 'node:zlib';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  jpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  jpegXlLossless: '1.2.840.10008.1.2.4.110',
} as const;

/**
 * A value: text; numbers for US/SS/UL/SL/FL/FD/AT; Uint16Array words for OW (written in the syntax's byte order);
 * bytes for OB/UN (and OW given as little-endian bytes, swapped in pairs for big endian); items for SQ.
 */
export type DicomValue = string | number[] | Uint16Array | Uint8Array | DicomElement[][];

export interface DicomElement {
  tag: number;
  vr: string;
  value: DicomValue;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

interface Encoding {
  explicit: boolean;
  bigEndian: boolean;
}

class Bytes {
  private parts: number[] = [];
  constructor(private readonly bigEndian: boolean) {}
  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.parts.push(...(this.bigEndian ? b.reverse() : b));
    return this;
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.bigEndian ? b.reverse() : b));
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function numbersToBytes(vr: string, values: number[], bigEndian: boolean): Uint8Array {
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 }[vr];
  if (!size) throw new Error(`no numeric encoding for VR ${vr}`);
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    const le = !bigEndian;
    if (vr === 'US') view.setUint16(at, v, le);
    else if (vr === 'SS') view.setInt16(at, v, le);
    else if (vr === 'UL') view.setUint32(at, v, le);
    else if (vr === 'SL') view.setInt32(at, v, le);
    else if (vr === 'FL') view.setFloat32(at, v, le);
    else if (vr === 'FD') view.setFloat64(at, v, le);
    else {
      view.setUint16(at, v >>> 16, le);
      view.setUint16(at + 2, v & 0xffff, le);
    }
  });
  return out;
}

function valueBytes(e: DicomElement, enc: Encoding): Uint8Array {
  const { vr, value } = e;
  let bytes: Uint8Array;
  if (typeof value === 'string') bytes = new TextEncoder().encode(value);
  else if (value instanceof Uint16Array) {
    bytes = new Uint8Array(value.length * 2);
    const view = new DataView(bytes.buffer);
    value.forEach((w, i) => view.setUint16(i * 2, w, !enc.bigEndian));
  } else if (value instanceof Uint8Array) {
    bytes = enc.bigEndian && vr === 'OW' ? swapPairs(value) : value;
  } else if (vr === 'SQ') {
    const items = value as DicomElement[][];
    const out = new Bytes(enc.bigEndian);
    for (const item of items) {
      const body = encodeDataSet(item, enc);
      out.u16(0xfffe).u16(0xe000).u32(body.length).raw(body);
    }
    bytes = out.done();
  } else bytes = numbersToBytes(vr, value as number[], enc.bigEndian);
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  padded[bytes.length] = typeof value === 'string' && vr !== 'UI' ? 0x20 : 0;
  return padded;
}

function swapPairs(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
  return out;
}

export function encodeElement(e: DicomElement, enc: Encoding): Uint8Array {
  const value = valueBytes(e, enc);
  const out = new Bytes(enc.bigEndian).u16(e.tag >>> 16).u16(e.tag & 0xffff);
  if (!enc.explicit) out.u32(value.length);
  else {
    out.raw([e.vr.charCodeAt(0), e.vr.charCodeAt(1)]);
    if (LONG_VRS.has(e.vr)) out.u16(0).u32(value.length);
    else out.u16(value.length);
  }
  return concat([out.done(), value]);
}

export function encodeDataSet(elements: DicomElement[], enc: Encoding): Uint8Array {
  return concat([...elements].sort((a, b) => a.tag - b.tag).map((e) => encodeElement(e, enc)));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface Encapsulated {
  /** The compressed bitstream of each frame. */
  frames: Uint8Array[];
  /** Split each frame into this many fragments (default 1). */
  fragmentsPerFrame?: number;
  /** Which offset table to write (default: basic for multi-frame, none for one frame). */
  offsetTable?: 'basic' | 'extended' | 'none';
}

export interface WriteOptions {
  syntax?: string;
  /** part10 (default), no-preamble (file meta group first), dicm-first ('DICM' then the meta group), bare. */
  layout?: 'part10' | 'no-preamble' | 'dicm-first' | 'bare';
  encapsulated?: Encapsulated;
}

/** Encapsulated pixel data element (PS3.5 A.4), explicit VR little endian. */
function encapsulatedPixelData(e: Encapsulated): Uint8Array {
  const perFrame = e.fragmentsPerFrame ?? 1;
  const fragments: Uint8Array[][] = e.frames.map((f) => splitEven(f, perFrame));
  const items = fragments.map((fs) =>
    fs.map((f) => concat([new Bytes(false).u16(0xfffe).u16(0xe000).u32(f.length).done(), f])),
  );
  const offsets: number[] = [];
  let at = 0;
  for (const frameItems of items) {
    offsets.push(at);
    at += frameItems.reduce((n, i) => n + i.length, 0);
  }
  const table = e.offsetTable ?? (e.frames.length > 1 ? 'basic' : 'none');
  const bot = new Bytes(false).u16(0xfffe).u16(0xe000);
  if (table === 'basic') {
    bot.u32(offsets.length * 4);
    for (const o of offsets) bot.u32(o);
  } else bot.u32(0);
  const head = new Bytes(false).u16(0x7fe0).u16(0x0010).raw([0x4f, 0x42]).u16(0).u32(0xffffffff).done();
  const end = new Bytes(false).u16(0xfffe).u16(0xe0dd).u32(0).done();
  const parts = [head, bot.done(), ...items.flat(), end];
  if (table === 'extended') {
    const eot = new Uint8Array(offsets.length * 8);
    const lengths = new Uint8Array(offsets.length * 8);
    offsets.forEach((o, i) => new DataView(eot.buffer).setUint32(i * 8, o, true));
    items.forEach((fs, i) =>
      new DataView(lengths.buffer).setUint32(
        i * 8,
        fs.reduce((n, f) => n + f.length - 8, 0),
        true,
      ),
    );
    parts.unshift(
      encodeElement({ tag: 0x7fe00001, vr: 'OV', value: eot }, { explicit: true, bigEndian: false }),
      encodeElement({ tag: 0x7fe00002, vr: 'OV', value: lengths }, { explicit: true, bigEndian: false }),
    );
  }
  return concat(parts);
}

/** Fragments must have even length: split into n pieces of even size (the last takes the rest). */
function splitEven(frame: Uint8Array, n: number): Uint8Array[] {
  const padded = frame.length % 2 ? concat([frame, new Uint8Array(1)]) : frame;
  if (n <= 1) return [padded];
  const step = Math.max(2, Math.floor(padded.length / n / 2) * 2);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n - 1; i++) out.push(padded.subarray(i * step, (i + 1) * step));
  out.push(padded.subarray((n - 1) * step));
  return out;
}

export function writeDicom(elements: DicomElement[], opts: WriteOptions = {}): Buffer {
  const syntax = opts.syntax ?? TS.explicitLE;
  const enc: Encoding = { explicit: syntax !== TS.implicitLE, bigEndian: syntax === TS.explicitBE };
  const withoutPixels = opts.encapsulated ? elements.filter((e) => e.tag !== 0x7fe00010) : elements;
  let body = encodeDataSet(withoutPixels, enc);
  if (opts.encapsulated) body = concat([body, encapsulatedPixelData(opts.encapsulated)]);
  if (syntax === TS.deflatedLE) body = new Uint8Array(deflateRawSync(body));
  const layout = opts.layout ?? 'part10';
  if (layout === 'bare') return Buffer.from(body);
  const text = (tag: number): string | null => {
    const v = elements.find((e) => e.tag === tag)?.value;
    return typeof v === 'string' ? v : null;
  };
  const meta = encodeDataSet(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: text(0x00080016) ?? '1.2.840.10008.5.1.4.1.1.7' },
      { tag: 0x00020003, vr: 'UI', value: text(0x00080018) ?? '1.2.3.4.5.6.7.8.9' },
      { tag: 0x00020010, vr: 'UI', value: syntax },
      { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.9.9999' },
    ],
    { explicit: true, bigEndian: false },
  );
  const groupLength = encodeElement(
    { tag: 0x00020000, vr: 'UL', value: [meta.length] },
    { explicit: true, bigEndian: false },
  );
  const magic = new TextEncoder().encode('DICM');
  const prefix =
    layout === 'part10' ? concat([new Uint8Array(128), magic]) : layout === 'dicm-first' ? magic : new Uint8Array(0);
  return Buffer.from(concat([prefix, groupLength, meta, body]));
}
