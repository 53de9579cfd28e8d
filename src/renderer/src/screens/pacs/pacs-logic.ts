/**
 * The PACS tab's pure logic (no DOM, no React): the search form as `pacs.query` parameters, DICOM person names and
 * dates as people read them, what a selection of studies and series asks `pacs.retrieve` for, and a retrieval's
 * progress in words. Kept apart so the Node tests check it directly.
 */
import type { Params, PacsProgress, PacsRow } from '@shared/contract';

export interface SearchForm {
  readonly patientId: string;
  readonly patientName: string;
  /** YYYY-MM-DD (an <input type="date"> value) or empty. */
  readonly dateFrom: string;
  readonly dateTo: string;
  readonly modality: string;
  readonly accessionNumber: string;
}

export const emptySearch: SearchForm = {
  patientId: '',
  patientName: '',
  dateFrom: '',
  dateTo: '',
  modality: '',
  accessionNumber: '',
};

export const PAGE_SIZE = 25;

/**
 * A typed patient name as a DICOM wildcard pattern: "Doe, John" becomes "Doe^John*" (family^given, matched from the
 * start). Text that already holds * or ? is taken as the pattern the reader meant.
 */
export function namePattern(input: string): string | undefined {
  const text = input.trim();
  if (text === '') return undefined;
  const dicom = text.includes(',')
    ? text
        .split(',')
        .map((part) => part.trim())
        .join('^')
    : text;
  return /[*?]/.test(dicom) ? dicom : `${dicom}*`;
}

/** What stops the search from being sent, in the reader's words; null when it can go. */
export function searchProblem(form: SearchForm): string | null {
  if (form.dateFrom && form.dateTo && form.dateFrom > form.dateTo) return 'The "from" date is after the "to" date.';
  return null;
}

/** The form as `pacs.query` parameters for one page of studies. Empty fields are left out (they match anything). */
export function studyQuery(node: string, form: SearchForm, offset: number): Params<'pacs.query'> {
  const text = (v: string): string | undefined => (v.trim() === '' ? undefined : v.trim());
  const patientName = namePattern(form.patientName);
  const fields = {
    patientId: text(form.patientId),
    patientName,
    dateFrom: text(form.dateFrom),
    dateTo: text(form.dateTo),
    modality: text(form.modality)?.toUpperCase(),
    accessionNumber: text(form.accessionNumber),
  };
  const params: Params<'pacs.query'> = { name: node, level: 'study', limit: PAGE_SIZE, offset };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) Object.assign(params, { [key]: value });
  }
  return params;
}

/** The series of one study. */
export function seriesQuery(node: string, studyInstanceUID: string): Params<'pacs.query'> {
  return { name: node, level: 'series', studyInstanceUID, limit: 1000, offset: 0 };
}

/**
 * A DICOM person name (PS3.5 6.2: family^given^middle^prefix^suffix, "=" before ideographic forms) as
 * "Family, Given Middle". Empty components are dropped.
 */
export function formatPersonName(value: string | null): string {
  if (!value) return '';
  const alphabetic = value.split('=')[0] ?? '';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = alphabetic.split('^').map((s) => s.trim());
  const first = [prefix, given, middle].filter(Boolean).join(' ');
  const name = [family, first].filter(Boolean).join(', ');
  return suffix ? `${name} ${suffix}` : name;
}

/** One line naming a study for the reader: patient, date, description. */
export function studyLabel(row: Pick<PacsRow, 'PatientName' | 'StudyDate' | 'StudyDescription'>): string {
  const date = row.StudyDate ? formatDicomDate(row.StudyDate) : '';
  return [formatPersonName(row.PatientName), date, row.StudyDescription ?? ''].filter(Boolean).join(' · ') || 'Study';
}

export function formatDicomDate(value: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : value;
}

// ---------------------------------------------------------------- selection and retrieve requests

/** The studies and series ticked in the results; series are kept per study. */
export interface Selection {
  readonly studies: ReadonlySet<string>;
  readonly series: ReadonlyMap<string, ReadonlySet<string>>;
}

export const emptySelection: Selection = { studies: new Set(), series: new Map() };

