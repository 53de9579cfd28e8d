/**
 * A minimal DICOM writer for tests: Part 10 files in Explicit VR Little Endian (or Implicit VR, or a raw
 * data set without the preamble), built byte by byte so tests do not depend on the parser they check.
 */

export type DicomValue = string | number[] | Uint8Array;
export interface DicomElement {
  tag: number; // 0xGGGGEEEE
  vr: string;
  value: DicomValue;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

function valueBytes(vr: string, value: DicomValue): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') bytes = new TextEncoder().encode(value);
  else if (value instanceof Uint8Array) bytes = value;
  else if (vr === 'US') bytes = new Uint8Array(new Uint16Array(value).buffer);
  else if (vr === 'SS') bytes = new Uint8Array(new Int16Array(value).buffer);
  else if (vr === 'UL') bytes = new Uint8Array(new Uint32Array(value).buffer);
  else throw new Error(`no numeric encoding for VR ${vr}`);
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  // UI and binary values pad with NUL, text with a space.
  padded[bytes.length] = vr === 'UI' || vr === 'OB' || typeof value !== 'string' ? 0 : 0x20;
  return padded;
}

function encodeElement(e: DicomElement, explicit: boolean): Uint8Array {
  const value = valueBytes(e.vr, e.value);
  const headerLength = !explicit ? 8 : LONG_VRS.has(e.vr) ? 12 : 8;
  const out = new Uint8Array(headerLength + value.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, e.tag >>> 16, true);
  view.setUint16(2, e.tag & 0xffff, true);
  if (!explicit) view.setUint32(4, value.length, true);
  else {
    out[4] = e.vr.charCodeAt(0);
    out[5] = e.vr.charCodeAt(1);
    if (LONG_VRS.has(e.vr)) view.setUint32(8, value.length, true);
    else view.setUint16(6, value.length, true);
  }
  out.set(value, headerLength);
  return out;
}

function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

export interface WriteOptions {
  /** Default Explicit VR Little Endian. */
  transferSyntax?: string;
  /** false: a raw data set without preamble and meta header (old exports). */
  part10?: boolean;
}

export function writeDicom(elements: DicomElement[], opts: WriteOptions = {}): Buffer {
  const ts = opts.transferSyntax ?? EXPLICIT_LE;
  const explicitBody = ts !== IMPLICIT_LE;
  const sorted = [...elements].sort((a, b) => a.tag - b.tag);
  const body = concat(sorted.map((e) => encodeElement(e, explicitBody)));
  if (opts.part10 === false) return body;
  const sopClass = stringOf(elements, 0x00080016) ?? '1.2.840.10008.5.1.4.1.1.7';
  const sopInstance = stringOf(elements, 0x00080018) ?? '1.2.3.4.5.6.7.8.9';
  const metaElements = concat(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: sopClass },
      { tag: 0x00020003, vr: 'UI', value: sopInstance },
      { tag: 0x00020010, vr: 'UI', value: ts },
      { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.9.9999' },
    ].map((e) => encodeElement(e, true)),
  );
  const groupLength = encodeElement({ tag: 0x00020000, vr: 'UL', value: [metaElements.length] }, true);
  const preamble = new Uint8Array(132);
  preamble.set(new TextEncoder().encode('DICM'), 128);
  return concat([preamble, groupLength, metaElements, body]);
}

function stringOf(elements: DicomElement[], tag: number): string | null {
  const v = elements.find((e) => e.tag === tag)?.value;
  return typeof v === 'string' ? v : null;
}

export interface ImageSpec {
  rows: number;
  columns: number;
  /** Stored values, frame after frame (grayscale), or interleaved/planar samples (colour). */
  pixels: number[];
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: 0 | 1;
  photometric?: string;
  samplesPerPixel?: 1 | 3;
  planarConfiguration?: 0 | 1;
  frames?: number;
  windowCenter?: string;
  windowWidth?: string;
  rescaleSlope?: string;
  rescaleIntercept?: string;
  studyUid?: string;
  seriesUid?: string;
  sopUid?: string;
  patientName?: string;
  patientId?: string;
  modality?: string;
  studyDate?: string;
  bodyPart?: string;
  viewPosition?: string;
  pixelSpacing?: string;
  manufacturer?: string;
  studyDescription?: string;
  /** Skip the pixel data element (a non-image object). */
  noPixelData?: boolean;
  /** Raw pixel bytes to write instead of encoding `pixels` (truncated or encapsulated data). */
  pixelBytes?: Uint8Array;
}

/** Pixel words as stored: raw 16-bit words are written as given (tests put garbage in unused high bits). */
function pixelData(spec: ImageSpec): Uint8Array {
  if (spec.pixelBytes) return spec.pixelBytes;
  if ((spec.bitsAllocated ?? 16) === 8) return new Uint8Array(spec.pixels.map((v) => v & 0xff));
  return new Uint8Array(new Uint16Array(spec.pixels.map((v) => v & 0xffff)).buffer);
}

