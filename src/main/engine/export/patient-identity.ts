/**
 * The identifying attributes of an original DICOM file in the managed folder. The store never keeps them (only a
 * salted patient key); an identified export reads them back from the file, and a de-identified export reads them only
 * to scrub them out of free text (notes), never to output them.
 */
import type { DataSet } from 'dicom-parser';
import { detectFormat } from '../imaging/formats';
import { parseDicomBytes } from '../imaging/dicom-parse';
import { dicomDateToIso } from '../imaging/dicom-attributes';

export interface PatientIdentity {
  patientName: string | null;
  patientId: string | null;
  /** YYYY-MM-DD */
  birthDate: string | null;
  sex: string | null;
  accessionNumber: string | null;
  studyId: string | null;
  /** YYYY-MM-DD */
  studyDate: string | null;
  /** HHMMSS(.ffffff) as in the file. */
  studyTime: string | null;
  referringPhysicianName: string | null;
  /** Burned In Annotation (0028,0301): YES when the pixels themselves carry text, possibly identifying. */
  burnedInAnnotation: string | null;
}

export const emptyIdentity: PatientIdentity = {
  patientName: null,
  patientId: null,
  birthDate: null,
  sex: null,
  accessionNumber: null,
  studyId: null,
  studyDate: null,
  studyTime: null,
  referringPhysicianName: null,
  burnedInAnnotation: null,
};

/** Text values in the file's character set: UTF-8 when it says ISO_IR 192, else Latin-1 (the default repertoire). */
function textReader(ds: DataSet): (tag: string) => string | null {
  const charset = ds.string('x00080005')?.trim() ?? '';
  const decoder = new TextDecoder(/ISO_IR 192/.test(charset) ? 'utf-8' : 'latin1');
  return (tag) => {
    const el = ds.elements[tag];
    if (!el || el.length === 0) return null;
    const bytes = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
    const v = decoder.decode(bytes).replace(/\0/g, '').trim();
    return v === '' ? null : v;
  };
}

/** Reads the identity of a DICOM file's bytes; anything else (or a file that does not parse) has none. */
export function readPatientIdentity(bytes: Uint8Array): PatientIdentity {
  const format = detectFormat(bytes);
  if (format.kind !== 'dicom') return emptyIdentity;
  let ds: DataSet;
  try {
    ds = parseDicomBytes(bytes, format.layout).dataSet;
  } catch {
    return emptyIdentity;
  }
  const text = textReader(ds);
  return {
    patientName: text('x00100010'),
    patientId: text('x00100020'),
    birthDate: dicomDateToIso(text('x00100030')),
    sex: text('x00100040'),
    accessionNumber: text('x00080050'),
    studyId: text('x00200010'),
    studyDate: dicomDateToIso(text('x00080020')),
    studyTime: text('x00080030'),
    referringPhysicianName: text('x00080090'),
    burnedInAnnotation: text('x00280301')?.toUpperCase() ?? null,
  };
}

/** The first non-empty value of each field across the images of a case. */
export function mergeIdentities(list: readonly PatientIdentity[]): PatientIdentity {
  const out: PatientIdentity = { ...emptyIdentity };
  for (const identity of list) {
    for (const key of Object.keys(out) as (keyof PatientIdentity)[]) out[key] ??= identity[key];
  }
  return out;
}

/** A person name (PN, `Family^Given^Middle^Prefix^Suffix`) as people write it: "Given Family". */
export function readableName(pn: string | null): string | null {
  if (!pn) return null;
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = pn.split('=')[0]?.split('^') ?? [];
  const name = [prefix, given, middle, family, suffix]
    .map((p) => p.trim())
    .filter(Boolean)
    .join(' ');
  return name || null;
}
