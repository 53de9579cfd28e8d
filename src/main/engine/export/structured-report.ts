/**
 * A DICOM Comprehensive SR (PS3.3 A.35.3) per analysed DICOM image, written with dcmjs: it references the source
 * image by study, series and SOP instance UID (in the evidence sequence and as an IMAGE content item), and carries
 * the predicted class, every class's probability, logit and prototype term, and each class's visual symptoms with
 * weight, similarity and contribution, the algorithm and its version, the reviewer's label, and the research-use
 * notice. Everything comes from the (already de-identified) case document; the patient and study modules are filled
 * from the original file only for identified exports, and hold pseudonyms or nothing otherwise, with Patient Identity
 * Removed = YES and the Basic Profile code in the De-identification Method Code Sequence.
 */
import { createRequire } from 'node:module';
import { DISCLAIMER, latestOf, latestReview, type CaseExportDocument, type ImageDoc } from './case-document';
import { BASIC_PROFILE_CODE } from './deidentify';
import type { PatientIdentity } from './patient-identity';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** This software's implementation class UID (PS3.7 D.3.3.2): a fixed UID under 2.25. */
export const IMPLEMENTATION_CLASS_UID = '2.25.208693284317960392345298107744932806127';
export const PRIVATE_SCHEME = '99VIP';

type Naturalized = Record<string, unknown>;

interface DcmjsData {
  DicomMetaDictionary: { denaturalizeDataset(ds: Naturalized): Record<string, unknown> };
  DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
}

const requireHere = createRequire(import.meta.url);
let dcmjsData: DcmjsData | null = null;
function dcmjs(): DcmjsData {
  dcmjsData ??= (requireHere('dcmjs') as { data: DcmjsData }).data;
  return dcmjsData;
}

interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}
const code = (value: string, scheme: string, meaning: string): Code => ({
  CodeValue: value,
  CodingSchemeDesignator: scheme,
  CodeMeaning: meaning,
});
const vip = (value: string, meaning: string): Code => code(value, PRIVATE_SCHEME, meaning);

export const concepts = {
  report: vip('VIP-REPORT', 'ViP image classification report'),
  sourceImage: vip('VIP-SOURCE', 'Source image'),
  predictedClass: vip('VIP-PREDICTED', 'Predicted class'),
  probability: vip('VIP-PROB', 'Probability'),
  classResult: vip('VIP-CLASS-RESULT', 'Class result'),
  className: vip('VIP-CLASS', 'Class'),
  logit: vip('VIP-LOGIT', 'Logit'),
  prototype: vip('VIP-PROTOTYPE', 'Prototype contribution'),
  symptom: vip('VIP-SYMPTOM', 'Visual symptom'),
  weight: vip('VIP-WEIGHT', 'Symptom weight'),
  similarity: vip('VIP-SIMILARITY', 'Symptom similarity'),
  contribution: vip('VIP-CONTRIBUTION', 'Symptom contribution'),
  mode: vip('VIP-MODE', 'Prediction mode'),
  reviewLabel: vip('VIP-REVIEW-LABEL', 'Reviewer label'),
  reviewNote: vip('VIP-REVIEW-NOTE', 'Reviewer note'),
  disclaimer: vip('VIP-DISCLAIMER', 'Disclaimer'),
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
} as const;

const noUnits = code('1', 'UCUM', 'no units');

/** DS holds at most 16 characters. */
export function decimalString(v: number): string {
  if (!Number.isFinite(v)) return '0';
  for (let digits = 10; digits >= 1; digits--) {
    const s = String(Number(v.toPrecision(digits)));
    if (s.length <= 16) return s;
  }
  return v.toExponential(6).slice(0, 16);
}

const da = (iso: string | null): string => (iso ? iso.slice(0, 10).replace(/-/g, '') : '');
const tm = (iso: string): string => iso.slice(11, 19).replace(/:/g, '');

const text = (rel: string, concept: Code, value: string, children?: Naturalized[]): Naturalized => ({
  RelationshipType: rel,
  ValueType: 'TEXT',
  ConceptNameCodeSequence: [concept],
  TextValue: value,
  ...(children?.length ? { ContentSequence: children } : {}),
});

const num = (rel: string, concept: Code, value: number): Naturalized => ({
  RelationshipType: rel,
  ValueType: 'NUM',
  ConceptNameCodeSequence: [concept],
  MeasuredValueSequence: [{ NumericValue: decimalString(value), MeasurementUnitsCodeSequence: [noUnits] }],
});

const container = (rel: string, concept: Code, children: Naturalized[]): Naturalized => ({
  RelationshipType: rel,
  ValueType: 'CONTAINER',
  ConceptNameCodeSequence: [concept],
  ContinuityOfContent: 'SEPARATE',
  ContentSequence: children,
});

export interface SrInput {
  doc: CaseExportDocument;
  image: ImageDoc;
  /** Identifying attributes from the original file; only read when the export is identified. */
  identity: PatientIdentity;
  srSeriesUid: string;
  srInstanceUid: string;
  instanceNumber: number;
  /** Identifies this workstation as the observer device (stable per data folder is not needed: per export). */
  deviceUid: string;
}

