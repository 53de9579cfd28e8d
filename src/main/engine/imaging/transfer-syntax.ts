/** Transfer syntaxes: what each one is called, how its pixel data is stored, and which codec decodes it. */

/** How the pixel data of a syntax is stored: native words, or encapsulated frames for one of the codecs. */
export type PixelEncoding = 'native' | 'rle' | 'jpeg' | 'jpeg-ls' | 'jpeg2000' | 'htj2k' | 'jpeg-xl';

export interface TransferSyntax {
  uid: string;
  name: string;
  encoding: PixelEncoding;
  /** Explicit VR Big Endian: data set and native pixel words are big endian. */
  bigEndian: boolean;
  /** Lossy compression: decoded values only approximate the originals. */
  lossy: boolean;
  /** JPEG processes whose colour streams are YCbCr and are converted to RGB by the decoder. */
  jpegColourTransform: boolean;
}

const syntax = (
  uid: string,
  name: string,
  encoding: PixelEncoding,
  extra: Partial<Pick<TransferSyntax, 'bigEndian' | 'lossy' | 'jpegColourTransform'>> = {},
): TransferSyntax => ({ uid, name, encoding, bigEndian: false, lossy: false, jpegColourTransform: false, ...extra });

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

const DECODABLE: readonly TransferSyntax[] = [
  syntax(IMPLICIT_VR_LITTLE_ENDIAN, 'Implicit VR Little Endian', 'native'),
  syntax(EXPLICIT_VR_LITTLE_ENDIAN, 'Explicit VR Little Endian', 'native'),
  syntax(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, 'Deflated Explicit VR Little Endian', 'native'),
  syntax(EXPLICIT_VR_BIG_ENDIAN, 'Explicit VR Big Endian', 'native', { bigEndian: true }),
  syntax('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  syntax('1.2.840.10008.1.2.4.50', 'JPEG Baseline', 'jpeg', { lossy: true, jpegColourTransform: true }),
  syntax('1.2.840.10008.1.2.4.51', 'JPEG Extended', 'jpeg', { lossy: true, jpegColourTransform: true }),
  syntax('1.2.840.10008.1.2.4.57', 'JPEG Lossless', 'jpeg'),
  syntax('1.2.840.10008.1.2.4.70', 'JPEG Lossless SV1', 'jpeg'),
  syntax('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  syntax('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', 'jpeg-ls', { lossy: true }),
  syntax('1.2.840.10008.1.2.4.90', 'JPEG 2000 Lossless', 'jpeg2000'),
  syntax('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'jpeg2000', { lossy: true }),
  syntax('1.2.840.10008.1.2.4.201', 'HTJ2K Lossless', 'htj2k'),
  syntax('1.2.840.10008.1.2.4.202', 'HTJ2K Lossless RPCL', 'htj2k'),
  syntax('1.2.840.10008.1.2.4.203', 'HTJ2K', 'htj2k', { lossy: true }),
  syntax('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless', 'jpeg-xl'),
  syntax('1.2.840.10008.1.2.4.112', 'JPEG XL', 'jpeg-xl', { lossy: true }),
];

const BY_UID = new Map(DECODABLE.map((s) => [s.uid, s]));

/** Names of syntaxes this version refuses, so the message says what the file is. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Profile',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Lossless',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.6.1': 'RFC 2557 MIME encapsulation',
};

export function transferSyntax(uid: string): TransferSyntax | null {
  return BY_UID.get(uid) ?? null;
}

export function transferSyntaxLabel(uid: string): string {
  const name = BY_UID.get(uid)?.name ?? UNSUPPORTED_NAMES[uid];
  return name ? `${uid} (${name})` : uid;
}