export function toggleStudy(sel: Selection, study: string): Selection {
  const studies = new Set(sel.studies);
  if (studies.has(study)) studies.delete(study);
  else studies.add(study);
  // A whole study replaces any of its series picked one by one.
  const series = new Map(sel.series);
  series.delete(study);
  return { studies, series };
}

export function toggleSeries(sel: Selection, study: string, seriesUid: string): Selection {
  const series = new Map(sel.series);
  const picked = new Set(series.get(study) ?? []);
  if (picked.has(seriesUid)) picked.delete(seriesUid);
  else picked.add(seriesUid);
  if (picked.size === 0) series.delete(study);
  else series.set(study, picked);
  // Picking a single series means the whole study is no longer what is wanted.
  const studies = new Set(sel.studies);
  studies.delete(study);
  return { studies, series };
}

export function isSeriesSelected(sel: Selection, study: string, seriesUid: string): boolean {
  return sel.studies.has(study) || (sel.series.get(study)?.has(seriesUid) ?? false);
}

export interface RetrieveRequest {
  studyInstanceUID: string;
  seriesInstanceUID?: string;
}

/** One `pacs.retrieve` per selected study, and one per selected series of a study not selected as a whole. */
export function retrieveRequests(sel: Selection): RetrieveRequest[] {
  const out: RetrieveRequest[] = [...sel.studies].map((studyInstanceUID) => ({ studyInstanceUID }));
  for (const [studyInstanceUID, series] of sel.series) {
    if (sel.studies.has(studyInstanceUID)) continue;
    for (const seriesInstanceUID of series) out.push({ studyInstanceUID, seriesInstanceUID });
  }
  return out;
}

/** "2 studies and 1 series", for the Retrieve button. */
export function selectionLabel(sel: Selection): string {
  const studies = sel.studies.size;
  let series = 0;
  for (const [study, s] of sel.series) if (!sel.studies.has(study)) series += s.size;
  const parts: string[] = [];
  if (studies) parts.push(`${studies} ${studies === 1 ? 'study' : 'studies'}`);
  if (series) parts.push(`${series} series`);
  return parts.join(' and ');
}

// ---------------------------------------------------------------- a retrieval in words

export type JobTone = 'running' | 'ok' | 'warn' | 'error';

export interface JobText {
  headline: string;
  tone: JobTone;
}

const images = (n: number): string => `${n.toLocaleString()} ${n === 1 ? 'image' : 'images'}`;

/** A retrieval's state as the reader sees it (the engine's own error text goes behind "Details"). */
export function describeJob(p: PacsProgress | null): JobText {
  if (p === null) return { headline: 'Asking the PACS…', tone: 'running' };
  if (p.phase === 'listing') return { headline: 'Listing the images…', tone: 'running' };
  if (p.phase === 'retrieving')
    return { headline: `Retrieving: ${p.done.toLocaleString()} of ${images(p.total)}`, tone: 'running' };
  if (p.status === 'complete' && p.imported === 0 && p.alreadyStored > 0)
    return { headline: `Already in the worklist: ${images(p.alreadyStored)}`, tone: 'ok' };
  const stored =
    p.alreadyStored > 0
      ? `${images(p.imported)} new, ${p.alreadyStored.toLocaleString()} already here`
      : images(p.imported);
  switch (p.status) {
    case 'complete':
      return { headline: `Retrieved: ${stored}`, tone: 'ok' };
    case 'partial':
      return { headline: `Partly retrieved: ${stored} of ${p.total.toLocaleString()}`, tone: 'warn' };
    case 'cancelled':
      return { headline: `Cancelled: ${p.imported.toLocaleString()} of ${images(p.total)} retrieved`, tone: 'warn' };
    default:
      return { headline: 'The study could not be retrieved', tone: 'error' };
  }
}

export function isFinished(p: PacsProgress | null): boolean {
  return p?.phase === 'finished';
}

/** The progress bar: images in the store over images in the study; indeterminate (null) while listing. */
export function jobBar(p: PacsProgress | null): { value: number | null; max: number } {
  if (p === null || p.total === 0) return { value: p?.phase === 'finished' ? 0 : null, max: 1 };
  const value = p.phase === 'finished' ? p.imported + p.alreadyStored : p.done;
  return { value: Math.min(value, p.total), max: p.total };
}
