/**
 * dicom-parser behind one function that always throws a one-line VipError on bad input: Part 10 files, files without
 * the preamble, bare data sets, deflated data sets (inflated here with a size cap), and explicit-VR data sets whose
 * value representations are not real VRs (which dicom-parser would otherwise read as garbage).
 */
import { inflateRawSync } from 'node:zlib';
import * as dicomParserModule from 'dicom-parser';
import type { ByteArrayParser, DataSet, Element } from 'dicom-parser';
import { badInput } from '@shared/errors';
import type { DicomLayout } from './formats';
import { PIXEL_BUDGET } from './pixel-budget';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from './transfer-syntax';

type DicomParser = typeof dicomParserModule;
// The package is a UMD bundle: under Node's ESM loader its functions sit on the default export.
const dicomParser: DicomParser =
  (dicomParserModule as DicomParser & { default?: DicomParser }).default ?? dicomParserModule;

/** Largest inflated deflate stream: the pixel budget at 16 bits x 3 samples, plus room for the other elements. */
const MAX_INFLATED_BYTES = PIXEL_BUDGET * 6 + 64 * 1024 * 1024;

const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

export interface ParsedDicom {
  dataSet: DataSet;
  /** From the file meta header, or the syntax assumed for a file without one. */
  transferSyntaxUid: string;
}

export function parseDicomBytes(bytes: Uint8Array, layout: DicomLayout): ParsedDicom {
  const buffer = withPart10Prefix(asBuffer(bytes), layout);
  const assumed =
    layout === 'raw-implicit'
      ? IMPLICIT_VR_LITTLE_ENDIAN
      : layout === 'raw-explicit'
        ? EXPLICIT_VR_LITTLE_ENDIAN
        : undefined;
  let dataSet: DataSet;
  try {
    dataSet = assumed
      ? dicomParser.parseDicom(buffer, { TransferSyntaxUID: assumed })
      : (parseDeflated(buffer) ?? dicomParser.parseDicom(buffer));
  } catch (err) {
    const partial = partialDataSet(err);
    // A bad VR usually makes the parser overrun further on; the VR is the reason worth reporting.
    const badVr = partial ? findBadVr(partial) : null;
    throw badInput(badVr ?? `cannot parse DICOM: ${parserMessage(err)}`);
  }
  const badVr = findBadVr(dataSet);
  if (badVr) throw badInput(badVr);
  const overrun = findOverrun(dataSet, dataSet.byteArray.length);
  if (overrun) throw badInput(overrun);
  const transferSyntaxUid = (dataSet.string('x00020010') ?? assumed ?? IMPLICIT_VR_LITTLE_ENDIAN)
    .replace(/\0/g, '')
    .trim();
  return { dataSet, transferSyntaxUid };
}

type DataSetConstructor = new (parser: ByteArrayParser, bytes: Buffer, elements: Record<string, Element>) => DataSet;

/**
 * Deflated Explicit VR Little Endian (PS3.5 A.5): everything after the file meta group is raw deflate. Inflated here
 * (with a size cap against decompression bombs) and parsed as explicit little endian in one byte array with the
 * header, so element offsets stay valid. Null when the file is not deflated.
 */
function parseDeflated(buffer: Buffer): DataSet | null {
  const meta = dicomParser.readPart10Header(buffer) as DataSet & { position?: number };
  const syntax = meta.string('x00020010')?.replace(/\0/g, '').trim();
  if (syntax !== DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN || meta.position === undefined) return null;
  const full = Buffer.concat([buffer.subarray(0, meta.position), inflate(buffer.subarray(meta.position))]);
  const DataSetClass = (dicomParser as unknown as { DataSet: DataSetConstructor }).DataSet;
  const dataSet = new DataSetClass(dicomParser.littleEndianByteArrayParser, full, {});
  dataSet.warnings = [];
  const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, full, meta.position);
  try {
    dicomParser.parseDicomDataSetExplicit(dataSet, stream, full.length);
  } catch (err) {
    throw { exception: err, dataSet };
  }
  Object.assign(dataSet.elements, meta.elements);
  return dataSet;
}

