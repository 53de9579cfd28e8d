/**
 * The DICOM attributes the workstation keeps. Patient name and ID are deliberately absent: the ID is read
 * separately (`readPatientId`) only to derive the salted patient key, and never stored.
 */
import type { DataSet } from 'dicom-parser';

export interface DicomAttributes {
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
  sopClassUid: string | null;
  transferSyntaxUid: string;
  modality: string | null;
  bodyPartExamined: string | null;
  viewPosition: string | null;
  /** YYYY-MM-DD */
  studyDate: string | null;
  studyDescription: string | null;
  seriesDescription: string | null;
  seriesNumber: number | null;
  instanceNumber: number | null;
  manufacturer: string | null;
  manufacturerModelName: string | null;
  /** [row spacing, column spacing] in mm: PixelSpacing, else ImagerPixelSpacing. */
  pixelSpacing: [number, number] | null;
  photometricInterpretation: string | null;
  rows: number;
  columns: number;
  numberOfFrames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  windowCenter: number[];
  windowWidth: number[];
  /** Names of the windows (WindowCenterWidthExplanation), e.g. LUNG, MEDIASTINUM; parallel to windowCenter. */
  windowExplanation: string[];
  voiLutFunction: string | null;
  /** Names of the VOI LUTs of the VOI LUT Sequence, in order (an unnamed LUT is 'LUT n'). */
  voiLuts: string[];
  /** True when a Modality LUT Sequence replaces rescale slope and intercept. */
  modalityLut: boolean;
  /** A stored value that marks padding outside the imaged area (left out of the full-range window). */
  pixelPaddingValue: number | null;
  /** True when the pixel data is encapsulated (compressed) rather than native. */
  encapsulated: boolean;
}

const str = (ds: DataSet, tag: string): string | null => {
  const v = ds.string(tag)?.replace(/\0/g, '').trim();
  return v ? v : null;
};

const int = (ds: DataSet, tag: string): number | null => {
  const v = ds.intString(tag);
  return v !== undefined && Number.isFinite(v) ? v : null;
};

const multiFloat = (ds: DataSet, tag: string): number[] => {
  const n = ds.numStringValues(tag) ?? 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = ds.floatString(tag, i);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
};

const float = (ds: DataSet, tag: string): number | null => multiFloat(ds, tag)[0] ?? null;

const us = (ds: DataSet, tag: string): number | null => (ds.elements[tag] ? (ds.uint16(tag) ?? null) : null);

const multiStr = (ds: DataSet, tag: string): string[] => {
  const n = ds.numStringValues(tag) ?? 0;
  return Array.from({ length: n }, (_, i) => ds.string(tag, i)?.replace(/\0/g, '').trim() ?? '');
};

/** US or SS by the element's VR (implicit VR files give none: then the pixel representation decides). */
function usOrSs(ds: DataSet, tag: string, signed: boolean): number | null {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return null;
  return (el.vr === 'SS' || (el.vr === undefined && signed) ? ds.int16(tag) : ds.uint16(tag)) ?? null;
}

function voiLutNames(ds: DataSet): string[] {
  const items = ds.elements['x00283010']?.items ?? [];
  return items.map((item, i) => (item.dataSet ? str(item.dataSet, 'x00283003') : null) ?? `LUT ${i + 1}`);
}

/** DA (YYYYMMDD, or the old YYYY.MM.DD) as YYYY-MM-DD; anything else is dropped. */
export function dicomDateToIso(da: string | null): string | null {
  const m = da ? /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(da) : null;
  if (!m) return null;
  const [, y, mo, d] = m;
  const month = Number(mo);
  const day = Number(d);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? `${y}-${mo}-${d}` : null;
}

function spacing(ds: DataSet): [number, number] | null {
  for (const tag of ['x00280030', 'x00181164']) {
    const v = multiFloat(ds, tag);
    if (v.length >= 2 && v[0]! > 0 && v[1]! > 0) return [v[0]!, v[1]!];
  }
  return null;
}

export function readDicomAttributes(ds: DataSet, transferSyntaxUid: string): DicomAttributes {
  const pixel = ds.elements['x7fe00010'];
  return {
    studyInstanceUid: str(ds, 'x0020000d'),
    seriesInstanceUid: str(ds, 'x0020000e'),
    sopInstanceUid: str(ds, 'x00080018'),
    sopClassUid: str(ds, 'x00080016'),
    transferSyntaxUid,
    modality: str(ds, 'x00080060'),
    bodyPartExamined: str(ds, 'x00180015'),
    viewPosition: str(ds, 'x00185101'),
    studyDate: dicomDateToIso(str(ds, 'x00080020')),
    studyDescription: str(ds, 'x00081030'),
    seriesDescription: str(ds, 'x0008103e'),
    seriesNumber: int(ds, 'x00200011'),
    instanceNumber: int(ds, 'x00200013'),
    manufacturer: str(ds, 'x00080070'),
    manufacturerModelName: str(ds, 'x00081090'),
    pixelSpacing: spacing(ds),
    photometricInterpretation: str(ds, 'x00280004'),
    rows: us(ds, 'x00280010') ?? 0,
    columns: us(ds, 'x00280011') ?? 0,
    numberOfFrames: Math.max(1, int(ds, 'x00280008') ?? 1),
    samplesPerPixel: us(ds, 'x00280002') ?? 1,
    bitsAllocated: us(ds, 'x00280100') ?? 0,
    bitsStored: us(ds, 'x00280101') ?? us(ds, 'x00280100') ?? 0,
    highBit: us(ds, 'x00280102') ?? (us(ds, 'x00280101') ?? 1) - 1,
    pixelRepresentation: us(ds, 'x00280103') ?? 0,
    planarConfiguration: us(ds, 'x00280006') ?? 0,
    rescaleSlope: float(ds, 'x00281053') ?? 1,
    rescaleIntercept: float(ds, 'x00281052') ?? 0,
    windowCenter: multiFloat(ds, 'x00281050'),
    windowWidth: multiFloat(ds, 'x00281051'),
    windowExplanation: multiStr(ds, 'x00281055'),
    voiLutFunction: str(ds, 'x00281056'),
    voiLuts: voiLutNames(ds),
    modalityLut: (ds.elements['x00283000']?.items?.length ?? 0) > 0,
    pixelPaddingValue: usOrSs(ds, 'x00280120', us(ds, 'x00280103') === 1),
    encapsulated: pixel?.encapsulatedPixelData === true,
  };
}

/** The patient ID, only to derive the salted key; callers must not store it. */
export function readPatientId(ds: DataSet): string | null {
  return str(ds, 'x00100020');
}

/** Where the pixels are, if the file has any. */
export function hasPixelData(ds: DataSet): boolean {
  return (
    ds.elements['x7fe00010'] !== undefined ||
    ds.elements['x7fe00008'] !== undefined ||
    ds.elements['x7fe00009'] !== undefined
  );
}
