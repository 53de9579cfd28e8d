/**
 * A DICOM file to a decoded frame. `openDicom` reads and checks the header (no pixel buffer is allocated before the
 * size is within the pixel budget); `decodeDicomFrame` gets the frame's bytes, runs the codec for compressed syntaxes
 * and turns samples into modality values (grayscale) or RGB (colour and palette color).
 */
import type { DataSet } from 'dicom-parser';
import { badInput } from '@shared/errors';
import { decodeCompressedFrame } from './codecs';
import { assertCodestreamStart } from './codestream-check';
import { hasPixelData, readDicomAttributes, type DicomAttributes } from './dicom-attributes';
import {
  assertNativePixelDataComplete,
  encapsulatedFrameBytes,
  isSubsampled422,
  nativeFrameBytes,
} from './dicom-frame-bytes';
import { lookUp, modalityLut, palette, voiLuts, type Lut } from './dicom-luts';
import { parseDicomBytes } from './dicom-parse';
import { rgbFromSamples, storedValues, type SampleLayout } from './dicom-samples';
import type { DecodedImage, GrayImage, WindowPreset } from './decoded-image';
import type { DicomLayout } from './formats';
import { noPixelDataMessage } from './non-image-objects';
import { assertWithinPixelBudget } from './pixel-budget';
import { transferSyntax, transferSyntaxLabel, type TransferSyntax } from './transfer-syntax';
import { usableWindow, voiFunction } from './voi';

export interface OpenedDicom {
  dataSet: DataSet;
  attrs: DicomAttributes;
  syntax: TransferSyntax;
}

const GRAY = new Set(['MONOCHROME1', 'MONOCHROME2', 'PALETTE COLOR']);
const COLOUR = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_PARTIAL_422', 'YBR_ICT', 'YBR_RCT']);