function inflate(deflated: Uint8Array): Buffer {
  try {
    return inflateRawSync(deflated, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`deflated data set inflates beyond ${MAX_INFLATED_BYTES} bytes (the pixel budget)`);
    }
    throw new Error(`deflated data set is corrupt (${err instanceof Error ? err.message : String(err)})`);
  }
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A file meta group without the preamble (with or without 'DICM') gets one, so the parser reads it as Part 10. */
function withPart10Prefix(buffer: Buffer, layout: DicomLayout): Buffer {
  if (layout !== 'no-preamble') return buffer;
  const hasMagic = buffer.subarray(0, 4).toString('latin1') === 'DICM';
  const prefix = Buffer.alloc(hasMagic ? 128 : 132);
  if (!hasMagic) prefix.write('DICM', 128, 'latin1');
  return Buffer.concat([prefix, buffer]);
}

const tagLabel = (tag: string): string => `(${tag.slice(1, 5)},${tag.slice(5, 9)})`.toUpperCase();

/** The first element, at any depth, whose explicit VR is not a DICOM VR; null when all are fine. */
function findBadVr(ds: DataSet): string | null {
  for (const element of Object.values(ds.elements) as Element[]) {
    if (element.vr !== undefined && !VRS.has(element.vr)) {
      const shown = JSON.stringify(element.vr.replace(/[^\x20-\x7e]/g, '?'));
      return `bad DICOM value representation ${shown} at tag ${tagLabel(element.tag)}`;
    }
    for (const item of element.items ?? []) {
      const inner = item.dataSet ? findBadVr(item.dataSet) : null;
      if (inner) return inner;
    }
  }
  return null;
}

/**
 * The first element whose value runs past the end of the file (the implicit-VR parser does not check). Native pixel
 * data is left to the pixel module check, which says how many bytes are missing.
 */
function findOverrun(ds: DataSet, end: number): string | null {
  for (const element of Object.values(ds.elements) as Element[]) {
    if (element.tag === 'x7fe00010' || element.hadUndefinedLength) continue;
    if (element.dataOffset + element.length > end) {
      return `file is truncated: element ${tagLabel(element.tag)} runs past the end of the file`;
    }
    for (const item of element.items ?? []) {
      const inner = item.dataSet ? findOverrun(item.dataSet, end) : null;
      if (inner) return inner;
    }
  }
  return null;
}

function partialDataSet(err: unknown): DataSet | null {
  if (err !== null && typeof err === 'object' && 'dataSet' in err) {
    const ds = (err as { dataSet: unknown }).dataSet;
    if (ds !== null && typeof ds === 'object' && 'elements' in ds) return ds as DataSet;
  }
  return null;
}

/** dicom-parser throws strings, Errors, or {exception, dataSet}; reduce each to its message. */
function parserMessage(err: unknown): string {
  const inner =
    err !== null && typeof err === 'object' && 'exception' in err ? (err as { exception: unknown }).exception : err;
  const text = inner instanceof Error ? inner.message : String(inner);
  const line = text.replace(/^(dicomParser[.:])?\w+(\.\w+)*:\s*/, '').split('\n')[0] ?? '';
  return friendlierParserMessage(line) || 'unknown error';
}

function friendlierParserMessage(line: string): string {
  if (
    /buffer overread|buffer overrun|outside buffer|past end of buffer|beyond|cannot be greater than or equal to 'byteArray' length/i.test(
      line,
    )
  ) {
    return `file is truncated (${line})`;
  }
  if (/missing required meta header attribute 0002,0010/.test(line)) {
    return 'the file meta header has no Transfer Syntax UID (0002,0010) (truncated file?)';
  }
  if (/DICM prefix not found/.test(line)) return 'no DICM marker (not a DICOM Part 10 file)';
  return line;
}
