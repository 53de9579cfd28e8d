/**
 * De-identification of what an export writes, after DICOM PS3.15 Annex E, Basic Application Level Confidentiality
 * Profile (Table E.1-1): identifying attributes are removed (X) or emptied (Z), UIDs replaced (U) by new ones that stay
 * consistent within one export (the same original UID maps to the same new UID in every JSON, CSV and SR of it),
 * descriptions and dates are dropped, and people (patient, reviewers, approvers) get pseudonyms that mean nothing
 * outside the export. Attributes the table keeps (K) pass; an attribute this module does not know is removed, so a
 * field added to the store later never leaks by default. An identified export (`identified: true`) passes everything.
 */
import { randomBytes } from 'node:crypto';

/** PS3.15 actions: K keep, U replace UID, Z zero length (null here), X remove. */
export type DeidAction = 'K' | 'U' | 'Z' | 'X';

interface AttributeRule {
  /** (gggg,eeee) */
  tag: string;
  keyword: string;
  action: DeidAction;
}

/**
 * The stored DICOM attributes (see imaging/dicom-attributes.ts) and what the Basic Profile does with each. Image
 * pixel description and presentation attributes are not in Table E.1-1 and are kept.
 */
export const storedAttributeRules: Readonly<Record<string, AttributeRule>> = {
  studyInstanceUid: { tag: '(0020,000D)', keyword: 'StudyInstanceUID', action: 'U' },
  seriesInstanceUid: { tag: '(0020,000E)', keyword: 'SeriesInstanceUID', action: 'U' },
  sopInstanceUid: { tag: '(0008,0018)', keyword: 'SOPInstanceUID', action: 'U' },
  sopClassUid: { tag: '(0008,0016)', keyword: 'SOPClassUID', action: 'K' },
  transferSyntaxUid: { tag: '(0002,0010)', keyword: 'TransferSyntaxUID', action: 'K' },
  modality: { tag: '(0008,0060)', keyword: 'Modality', action: 'K' },
  bodyPartExamined: { tag: '(0018,0015)', keyword: 'BodyPartExamined', action: 'K' },
  viewPosition: { tag: '(0018,5101)', keyword: 'ViewPosition', action: 'K' },
  studyDate: { tag: '(0008,0020)', keyword: 'StudyDate', action: 'Z' },
  studyDescription: { tag: '(0008,1030)', keyword: 'StudyDescription', action: 'X' },
  seriesDescription: { tag: '(0008,103E)', keyword: 'SeriesDescription', action: 'X' },
  seriesNumber: { tag: '(0020,0011)', keyword: 'SeriesNumber', action: 'K' },
  instanceNumber: { tag: '(0020,0013)', keyword: 'InstanceNumber', action: 'K' },
  manufacturer: { tag: '(0008,0070)', keyword: 'Manufacturer', action: 'K' },
  manufacturerModelName: { tag: '(0008,1090)', keyword: 'ManufacturerModelName', action: 'K' },
  pixelSpacing: { tag: '(0028,0030)', keyword: 'PixelSpacing', action: 'K' },
  photometricInterpretation: { tag: '(0028,0004)', keyword: 'PhotometricInterpretation', action: 'K' },
  rows: { tag: '(0028,0010)', keyword: 'Rows', action: 'K' },
  columns: { tag: '(0028,0011)', keyword: 'Columns', action: 'K' },
  numberOfFrames: { tag: '(0028,0008)', keyword: 'NumberOfFrames', action: 'K' },
  samplesPerPixel: { tag: '(0028,0002)', keyword: 'SamplesPerPixel', action: 'K' },
  bitsAllocated: { tag: '(0028,0100)', keyword: 'BitsAllocated', action: 'K' },
  bitsStored: { tag: '(0028,0101)', keyword: 'BitsStored', action: 'K' },
  highBit: { tag: '(0028,0102)', keyword: 'HighBit', action: 'K' },
  pixelRepresentation: { tag: '(0028,0103)', keyword: 'PixelRepresentation', action: 'K' },
  planarConfiguration: { tag: '(0028,0006)', keyword: 'PlanarConfiguration', action: 'K' },
  rescaleSlope: { tag: '(0028,1053)', keyword: 'RescaleSlope', action: 'K' },
  rescaleIntercept: { tag: '(0028,1052)', keyword: 'RescaleIntercept', action: 'K' },
  windowCenter: { tag: '(0028,1050)', keyword: 'WindowCenter', action: 'K' },
  windowWidth: { tag: '(0028,1051)', keyword: 'WindowWidth', action: 'K' },
  windowExplanation: { tag: '(0028,1055)', keyword: 'WindowCenterWidthExplanation', action: 'K' },
  voiLutFunction: { tag: '(0028,1056)', keyword: 'VOILUTFunction', action: 'K' },
  voiLuts: { tag: '(0028,3003)', keyword: 'LUTExplanation', action: 'K' },
  modalityLut: { tag: '(0028,3000)', keyword: 'ModalityLUTSequence', action: 'K' },
  pixelPaddingValue: { tag: '(0028,0120)', keyword: 'PixelPaddingValue', action: 'K' },
  encapsulated: { tag: '(7FE0,0010)', keyword: 'PixelData', action: 'K' },
};

