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
import { modalityLut, paletteToRgb, voiLuts } from './dicom-luts';
import { parseDicomBytes } from './dicom-parse';
import { rgbFromSamples, storedValues, type SampleLayout } from './dicom-samples';
import type { DecodedImage, GrayImage } from './decoded-image';
import type { DicomLayout } from './formats';
import { noPixelDataMessage } from './non-image-objects';
import { assertWithinPixelBudget } from './pixel-budget';
import { applyModality, modalityTransform } from './modality';
import { photometric, unsupportedReason } from './pixel-support';
import { transferSyntax, transferSyntaxLabel, type TransferSyntax } from './transfer-syntax';
import { voiFunction } from './voi';
import { windowPresets } from './window-presets';

export { windowPresets };

export interface OpenedDicom {
  dataSet: DataSet;
  attrs: DicomAttributes;
  syntax: TransferSyntax;
}

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
