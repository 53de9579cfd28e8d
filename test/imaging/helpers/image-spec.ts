/** DICOM image data sets for the tests: the pixel module from a short spec, and test pixel patterns. */
import type { DicomElement } from './dicom-file';

export interface ImageSpec {
  rows: number;
  columns: number;
  frames?: number;
  samplesPerPixel?: 1 | 3;
  photometric?: string;
  bitsAllocated?: 1 | 8 | 16 | 32;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: 0 | 1;
  planarConfiguration?: 0 | 1;
  /** Window Center/Width as written (DS, backslash-separated for several). */
  windowCenter?: string;
  windowWidth?: string;
  windowExplanation?: string;
  voiLutFunction?: string;
  rescaleSlope?: string;
  rescaleIntercept?: string;
  modality?: string;
  sopClassUid?: string;
  /** The pixel data element (native), left out for encapsulated files and non-images. */
  pixelData?: DicomElement;
  extra?: DicomElement[];
}

export function imageElements(spec: ImageSpec): DicomElement[] {
  const spp = spec.samplesPerPixel ?? 1;
  const bits = spec.bitsAllocated ?? 16;
  const stored = spec.bitsStored ?? bits;
  const els: DicomElement[] = [
    { tag: 0x00080016, vr: 'UI', value: spec.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: '1.2.826.0.1.3680043.9.7.1' },
    { tag: 0x00080020, vr: 'DA', value: '20240131' },
    { tag: 0x00080060, vr: 'CS', value: spec.modality ?? 'OT' },
    { tag: 0x00080070, vr: 'LO', value: 'TestCo' },
    { tag: 0x00100010, vr: 'PN', value: 'DOE^JANE' },
    { tag: 0x00100020, vr: 'LO', value: 'PID-1' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.826.0.1.3680043.9.7.2' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.826.0.1.3680043.9.7.3' },
    { tag: 0x00280002, vr: 'US', value: [spp] },
    { tag: 0x00280004, vr: 'CS', value: spec.photometric ?? (spp === 3 ? 'RGB' : 'MONOCHROME2') },
    { tag: 0x00280010, vr: 'US', value: [spec.rows] },
    { tag: 0x00280011, vr: 'US', value: [spec.columns] },
    { tag: 0x00280100, vr: 'US', value: [bits] },
    { tag: 0x00280101, vr: 'US', value: [stored] },
    { tag: 0x00280102, vr: 'US', value: [spec.highBit ?? stored - 1] },
    { tag: 0x00280103, vr: 'US', value: [spec.pixelRepresentation ?? 0] },
  ];
  const add = (tag: number, vr: string, value: string | undefined) => {
    if (value !== undefined) els.push({ tag, vr, value });
  };
  if (spp === 3) els.push({ tag: 0x00280006, vr: 'US', value: [spec.planarConfiguration ?? 0] });
  add(0x00280008, 'IS', spec.frames === undefined ? undefined : String(spec.frames));
  add(0x00281050, 'DS', spec.windowCenter);
  add(0x00281051, 'DS', spec.windowWidth);
  add(0x00281055, 'LO', spec.windowExplanation);
  add(0x00281056, 'CS', spec.voiLutFunction);
  add(0x00281052, 'DS', spec.rescaleIntercept);
  add(0x00281053, 'DS', spec.rescaleSlope);
  if (spec.pixelData) els.push(spec.pixelData);
  return [...els, ...(spec.extra ?? [])];
}

/** Native pixel data from sample values: OW words for 16-bit (two's complement for negatives), OB bytes for 8-bit. */
export function nativePixelData(samples: ArrayLike<number>, bitsAllocated: 8 | 16 | 32 = 16): DicomElement {
  if (bitsAllocated === 8) return { tag: 0x7fe00010, vr: 'OB', value: Uint8Array.from(samples, (v) => v & 0xff) };
  if (bitsAllocated === 16) return { tag: 0x7fe00010, vr: 'OW', value: Uint16Array.from(samples, (v) => v & 0xffff) };
  const bytes = new Uint8Array(samples.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setUint32(i * 4, samples[i]! >>> 0, true);
  return { tag: 0x7fe00010, vr: 'OW', value: bytes };
}

/** Little-endian bytes of samples as a codec expects them (8 or 16 bits allocated). */
export function sampleBytes(samples: ArrayLike<number>, bitsAllocated: 8 | 16): Uint8Array {
  if (bitsAllocated === 8) return Uint8Array.from(samples, (v) => v & 0xff);
  return new Uint8Array(Uint16Array.from(samples, (v) => v & 0xffff).buffer);
}

/**
 * A deterministic test pattern over [min, max]: smooth ramps plus fine noise of `noise` x the range (codecs get real
 * work; lossy tests use a smoother image, as real images are).
 */
export function pattern(width: number, height: number, min: number, max: number, seed = 1, noise = 0.1): number[] {
  let s = seed >>> 0;
  const random = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const span = max - min;
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const smooth = 0.5 + 0.35 * Math.sin((x / width) * 3.1 + seed) * Math.cos((y / height) * 2.3);
      const v = min + Math.round(span * Math.min(1, Math.max(0, smooth + (random() - 0.5) * noise)));
      out.push(v);
    }
  }
  // The extremes appear, so the full range is exercised.
  out[0] = min;
  out[out.length - 1] = max;
  return out;
}

/** Interleaved RGB pattern, 8-bit. */
export function rgbPattern(width: number, height: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      out.push(
        Math.round((x * 255) / (width - 1)),
        Math.round((y * 255) / (height - 1)),
        128 + Math.round(60 * Math.sin(x / 5 + y / 7)),
      );
    }
  }
  return out;
}