/** The identifying attributes an SR's patient and study modules carry, and what the profile does with each. */
export const identifyingAttributeRules: readonly AttributeRule[] = [
  { tag: '(0010,0010)', keyword: 'PatientName', action: 'Z' },
  { tag: '(0010,0020)', keyword: 'PatientID', action: 'Z' },
  { tag: '(0010,0030)', keyword: 'PatientBirthDate', action: 'Z' },
  { tag: '(0010,0040)', keyword: 'PatientSex', action: 'Z' },
  { tag: '(0008,0050)', keyword: 'AccessionNumber', action: 'Z' },
  { tag: '(0020,0010)', keyword: 'StudyID', action: 'Z' },
  { tag: '(0008,0020)', keyword: 'StudyDate', action: 'Z' },
  { tag: '(0008,0030)', keyword: 'StudyTime', action: 'Z' },
  { tag: '(0008,0090)', keyword: 'ReferringPhysicianName', action: 'Z' },
  { tag: '(0040,A123)', keyword: 'PersonObserverName', action: 'Z' },
];

/** The coded method written to the JSON and to the SR's De-identification Method Code Sequence (PS3.16 CID 7050). */
export const BASIC_PROFILE_CODE = {
  value: '113100',
  scheme: 'DCM',
  meaning: 'Basic Application Confidentiality Profile',
} as const;
export const CLEAN_DESCRIPTORS_NOTE =
  "Study descriptions and original file names removed; study and birth dates removed (the workstation's own " +
  "import, prediction and review times are kept); free-text notes kept with the patient's name, ID, birth date, " +
  'accession number and referring physician scrubbed; images whose file declares burned-in annotation are not drawn';

/** A new UID under the 2.25 root: the decimal value of 128 random bits (PS3.5 B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(10)}`;
}

export interface DeidentificationRecord {
  profile: string;
  code: { value: string; scheme: string; meaning: string };
  uidsRemapped: boolean;
  datesRemoved: boolean;
  note: string;
}

export interface Deidentifier {
  readonly identified: boolean;
  /** The UID to write for an original UID (itself when identified); the same original gives the same result. */
  uid(original: string | null): string | null;
  /** A UID for an object the export creates (an SR), unrelated to any original. */
  freshUid(): string;
  /** "Patient 1", "Patient 2"... per distinct patient key within the export; identified exports keep the key. */
  patient(key: string | null, caseId: number): string;
  /** A person acting in the workstation (reviewer, approver, predictor): "Person 1"... unless identified. */
  person(name: string | null): string | null;
  /** The stored DICOM attributes with the profile applied. */
  dicomAttributes(stored: Record<string, unknown> | null): Record<string, unknown> | null;
  /** Free text with the given identifiers replaced by "[removed]" (unchanged when identified). */
  scrub(text: string | null, identifiers: readonly (string | null)[]): string | null;
  record(): DeidentificationRecord | null;
}

export function deidentifier(identified: boolean): Deidentifier {
  const uids = new Map<string, string>();
  const patients = new Map<string, string>();
  const people = new Map<string, string>();
  const uid = (original: string | null): string | null => {
    if (original === null || identified) return original;
    let mapped = uids.get(original);
    if (mapped === undefined) {
      mapped = newUid();
      uids.set(original, mapped);
    }
    return mapped;
  };
  return {
    identified,
    uid,
    freshUid: newUid,
    patient(key, caseId) {
      if (identified) return key ?? `case-${caseId}`;
      // A case without a patient key is its own patient: nothing says two such cases share one.
      const k = key ?? `\0case:${caseId}`;
      let p = patients.get(k);
      if (p === undefined) {
        p = `Patient ${patients.size + 1}`;
        patients.set(k, p);
      }
      return p;
    },
    person(name) {
      if (name === null || identified) return name;
      let p = people.get(name);
      if (p === undefined) {
        p = `Person ${people.size + 1}`;
        people.set(name, p);
      }
      return p;
    },
    dicomAttributes(stored) {
      if (stored === null || identified) return stored;
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(stored)) {
        const rule = storedAttributeRules[key];
        if (!rule || rule.action === 'X') continue;
        if (rule.action === 'Z') out[key] = null;
        else if (rule.action === 'U') out[key] = typeof value === 'string' ? uid(value) : null;
        else out[key] = value;
      }
      return out;
    },
    scrub(text, identifiers) {
      if (text === null || identified) return text;
      return scrubIdentifiers(text, identifiers);
    },
    record() {
      if (identified) return null;
      return {
        profile: 'DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile',
        code: { ...BASIC_PROFILE_CODE },
        uidsRemapped: true,
        datesRemoved: true,
        note: CLEAN_DESCRIPTORS_NOTE,
      };
    },
  };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every whole-word occurrence of an identifier (and of each part of a DICOM person name, Family^Given^...) replaced,
 * case-insensitively. Parts of one letter are left alone: they would erase ordinary words.
 */
export function scrubIdentifiers(text: string, identifiers: readonly (string | null)[]): string {
  const terms = new Set<string>();
  for (const id of identifiers) {
    if (!id) continue;
    const whole = id.replace(/\^+/g, ' ').trim();
    if (whole.length >= 2) terms.add(whole);
    for (const part of id.split(/[\^=\s,]+/)) if (part.trim().length >= 2) terms.add(part.trim());
    // Birth dates appear as 1970-01-02 in our fields and as 19700102 in DICOM.
    if (/^\d{4}-\d{2}-\d{2}$/.test(id)) terms.add(id.replace(/-/g, ''));
  }
  if (terms.size === 0) return text;
  // Longest first, so "Jane Doe" goes as one before "Jane" and "Doe" are considered.
  const pattern = [...terms]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');
  return text.replace(new RegExp(`(?<![\\p{L}\\p{N}])(?:${pattern})(?![\\p{L}\\p{N}])`, 'giu'), '[removed]');
}
