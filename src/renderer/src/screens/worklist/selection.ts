/**
 * The worklist's multi-selection, as plain data: explicit case ids, or "every case matching the filters" minus the
 * ones taken out again. The second form lets "select all" cover 10,000 cases without loading them. Positions (for
 * shift-click ranges) are remembered as the anchor's index in the current list order.
 */
import type { CaseSummary, Params } from '@shared/contract';
import type { VipApi } from '@shared/protocol';

/** The worklist's filters and order as `cases.list` takes them (toListParams), without offset and limit. */
export type ListParams = Omit<Params<'cases.list'>, 'offset' | 'limit'>;

export interface Selection {
  /** true: every case of the filtered list except `ids`; false: exactly `ids`. */
  readonly all: boolean;
  readonly ids: ReadonlySet<number>;
  /** Where a shift-click or shift+arrow range starts (a list index), null before any pick. */
  readonly anchor: number | null;
}

export const emptySelection: Selection = { all: false, ids: new Set(), anchor: null };

export function isSelected(s: Selection, caseId: number): boolean {
  return s.all ? !s.ids.has(caseId) : s.ids.has(caseId);
}

export function selectedCount(s: Selection, total: number): number {
  return s.all ? Math.max(0, total - s.ids.size) : s.ids.size;
}

/** Only this case (a plain click or arrow key). */
export function selectOnly(caseId: number, index: number): Selection {
  return { all: false, ids: new Set([caseId]), anchor: index };
}

/** Ctrl/Cmd-click or Space: this case in or out, the rest unchanged. */
export function toggle(s: Selection, caseId: number, index: number): Selection {
  const ids = new Set(s.ids);
  if (ids.has(caseId)) ids.delete(caseId);
  else ids.add(caseId);
  return { all: s.all, ids, anchor: index };
}

export function selectAll(): Selection {
  return { all: true, ids: new Set(), anchor: null };
}

/**
 * Shift-click: the cases from the anchor to `index` (inclusive) join the selection; `rangeIds` are those cases' ids.
 * With "all" the range is taken back in (removed from the exceptions). The anchor stays where it was.
 */
export function extendTo(s: Selection, rangeIds: readonly number[]): Selection {
  const ids = new Set(s.ids);
  for (const id of rangeIds) {
    if (s.all) ids.delete(id);
    else ids.add(id);
  }
  return { all: s.all, ids, anchor: s.anchor };
}

/** The index range a shift-pick at `index` covers (the anchor, else the pick itself). */
export function rangeFrom(s: Selection, index: number): [number, number] {
  const anchor = s.anchor ?? index;
  return anchor <= index ? [anchor, index] : [index, anchor];
}

const ID_PAGE = 1000;

/**
 * The ids of the rows first..last (inclusive) of the list: from the rows already loaded where possible, the rest
 * fetched a page at a time.
 */
export async function idsInRange(
  api: VipApi,
  list: ListParams,
  first: number,
  last: number,
  loaded: (index: number) => CaseSummary | undefined,
): Promise<number[]> {
  const ids: number[] = [];
  let missingFrom: number | null = null;
  const fetchMissing = async (from: number, to: number): Promise<void> => {
    for (let offset = from; offset <= to; offset += ID_PAGE) {
      const limit = Math.min(ID_PAGE, to - offset + 1);
      const page = await api.call('cases.list', { ...list, offset, limit });
      ids.push(...page.cases.map((c) => c.id));
    }
  };
  for (let i = first; i <= last; i++) {
    const row = loaded(i);
    if (row) {
      if (missingFrom !== null) await fetchMissing(missingFrom, i - 1);
      missingFrom = null;
      ids.push(row.id);
    } else missingFrom ??= i;
  }
  if (missingFrom !== null) await fetchMissing(missingFrom, last);
  return ids;
}

/** Every selected case id in list order (fetched when "all" is selected). */
export async function resolveSelection(api: VipApi, list: ListParams, s: Selection): Promise<number[]> {
  if (!s.all) return [...s.ids];
  const ids: number[] = [];
  for (let offset = 0; ; offset += ID_PAGE) {
    const page = await api.call('cases.list', { ...list, offset, limit: ID_PAGE });
    for (const c of page.cases) if (!s.ids.has(c.id)) ids.push(c.id);
    if (page.cases.length === 0 || offset + page.cases.length >= page.total) return ids;
  }
}