/** Parses and checks everything that can be checked without decoding pixels; throws one-line badInput errors. */
export function openDicom(bytes: Uint8Array, layout: DicomLayout): OpenedDicom {
  const { dataSet, transferSyntaxUid } = parseDicomBytes(bytes, layout);
  let attrs: DicomAttributes;
  try {
    attrs = readDicomAttributes(dataSet, transferSyntaxUid);
  } catch (err) {
    // dicom-parser's accessors throw strings for values they cannot read.
    throw badInput(`cannot read the DICOM attributes: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!hasPixelData(dataSet)) {
    if (attrs.rows > 0 && attrs.columns > 0) {
      throw badInput('DICOM file has no pixel data although it has Rows and Columns (truncated file?)');
    }
    throw badInput(noPixelDataMessage(attrs.sopClassUid, attrs.modality));
  }
  if (!dataSet.elements['x7fe00010']) {
    throw badInput('DICOM float or double pixel data (parametric maps) is not supported');
  }
  if (attrs.rows < 1 || attrs.columns < 1) throw badInput('DICOM image has no Rows/Columns');
  assertWithinPixelBudget(attrs.columns, attrs.rows, 'DICOM image');
  const syntax = transferSyntax(transferSyntaxUid);
  if (!syntax) throw badInput(`DICOM transfer syntax ${transferSyntaxLabel(transferSyntaxUid)} is not supported`);
  const reason = unsupportedReason(attrs, syntax);
  if (reason) throw badInput(reason);
  if (syntax.encoding === 'native') assertNativePixelDataComplete(attrs, dataSet);
  return { dataSet, attrs, syntax };
}

/** Why the pixel description cannot be decoded, or null when it can. */
function unsupportedReason(a: DicomAttributes, syntax: TransferSyntax): string | null {
  const compressed = syntax.encoding !== 'native';
  if (compressed !== a.encapsulated) {
    return compressed
      ? `DICOM pixel data is not encapsulated, but the transfer syntax ${transferSyntaxLabel(syntax.uid)} compresses it`
      : `DICOM pixel data is encapsulated, but the transfer syntax ${transferSyntaxLabel(syntax.uid)} is uncompressed`;
  }
  if (a.samplesPerPixel !== 1 && a.samplesPerPixel !== 3)
    return `DICOM SamplesPerPixel ${a.samplesPerPixel} is not supported`;
  const allowedBits = compressed ? [8, 16] : a.samplesPerPixel === 1 ? [1, 8, 16, 32] : [8, 16];
  if (!allowedBits.includes(a.bitsAllocated)) {
    return `DICOM BitsAllocated ${a.bitsAllocated} is not supported for this image (${allowedBits.join(', ')})`;
  }
  if (a.bitsStored < 1 || a.bitsStored > a.bitsAllocated) {
    return `DICOM BitsStored ${a.bitsStored} does not fit BitsAllocated ${a.bitsAllocated}`;
  }
  if (a.highBit < a.bitsStored - 1 || a.highBit >= a.bitsAllocated) {
    return `DICOM HighBit ${a.highBit} does not fit BitsStored ${a.bitsStored} in BitsAllocated ${a.bitsAllocated}`;
  }
  const pi = photometric(a);
  if (!(a.samplesPerPixel === 1 ? GRAY : COLOUR).has(pi)) {
    return `DICOM photometric interpretation ${pi} with ${a.samplesPerPixel} sample(s) per pixel is not supported`;
  }
  if (pi === 'PALETTE COLOR' && a.bitsStored > 16) return 'DICOM PALETTE COLOR with more than 16 bits is not supported';
  if (isSubsampled422(a) && !compressed && a.columns % 2 !== 0) {
    return `DICOM ${pi} needs an even number of columns (has ${a.columns})`;
  }
  return null;
}

const photometric = (a: DicomAttributes): string =>
  a.photometricInterpretation ?? (a.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');

export async function decodeDicom(bytes: Uint8Array, layout: DicomLayout, frame: number): Promise<DecodedImage> {
  return decodeDicomFrame(openDicom(bytes, layout), frame);
}

/** Frame `frame` (0-based) as modality values or RGB. */
export async function decodeDicomFrame(d: OpenedDicom, frame: number): Promise<DecodedImage> {
  const { attrs: a, dataSet: ds } = d;
  if (!Number.isInteger(frame) || frame < 0 || frame >= a.numberOfFrames) {
    throw badInput(`DICOM image has ${a.numberOfFrames} frame(s); frame ${frame + 1} does not exist`);
  }
  const { data, layout } = await frameSamples(d, frame);
  const width = a.columns;
  const height = a.rows;
  if (a.samplesPerPixel === 3) return { kind: 'rgb', width, height, data: rgbFromSamples(data, layout) };
  const stored = storedValues(data, layout);
  const signed = a.pixelRepresentation === 1;
  if (layout.photometric === 'PALETTE COLOR') {
    return { kind: 'rgb', width, height, data: paletteToRgb(stored, ds, signed) };
  }
  const lut = modalityLut(ds, signed);
  const toModality = modalityTransform(a, lut);
  applyModality(stored, a, lut);
  const gray: GrayImage = {
    kind: 'gray',
    width,
    height,
    values: stored,
    monochrome1: layout.photometric === 'MONOCHROME1',
    windows: windowPresets(a),
    voiFunction: voiFunction(a.voiLutFunction),
    voiLuts: voiLuts(ds, signed || (lut === null && a.rescaleIntercept < 0)),
    naturalRange: null,
    paddingValue: a.pixelPaddingValue === null ? null : toModality(a.pixelPaddingValue),
  };
  return gray;
}

/** Frame `frame`'s compressed bytes checked for the start of a codestream, without decoding (see codestream-check). */
export function checkCompressedFrame(d: OpenedDicom, frame: number): void {
  const { attrs: a, dataSet: ds, syntax } = d;
  if (syntax.encoding === 'native') return;
  const encoded = encapsulatedFrameBytes(ds, a, frame, syntax.encoding);
  const segments = a.samplesPerPixel * Math.ceil(a.bitsAllocated / 8);
  assertCodestreamStart(encoded, syntax, segments, `frame ${frame + 1}`);
}

async function frameSamples(d: OpenedDicom, frame: number): Promise<{ data: Uint8Array; layout: SampleLayout }> {
  const { attrs: a, dataSet: ds, syntax } = d;
  const base: SampleLayout = {
    width: a.columns,
    height: a.rows,
    samplesPerPixel: a.samplesPerPixel,
    bitsAllocated: a.bitsAllocated,
    bitsStored: a.bitsStored,
    shift: a.highBit + 1 - a.bitsStored,
    signed: a.pixelRepresentation === 1,
    planar: a.planarConfiguration === 1,
    photometric: photometric(a),
    packed422: isSubsampled422(a),
  };
  if (syntax.encoding === 'native') {
    const data = nativeFrameBytes(ds, a, frame, syntax.bigEndian);
    return { data, layout: a.bitsAllocated === 1 ? { ...base, bitsAllocated: 8, shift: 0 } : base };
  }
  const encoded = encapsulatedFrameBytes(ds, a, frame, syntax.encoding);
  const decoded = await decodeCompressedFrame(
    syntax,
    encoded,
    {
      width: a.columns,
      height: a.rows,
      bitsAllocated: a.bitsAllocated,
      bitsStored: a.bitsStored,
      samplesPerPixel: a.samplesPerPixel,
      pixelRepresentation: a.pixelRepresentation,
      photometricInterpretation: base.photometric,
    },
    `frame ${frame + 1}`,
  );
  // Codecs return full-resolution, interleaved samples in the low bits.
  const layout = { ...base, shift: 0, planar: false, packed422: false, photometric: decoded.photometricInterpretation };
  return { data: decoded.data, layout };
}

/** Stored values to modality values in place (the loop runs over every pixel: no call per pixel for rescale). */
function applyModality(values: Float32Array, a: DicomAttributes, lut: Lut | null): void {
  if (lut) {
    for (let i = 0; i < values.length; i++) values[i] = lookUp(lut, values[i]!);
    return;
  }
  const slope = a.rescaleSlope === 0 ? 1 : a.rescaleSlope;
  const intercept = a.rescaleIntercept;
  if (slope === 1 && intercept === 0) return;
  for (let i = 0; i < values.length; i++) values[i] = values[i]! * slope + intercept;
}

/** Stored value to modality value: the Modality LUT when present, else rescale slope and intercept. */
function modalityTransform(a: DicomAttributes, lut: Lut | null): (v: number) => number {
  if (lut) return (v) => lookUp(lut, v);
  const slope = a.rescaleSlope === 0 ? 1 : a.rescaleSlope;
  const intercept = a.rescaleIntercept;
  return slope === 1 && intercept === 0 ? (v) => v : (v) => v * slope + intercept;
}

/** The windows the file offers, in its order, paired with their explanations; unusable pairs are left out. */
export function windowPresets(a: DicomAttributes): WindowPreset[] {
  const fn = voiFunction(a.voiLutFunction);
  const out: WindowPreset[] = [];
  const n = Math.min(a.windowCenter.length, a.windowWidth.length);
  for (let i = 0; i < n; i++) {
    const w = usableWindow(a.windowCenter[i]!, a.windowWidth[i]!, fn);
    if (w) out.push({ center: w.center, width: w.width, explanation: a.windowExplanation[i] || null });
  }
  return out;
}

function paletteToRgb(stored: Float32Array, ds: DataSet, signed: boolean): Uint8Array {
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