export interface SrReference {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

/** The source image's UIDs as the document holds them, or null when the image is not a DICOM with all four. */
export function srReference(image: ImageDoc): SrReference | null {
  const d = image.dicom;
  const get = (k: string): string | null => (typeof d?.[k] === 'string' ? (d[k] as string) : null);
  const ref = {
    studyInstanceUid: get('studyInstanceUid'),
    seriesInstanceUid: get('seriesInstanceUid'),
    sopInstanceUid: get('sopInstanceUid'),
    sopClassUid: get('sopClassUid'),
  };
  return ref.studyInstanceUid && ref.seriesInstanceUid && ref.sopInstanceUid && ref.sopClassUid
    ? (ref as SrReference)
    : null;
}

export function buildStructuredReport(input: SrInput): Uint8Array {
  const { doc, image } = input;
  const p = latestOf(image);
  const ref = srReference(image);
  if (!p || !ref) throw new Error(`image ${image.imageId} has no prediction or no DICOM references`);
  const identified = doc.export.identified;
  const id = input.identity;
  const created = doc.export.createdAt;
  const version = p.modelVersionId ? doc.modelVersions.find((v) => v.id === p.modelVersionId) : undefined;

  const classResults = p.classes.map((c) =>
    container('CONTAINS', concepts.classResult, [
      text('CONTAINS', concepts.className, c.className),
      num('CONTAINS', concepts.probability, c.probability),
      ...(c.logit !== null ? [num('CONTAINS', concepts.logit, c.logit)] : []),
      ...(c.prototypeContribution !== null ? [num('CONTAINS', concepts.prototype, c.prototypeContribution)] : []),
      ...c.symptoms.map((s) =>
        text('CONTAINS', concepts.symptom, s.text, [
          num('HAS PROPERTIES', concepts.weight, s.weight),
          num('HAS PROPERTIES', concepts.similarity, s.similarity),
          num('HAS PROPERTIES', concepts.contribution, s.contribution),
        ]),
      ),
    ]),
  );
  const review = latestReview(doc);
  const content: Naturalized[] = [
    {
      RelationshipType: 'HAS OBS CONTEXT',
      ValueType: 'CODE',
      ConceptNameCodeSequence: [concepts.observerType],
      ConceptCodeSequence: [concepts.device],
    },
    {
      RelationshipType: 'HAS OBS CONTEXT',
      ValueType: 'UIDREF',
      ConceptNameCodeSequence: [concepts.deviceObserverUid],
      UID: input.deviceUid,
    },
    text('HAS OBS CONTEXT', concepts.deviceObserverName, 'ViP Workstation'),
    {
      RelationshipType: 'CONTAINS',
      ValueType: 'IMAGE',
      ConceptNameCodeSequence: [concepts.sourceImage],
      ReferencedSOPSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid }],
    },
    text('CONTAINS', concepts.algorithmName, 'ViP (CLIP with visual symptoms)'),
    text(
      'CONTAINS',
      concepts.algorithmVersion,
      version ? `model version ${version.id} ${version.name}` : `no trained version (${p.mode})`,
    ),
    text('CONTAINS', concepts.mode, p.mode),
    text('CONTAINS', concepts.predictedClass, p.predictedClass, [
      num('HAS PROPERTIES', concepts.probability, p.probability),
    ]),
    ...classResults,
  ];
  if (review) {
    content.push(text('CONTAINS', concepts.reviewLabel, review.label));
    if (review.note) content.push(text('CONTAINS', concepts.reviewNote, review.note));
  }
  content.push(text('CONTAINS', concepts.disclaimer, DISCLAIMER));

  const dataset: Naturalized = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: input.srInstanceUid,
    Modality: 'SR',
    Manufacturer: 'ViP Workstation',
    SoftwareVersions: doc.export.software.version,
    // Patient and General Study modules: the original's values only for identified exports (Basic Profile Z otherwise).
    PatientName: identified ? (id.patientName ?? '') : doc.case.patient.pseudonym,
    PatientID: identified ? (id.patientId ?? '') : doc.case.patient.pseudonym.replace(/\s+/g, '-').toUpperCase(),
    PatientBirthDate: identified ? da(id.birthDate) : '',
    PatientSex: identified ? (id.sex ?? '') : '',
    StudyInstanceUID: ref.studyInstanceUid,
    StudyDate: identified ? da(id.studyDate) : '',
    StudyTime: identified ? (id.studyTime ?? '') : '',
    ReferringPhysicianName: identified ? (id.referringPhysicianName ?? '') : '',
    StudyID: identified ? (id.studyId ?? '') : '',
    AccessionNumber: identified ? (id.accessionNumber ?? '') : '',
    SeriesInstanceUID: input.srSeriesUid,
    SeriesNumber: '9901',
    SeriesDescription: 'ViP classification evidence',
    ReferencedPerformedProcedureStepSequence: [],
    InstanceNumber: String(input.instanceNumber),
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    ContentDate: da(created),
    ContentTime: tm(created),
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: ref.studyInstanceUid,
        ReferencedSeriesSequence: [
          {
            SeriesInstanceUID: ref.seriesInstanceUid,
            ReferencedSOPSequence: [
              { ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid },
            ],
          },
        ],
      },
    ],
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: PRIVATE_SCHEME,
        CodingSchemeName: 'ViP Workstation private codes',
        CodingSchemeResponsibleOrganization: 'ViP Workstation',
      },
    ],
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [concepts.report],
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: content,
    ...(identified
      ? {}
      : {
          PatientIdentityRemoved: 'YES',
          DeidentificationMethod: 'DICOM PS3.15 Basic Application Level Confidentiality Profile; UIDs replaced',
          DeidentificationMethodCodeSequence: [
            code(BASIC_PROFILE_CODE.value, BASIC_PROFILE_CODE.scheme, BASIC_PROFILE_CODE.meaning),
          ],
          LongitudinalTemporalInformationModified: 'REMOVED',
        }),
  };
  const meta: Naturalized = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: COMPREHENSIVE_SR,
    MediaStorageSOPInstanceUID: input.srInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: `VIP_${doc.export.software.version}`.slice(0, 16),
  };
  const { DicomMetaDictionary, DicomDict } = dcmjs();
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
