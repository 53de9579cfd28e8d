/** Which kind of file a byte buffer holds, from its first bytes (never from the file name). */

export type RasterFormat = 'png' | 'jpeg' | 'tiff' | 'webp';
/**
 * part10: 128-byte preamble, 'DICM', file meta group. no-preamble: 'DICM' and/or the file meta group without the
 * preamble. raw-*: a bare data set (old ACR-NEMA style exports), in the VR encoding its first element shows.
 */
export type DicomLayout = 'part10' | 'no-preamble' | 'raw-implicit' | 'raw-explicit';

export type DetectedFormat =
  | { kind: 'raster'; format: RasterFormat }
  | { kind: 'dicom'; layout: DicomLayout }
  | { kind: 'unknown'; hint: string | null };

export const rasterMediaTypes: Record<RasterFormat, { mediaType: string; ext: string }> = {
  png: { mediaType: 'image/png', ext: 'png' },
  jpeg: { mediaType: 'image/jpeg', ext: 'jpg' },
  tiff: { mediaType: 'image/tiff', ext: 'tif' },
  webp: { mediaType: 'image/webp', ext: 'webp' },
};
export const DICOM_MEDIA_TYPE = 'application/dicom';
export const DICOM_EXT = 'dcm';

const ascii = (b: Uint8Array, start: number, length: number): string =>
  start + length <= b.length ? String.fromCharCode(...b.subarray(start, start + length)) : '';

const startsWith = (b: Uint8Array, sig: readonly number[]): boolean => sig.every((v, i) => b[i] === v);

/** Value representations, to recognise explicit-VR data sets that lack the Part 10 preamble. */
const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

export function detectFormat(b: Uint8Array): DetectedFormat {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'raster', format: 'png' };
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { kind: 'raster', format: 'jpeg' };
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]))
    return { kind: 'raster', format: 'tiff' };
  if (startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b]))
    return { kind: 'raster', format: 'tiff' };
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return { kind: 'raster', format: 'webp' };
  if (ascii(b, 128, 4) === 'DICM') return { kind: 'dicom', layout: 'part10' };
  if (ascii(b, 0, 4) === 'DICM') return { kind: 'dicom', layout: 'no-preamble' };
  const raw = rawDicomLayout(b);
  if (raw) return { kind: 'dicom', layout: raw };
  return { kind: 'unknown', hint: knownOtherFormat(b) };
}

/**
 * A data set written without the 128-byte preamble: it starts with a little-endian element of the file meta group
 * (0002, always explicit VR), or of a low even group (0000 command length of ACR-NEMA files, 0008 identification,
 * up to 0028 image pixel description) whose length fits in the file.
 */
function rawDicomLayout(b: Uint8Array): DicomLayout | null {
  if (b.length < 16) return null;
  const group = b[0]! | (b[1]! << 8);
  const element = b[2]! | (b[3]! << 8);
  if (group % 2 !== 0 || group > 0x0028 || element > 0x0100) return null;
  const vr = ascii(b, 4, 2);
  if (VRS.has(vr)) {
    const length = b[6]! | (b[7]! << 8);
    if (length + 8 > b.length) return null;
    return group === 0x0002 ? 'no-preamble' : 'raw-explicit';
  }
  const length = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  return group !== 0x0002 && length > 0 && length < 1024 && length + 8 <= b.length ? 'raw-implicit' : null;
}

function knownOtherFormat(b: Uint8Array): string | null {
  const head = ascii(b, 0, 8);
  if (head.startsWith('GIF8')) return 'a GIF image';
  if (head.startsWith('BM')) return 'a BMP image';
  if (head.startsWith('%PDF')) return 'a PDF document';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive';
  if (startsWith(b, [0x1f, 0x8b])) return 'a gzip archive';
  if (startsWith(b, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'a JPEG 2000 image';
  if (ascii(b, 4, 4) === 'ftyp') return 'a HEIF/MP4 file';
  return null;
}

export function unsupportedFormatMessage(hint: string | null): string {
  const expected = 'expected PNG, JPEG, TIFF, WebP or DICOM';
  return hint ? `not a supported image: looks like ${hint} (${expected})` : `not a supported image (${expected})`;
}
