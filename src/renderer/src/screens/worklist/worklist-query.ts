/**
 * The worklist's filters and order. Kept in a module store so they survive opening a case, and so the viewer can step
 * to the next and previous case in the same order (N/P).
 */
import type { CaseSummary, Params } from '@shared/contract';
import type { VipApi } from '@shared/protocol';
import { createStore } from '../../lib/store';
import { emptySelection, type Selection } from './selection';

export type SortKey = NonNullable<Params<'cases.list'>['sort']>;
export type ReviewFilter = '' | 'unreviewed' | 'reviewed' | 'disagreement';

export interface WorklistQuery {
  readonly search: string;
  readonly reviewStatus: ReviewFilter;
  readonly modality: string;
  readonly predictedClass: string;
  /** Case date bounds, YYYY-MM-DD or '' (inclusive). */
  readonly dateFrom: string;
  readonly dateTo: string;
  readonly sort: SortKey;
}

export const SORT_LABELS: Record<SortKey, string> = {
  created_desc: 'Imported, newest first',
  created_asc: 'Imported, oldest first',
  study_date_desc: 'Study date, newest first',
  study_date_asc: 'Study date, oldest first',
  probability_desc: 'Probability, highest first',
};

export const defaultQuery: WorklistQuery = {
  search: '',
  reviewStatus: '',
  modality: '',
  predictedClass: '',
  dateFrom: '',
  dateTo: '',
  sort: 'created_desc',
};

export const worklistQuery = createStore<WorklistQuery>(defaultQuery);

/** The cases selected in the worklist (cleared when the filters change). */
export const worklistSelection = createStore<Selection>(emptySelection);

/** Where the last opened case sat in the worklist, so N/P can start from there without searching. */
export const openedPosition = createStore<{ caseId: number; index: number } | null>(null);

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export function toListParams(q: WorklistQuery): Params<'cases.list'> {
  const params: Params<'cases.list'> = { sort: q.sort };
  const search = q.search.trim();
  if (search) params.search = search.slice(0, 200);
  if (q.reviewStatus === 'disagreement') params.disagreement = true;
  else if (q.reviewStatus) params.reviewStatus = q.reviewStatus;
  if (q.modality.trim()) params.modality = q.modality.trim().slice(0, 16);
  if (q.predictedClass.trim()) params.predictedClass = q.predictedClass.trim().slice(0, 200);
  // A reversed range is read as meant: the two days in order.
  const [from, to] = q.dateFrom && q.dateTo && q.dateFrom > q.dateTo ? [q.dateTo, q.dateFrom] : [q.dateFrom, q.dateTo];
  if (ISO_DAY.test(from)) params.dateFrom = from;
  if (ISO_DAY.test(to)) params.dateTo = to;
  return params;
}

const SCAN_PAGE = 1000;
/** Beyond this many cases a case opened by address (not from the worklist) is not searched for. */
const SCAN_LIMIT = 50_000;

async function findIndex(api: VipApi, query: WorklistQuery, caseId: number): Promise<number | null> {
  for (let offset = 0; offset < SCAN_LIMIT; offset += SCAN_PAGE) {
    const page = await api.call('cases.list', { ...toListParams(query), offset, limit: SCAN_PAGE });
    const i = page.cases.findIndex((c) => c.id === caseId);
    if (i >= 0) return offset + i;
    if (offset + page.cases.length >= page.total) return null;
  }
  return null;
}

/**
 * The case `delta` steps from `caseId` in the current worklist order, or null at either end (or when the case is not
 * in the list any more, e.g. filtered out). Looks around the remembered position first; the list may have shifted.
 */
export async function neighbourCase(api: VipApi, caseId: number, delta: 1 | -1): Promise<CaseSummary | null> {
  const query = worklistQuery.get();
  const remembered = openedPosition.get();
  let index: number | null = null;
  if (remembered && remembered.caseId === caseId) {
    const offset = Math.max(0, remembered.index - 2);
    const around = await api.call('cases.list', { ...toListParams(query), offset, limit: 5 });
    const i = around.cases.findIndex((c) => c.id === caseId);
    if (i >= 0) index = offset + i;
  }
  index ??= await findIndex(api, query, caseId);
  if (index === null) return null;
  const target = index + delta;
  if (target < 0) return null;
  const page = await api.call('cases.list', { ...toListParams(query), offset: target, limit: 1 });
  const next = page.cases[0];
  if (!next) return null;
  openedPosition.set({ caseId: next.id, index: target });
  return next;
}