export function imageElements(spec: ImageSpec): DicomElement[] {
  const bits = spec.bitsAllocated ?? 16;
  const spp = spec.samplesPerPixel ?? 1;
  const els: DicomElement[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1.1' },
    { tag: 0x00080018, vr: 'UI', value: spec.sopUid ?? `1.2.826.0.1.3680043.9.1.${Math.floor(Math.random() * 1e9)}` },
    { tag: 0x00080020, vr: 'DA', value: spec.studyDate ?? '20240131' },
    { tag: 0x00080060, vr: 'CS', value: spec.modality ?? 'DX' },
    { tag: 0x00080070, vr: 'LO', value: spec.manufacturer ?? 'TestCo' },
    { tag: 0x00081030, vr: 'LO', value: spec.studyDescription ?? 'CHEST PA' },
    { tag: 0x00100010, vr: 'PN', value: spec.patientName ?? 'DOE^JANE' },
    { tag: 0x00100020, vr: 'LO', value: spec.patientId ?? 'PID-12345' },
    { tag: 0x00180015, vr: 'CS', value: spec.bodyPart ?? 'CHEST' },
    { tag: 0x00185101, vr: 'CS', value: spec.viewPosition ?? 'PA' },
    { tag: 0x0020000d, vr: 'UI', value: spec.studyUid ?? '1.2.826.0.1.3680043.9.2.1' },
    { tag: 0x0020000e, vr: 'UI', value: spec.seriesUid ?? '1.2.826.0.1.3680043.9.2.1.1' },
    { tag: 0x00280002, vr: 'US', value: [spp] },
    { tag: 0x00280004, vr: 'CS', value: spec.photometric ?? (spp === 3 ? 'RGB' : 'MONOCHROME2') },
    { tag: 0x00280010, vr: 'US', value: [spec.rows] },
    { tag: 0x00280011, vr: 'US', value: [spec.columns] },
    { tag: 0x00280030, vr: 'DS', value: spec.pixelSpacing ?? '0.139\\0.14' },
    { tag: 0x00280100, vr: 'US', value: [bits] },
    { tag: 0x00280101, vr: 'US', value: [spec.bitsStored ?? bits] },
    { tag: 0x00280102, vr: 'US', value: [spec.highBit ?? (spec.bitsStored ?? bits) - 1] },
    { tag: 0x00280103, vr: 'US', value: [spec.pixelRepresentation ?? 0] },
  ];
  if (spp === 3) els.push({ tag: 0x00280006, vr: 'US', value: [spec.planarConfiguration ?? 0] });
  if (spec.frames !== undefined) els.push({ tag: 0x00280008, vr: 'IS', value: String(spec.frames) });
  if (spec.windowCenter !== undefined) els.push({ tag: 0x00281050, vr: 'DS', value: spec.windowCenter });
  if (spec.windowWidth !== undefined) els.push({ tag: 0x00281051, vr: 'DS', value: spec.windowWidth });
  if (spec.rescaleIntercept !== undefined) els.push({ tag: 0x00281052, vr: 'DS', value: spec.rescaleIntercept });
  if (spec.rescaleSlope !== undefined) els.push({ tag: 0x00281053, vr: 'DS', value: spec.rescaleSlope });
  if (!spec.noPixelData) els.push({ tag: 0x7fe00010, vr: bits === 8 ? 'OB' : 'OW', value: pixelData(spec) });
  return els;
}

export function dicomImage(spec: ImageSpec, opts: WriteOptions = {}): Buffer {
  return writeDicom(imageElements(spec), opts);
}

/**
 * An encapsulated (compressed-syntax) pixel data element cannot be written with the helpers above
 * (undefined length, items): this builds a JPEG 2000 Part 10 file whose fragment is opaque bytes.
 */
export function encapsulatedDicom(spec: Omit<ImageSpec, 'pixels'>, transferSyntax = '1.2.840.10008.1.2.4.90'): Buffer {
  const withoutPixels = imageElements({ ...spec, pixels: [], noPixelData: true });
  const head = writeDicom(withoutPixels, { transferSyntax });
  const fragment = new Uint8Array([0xff, 0x4f, 0xff, 0x51, 1, 2, 3, 4]);
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, v >>> 8);
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  u16(0x7fe0);
  u16(0x0010);
  parts.push(0x4f, 0x42, 0, 0); // OB, reserved
  u32(0xffffffff);
  u16(0xfffe); // basic offset table item (empty)
  u16(0xe000);
  u32(0);
  u16(0xfffe); // one fragment
  u16(0xe000);
  u32(fragment.length);
  parts.push(...fragment);
  u16(0xfffe); // sequence delimiter
  u16(0xe0dd);
  u32(0);
  return Buffer.concat([head, Buffer.from(parts)]);
}
