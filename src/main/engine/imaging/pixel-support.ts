/** Which pixel descriptions this version decodes: the reason a file's cannot be, or null. */
import type { DicomAttributes } from './dicom-attributes';
import { isSubsampled422 } from './dicom-frame-bytes';
import { transferSyntaxLabel, type TransferSyntax } from './transfer-syntax';

const GRAY = new Set(['MONOCHROME1', 'MONOCHROME2', 'PALETTE COLOR']);
const COLOUR = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_PARTIAL_422', 'YBR_ICT', 'YBR_RCT']);

/** Why the pixel description cannot be decoded, or null when it can. */
export function unsupportedReason(a: DicomAttributes, syntax: TransferSyntax): string | null {
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

export const photometric = (a: DicomAttributes): string =>
  a.photometricInterpretation ?? (a.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
