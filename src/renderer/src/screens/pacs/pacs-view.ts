/**
 * What the PACS tab shows, kept in a module store so it survives opening a retrieved case and coming back: the chosen
 * node, the form as typed, the search last sent and its page of studies, the series of expanded studies, and the
 * selection.
 */
import type { PacsQueryResult, PacsRow } from '@shared/contract';
import { createStore } from '../../lib/store';
import { emptySearch, emptySelection, type SearchForm, type Selection } from './pacs-logic';

export interface SeriesState {
  readonly rows: readonly PacsRow[] | null;
  readonly error: unknown;
}

export interface PacsView {
  /** The node chosen in the tab (null until the nodes are known). */
  readonly node: string | null;
  readonly form: SearchForm;
  /** The search the results belong to (paging repeats it), null before the first search. */
  readonly submitted: { readonly node: string; readonly form: SearchForm } | null;
  readonly offset: number;
  readonly result: PacsQueryResult | null;
  /** Every study of the current search seen so far, by UID: names the retrievals of a selection across pages. */
  readonly seen: ReadonlyMap<string, PacsRow>;
  readonly loading: boolean;
  readonly error: unknown;
  /** Study Instance UIDs whose series are shown. */
  readonly expanded: ReadonlySet<string>;
  readonly series: ReadonlyMap<string, SeriesState>;
  readonly selection: Selection;
}

export const initialView: PacsView = {
  node: null,
  form: emptySearch,
  submitted: null,
  offset: 0,
  result: null,
  seen: new Map(),
  loading: false,
  error: null,
  expanded: new Set(),
  series: new Map(),
  selection: emptySelection,
};

export const pacsView = createStore<PacsView>(initialView);
