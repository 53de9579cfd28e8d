/**
 * QIDO-RS queries from the contract's filters, and DICOM JSON matches as contract rows. Paging asks the server for one
 * row more than the page, which tells whether there is a next page without a count the standard does not offer.
 */
import type { PacsQueryParams, PacsQueryResult, PacsRow } from '@shared/contract';
import { badInput } from '@shared/errors';
import type { DicomJson, PacsClient, QueryParams } from './pacs-client';

const TAG = {
  StudyInstanceUID: '0020000D',
  PatientID: '00100020',
  PatientName: '00100010',
  PatientBirthDate: '00100030',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  StudyDescription: '00081030',
  ModalitiesInStudy: '00080061',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  Modality: '00080060',
  SeriesDescription: '0008103E',
  NumberOfSeriesRelatedInstances: '00201209',
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  InstanceNumber: '00200013',
} as const;

/** Attributes a server returns only when asked (PS3.18 10.6.1.2.1 lists the defaults). */
const includeFields = {
  study: [
    TAG.PatientBirthDate,
    TAG.StudyTime,
    TAG.StudyDescription,
    TAG.ModalitiesInStudy,
    TAG.NumberOfStudyRelatedSeries,
    TAG.NumberOfStudyRelatedInstances,
  ],
  series: [TAG.SeriesDescription, TAG.SeriesNumber, TAG.NumberOfSeriesRelatedInstances, TAG.Modality],
  instance: [TAG.InstanceNumber, TAG.SOPClassUID],
};

/** YYYY-MM-DD or YYYYMMDD as the DICOM DA form. */
const da = (d: string): string => d.replace(/-/g, '');

function values(ds: DicomJson, tag: string): unknown[] {
  return ds[tag]?.Value ?? [];
}

function text(ds: DicomJson, tag: string): string | null {
  const v = values(ds, tag)[0];
  if (v === undefined || v === null) return null;
  // Person names come as { Alphabetic, Ideographic, Phonetic } (PS3.18 F.2.2).
  if (typeof v === 'object') {
    const alphabetic = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === 'string' ? alphabetic : null;
  }
  return String(v);
}

function num(ds: DicomJson, tag: string): number | null {
  const v = values(ds, tag)[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

export function toRow(ds: DicomJson): PacsRow {
  return {
    StudyInstanceUID: text(ds, TAG.StudyInstanceUID),
    PatientID: text(ds, TAG.PatientID),
    PatientName: text(ds, TAG.PatientName),
    PatientBirthDate: text(ds, TAG.PatientBirthDate),
    StudyDate: text(ds, TAG.StudyDate),
    StudyTime: text(ds, TAG.StudyTime),
    AccessionNumber: text(ds, TAG.AccessionNumber),
    StudyDescription: text(ds, TAG.StudyDescription),
    ModalitiesInStudy: values(ds, TAG.ModalitiesInStudy).filter((v): v is string => typeof v === 'string'),
    NumberOfStudyRelatedSeries: num(ds, TAG.NumberOfStudyRelatedSeries),
    NumberOfStudyRelatedInstances: num(ds, TAG.NumberOfStudyRelatedInstances),
    SeriesInstanceUID: text(ds, TAG.SeriesInstanceUID),
    SeriesNumber: num(ds, TAG.SeriesNumber),
    Modality: text(ds, TAG.Modality),
    SeriesDescription: text(ds, TAG.SeriesDescription),
    NumberOfSeriesRelatedInstances: num(ds, TAG.NumberOfSeriesRelatedInstances),
    SOPInstanceUID: text(ds, TAG.SOPInstanceUID),
    SOPClassUID: text(ds, TAG.SOPClassUID),
    InstanceNumber: num(ds, TAG.InstanceNumber),
  };
}

/** The QIDO-RS query parameters for the filters (attribute matching by keyword, PS3.18 8.3.4). */
export function qidoParams(q: PacsQueryParams, limit: number, offset: number): QueryParams {
  const p: QueryParams = { limit, offset, includefield: includeFields[q.level].join(',') };
  if (q.level === 'study') {
    if (q.patientId) p['PatientID'] = q.patientId;
    if (q.patientName) p['PatientName'] = q.patientName;
    if (q.accessionNumber) p['AccessionNumber'] = q.accessionNumber;
    if (q.modality) p['ModalitiesInStudy'] = q.modality;
    if (q.dateFrom || q.dateTo) {
      const from = q.dateFrom ? da(q.dateFrom) : '';
      const to = q.dateTo ? da(q.dateTo) : '';
      if (from && to && from > to) throw badInput(`--from ${q.dateFrom} is after --to ${q.dateTo}`);
      p['StudyDate'] = from === to ? from : `${from}-${to}`;
    }
  } else if (q.level === 'series') {
    if (q.modality) p['Modality'] = q.modality;
  }
  return p;
}

function checkLevel(q: PacsQueryParams): void {
  if (q.level !== 'study' && !q.studyInstanceUID) throw badInput(`a ${q.level} query needs the study UID (--study)`);
  if (q.level === 'instance' && !q.seriesInstanceUID)
    throw badInput('an instance query needs the series UID (--series)');
  const studyOnly = [q.patientId, q.patientName, q.accessionNumber, q.dateFrom, q.dateTo];
  if (q.level !== 'study' && studyOnly.some((v) => v !== undefined))
    throw badInput('patient, accession and date filters apply to study queries only');
  if (q.level === 'instance' && q.modality) throw badInput('the modality filter applies to study and series queries');
}

export async function runQuery(client: PacsClient, q: PacsQueryParams): Promise<PacsQueryResult> {
  checkLevel(q);
  const params = qidoParams(q, q.limit + 1, q.offset);
  let matches: DicomJson[];
  if (q.level === 'study') {
    matches = await client.searchForStudies(params);
  } else if (q.level === 'series') {
    matches = await client.searchForSeries(q.studyInstanceUID ?? '', params);
  } else {
    matches = await client.searchForInstances(q.studyInstanceUID ?? '', q.seriesInstanceUID ?? '', params);
  }
  const rows = matches.slice(0, q.limit).map(toRow);
  return { level: q.level, rows, limit: q.limit, offset: q.offset, more: matches.length > q.limit };
}
