/** dicom-parser behind one function that always throws a one-line VipError on bad input. */
import * as dicomParserModule from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { badInput } from '@shared/errors';
import type { DicomLayout } from './formats';

type DicomParser = typeof dicomParserModule;
// The package is a UMD bundle: under Node's ESM loader its functions sit on the default export.
const dicomParser: DicomParser =
  (dicomParserModule as DicomParser & { default?: DicomParser }).default ?? dicomParserModule;

export const IMPLICIT_LITTLE = '1.2.840.10008.1.2';
export const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';

export interface ParsedDicom {
  dataSet: DataSet;
  /** From the file meta header, or the syntax assumed for a file without one. */
  transferSyntaxUid: string;
}

export function parseDicomBytes(bytes: Uint8Array, layout: DicomLayout): ParsedDicom {
  // dicom-parser copies with Buffer methods when it inflates deflated data sets.
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const assumed = layout === 'raw-implicit' ? IMPLICIT_LITTLE : layout === 'raw-explicit' ? EXPLICIT_LITTLE : undefined;
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(buffer, assumed ? { TransferSyntaxUID: assumed } : {});
  } catch (err) {
    throw badInput(`cannot parse DICOM: ${parserMessage(err)}`);
  }
  const transferSyntaxUid = dataSet.string('x00020010') ?? assumed ?? IMPLICIT_LITTLE;
  return { dataSet, transferSyntaxUid: transferSyntaxUid.replace(/\0/g, '').trim() };
}

/** dicom-parser throws strings, Errors, or {exception, dataSet}; reduce each to its message. */
function parserMessage(err: unknown): string {
  const inner =
    err !== null && typeof err === 'object' && 'exception' in err ? (err as { exception: unknown }).exception : err;
  const text = inner instanceof Error ? inner.message : String(inner);
  return text.replace(/^dicomParser\.\w+:\s*/, '').split('\n')[0] ?? 'unknown error';
}
