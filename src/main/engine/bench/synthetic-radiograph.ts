/**
 * The benchmark's radiograph as a DICOM file: 2048 x 2048, 16 bits allocated and stored, MONOCHROME2, Explicit VR
 * Little Endian (Part 10), with a window in the header, as a digital radiograph from a PACS would arrive. The picture
 * is synthetic-cxr.ts's chest (body, lungs, mediastinum, ribs, vessels, noise), so decoding, windowing and resizing do
 * real work; nothing about it is clinical.
 */
import { CXR_BITS, syntheticChestRadiograph } from './synthetic-cxr';

export interface RadiographOptions {
  /** Side in pixels (default 2048). */
  size?: number;
  /** Seeds the noise and the small variations, so several distinct images can be made (default 1). */
  seed?: number;
}

/** Digital X-Ray Image Storage, For Presentation. */
const DX_STORAGE = '1.2.840.10008.5.1.4.1.1.1.1';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const UID_ROOT = '1.2.826.0.1.3680043.10.1450';
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR']);

/** The synthetic chest (synthetic-cxr.ts) scaled from its 12 stored bits to the full 16, with its window. */
export function radiographSamples(size: number, seed: number): { values: Uint16Array; center: number; width: number } {
  const cxr = syntheticChestRadiograph({ size, seed });
  const scale = 2 ** (16 - CXR_BITS);
  return {
    values: cxr.values.map((v) => v * scale),
    center: cxr.window.center * scale,
    width: cxr.window.width * scale,
  };
}

class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  u16(v: number): void {
    this.bytes(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff));
  }

  u32(v: number): void {
    this.bytes(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff));
  }

  /** One explicit-VR little-endian element. */
  element(tag: number, vr: string, value: Uint8Array): void {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
    this.bytes(new TextEncoder().encode(vr));
    if (LONG_VRS.has(vr)) {
      this.u16(0);
      this.u32(value.length);
    } else this.u16(value.length);
    this.bytes(value);
  }

  text(tag: number, vr: string, value: string): void {
    const pad = vr === 'UI' ? '\0' : ' ';
    this.element(tag, vr, new TextEncoder().encode(value.length % 2 === 0 ? value : value + pad));
  }

  us(tag: number, value: number): void {
    this.element(tag, 'US', Uint8Array.of(value & 0xff, value >>> 8));
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** The DICOM file's bytes. */
export function syntheticRadiographDicom(options: RadiographOptions = {}): Uint8Array {
  const size = options.size ?? 2048;
  const seed = options.seed ?? 1;
  const sop = `${UID_ROOT}.2.${seed}`;

  const meta = new ByteWriter();
  meta.element(0x00020001, 'OB', Uint8Array.of(0, 1));
  meta.text(0x00020002, 'UI', DX_STORAGE);
  meta.text(0x00020003, 'UI', sop);
  meta.text(0x00020010, 'UI', EXPLICIT_LE);
  meta.text(0x00020012, 'UI', `${UID_ROOT}.0`);
  meta.text(0x00020013, 'SH', 'VIP_BENCH');

  const file = new ByteWriter();
  file.bytes(new Uint8Array(128));
  file.bytes(new TextEncoder().encode('DICM'));
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, meta.length, true);
  file.element(0x00020000, 'UL', groupLength);
  file.bytes(meta.concat());

  file.text(0x00080016, 'UI', DX_STORAGE);
  file.text(0x00080018, 'UI', sop);
  file.text(0x00080020, 'DA', '20240101');
  file.text(0x00080060, 'CS', 'DX');
  file.text(0x00100010, 'PN', 'BENCHMARK^SYNTHETIC');
  file.text(0x00100020, 'LO', `BENCH-${seed}`);
  file.text(0x00180015, 'CS', 'CHEST');
  file.text(0x0020000d, 'UI', `${UID_ROOT}.3.${seed}`);
  file.text(0x0020000e, 'UI', `${UID_ROOT}.4.${seed}`);
  file.us(0x00280002, 1);
  file.text(0x00280004, 'CS', 'MONOCHROME2');
  file.us(0x00280010, size);
  file.us(0x00280011, size);
  file.us(0x00280100, 16);
  file.us(0x00280101, 16);
  file.us(0x00280102, 15);
  file.us(0x00280103, 0);
  const samples = radiographSamples(size, seed);
  file.text(0x00281050, 'DS', String(samples.center));
  file.text(0x00281051, 'DS', String(samples.width));
  file.text(0x00281052, 'DS', '0');
  file.text(0x00281053, 'DS', '1');
  const pixelBytes = new Uint8Array(samples.values.length * 2);
  const view = new DataView(pixelBytes.buffer);
  for (let i = 0; i < samples.values.length; i++) view.setUint16(2 * i, samples.values[i] as number, true);
  file.element(0x7fe00010, 'OW', pixelBytes);
  return file.concat();
}
