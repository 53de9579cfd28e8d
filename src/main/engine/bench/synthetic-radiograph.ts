/**
 * A synthetic chest radiograph as a DICOM file, for the benchmark: 2048 x 2048, 16 bits allocated and stored,
 * MONOCHROME2, Explicit VR Little Endian (Part 10), with a window in the header, as a computed radiograph from a
 * PACS would arrive. The picture is a plausible chest (body, two darker lungs, mediastinum and spine, ribs, diaphragm
 * domes, film noise) so decoding, windowing and resizing do real work; nothing about it is clinical.
 */
import { Prng } from '../model/prng';

export interface RadiographOptions {
  /** Side in pixels (default 2048). */
  size?: number;
  /** Seeds the noise and the small variations, so several distinct images can be made (default 1). */
  seed?: number;
}

const CR_STORAGE = '1.2.840.10008.5.1.4.1.1.1';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const UID_ROOT = '1.2.826.0.1.3680043.10.1450';
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR']);

/** The 16-bit sample values (row-major) of the synthetic chest. */
export function radiographSamples(size: number, seed: number): Uint16Array {
  const rng = new Prng(`radiograph:${seed}`);
  const jitter = (a: number) => 1 + a * (rng.nextFloat() - 0.5);
  const out = new Uint16Array(size * size);
  const cx = 0.5 * jitter(0.04);
  const lungW = 0.15 * jitter(0.1);
  const lungH = 0.3 * jitter(0.1);
  const lungY = 0.45 * jitter(0.05);
  const ribPeriod = 0.055 * jitter(0.1);
  for (let y = 0; y < size; y++) {
    const v = y / size;
    for (let x = 0; x < size; x++) {
      const u = x / size;
      // Attenuation: high (bright) where tissue is dense; MONOCHROME2 shows it bright.
      const body = Math.max(0, 1 - ((u - cx) / 0.42) ** 2 - ((v - 0.55) / 0.6) ** 4);
      let a = 0.15 + 0.55 * body;
      for (const side of [-1, 1]) {
        const lx = (u - (cx + side * 0.19)) / lungW;
        const ly = (v - lungY) / lungH;
        const r = lx * lx + ly * ly;
        if (r < 1) {
          // Air in the lungs, darker towards the centre; ribs cross it as bright oblique bands.
          a -= 0.35 * (1 - r) ** 0.5;
          const rib = Math.sin((2 * Math.PI * (v + 0.25 * Math.abs(u - cx))) / ribPeriod);
          if (rib > 0.6) a += 0.12 * (rib - 0.6);
        }
      }
      // Mediastinum and spine: a bright vertical band; diaphragm domes below the lungs.
      a += 0.25 * Math.exp(-(((u - cx) / 0.06) ** 2));
      if (v > lungY + lungH * 0.85 + 0.04 * Math.cos(((u - cx) / 0.2) * Math.PI)) a += 0.3 * body;
      const noisy = a + 0.01 * (rng.nextFloat() - 0.5);
      out[y * size + x] = Math.max(0, Math.min(65535, Math.round(noisy * 52000 + 4000)));
    }
  }
  return out;
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
  meta.text(0x00020002, 'UI', CR_STORAGE);
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

  file.text(0x00080016, 'UI', CR_STORAGE);
  file.text(0x00080018, 'UI', sop);
  file.text(0x00080020, 'DA', '20240101');
  file.text(0x00080060, 'CS', 'CR');
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
  file.text(0x00281050, 'DS', '30000');
  file.text(0x00281051, 'DS', '50000');
  file.text(0x00281052, 'DS', '0');
  file.text(0x00281053, 'DS', '1');
  const samples = radiographSamples(size, seed);
  const pixelBytes = new Uint8Array(samples.length * 2);
  const view = new DataView(pixelBytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setUint16(2 * i, samples[i] as number, true);
  file.element(0x7fe00010, 'OW', pixelBytes);
  return file.concat();
}
