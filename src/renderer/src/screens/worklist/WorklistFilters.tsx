/**
 * Search box (applied as you type, after a pause), review status, modality, predicted class, the case date range
 * (study date, else the import day) and sort order.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { SORT_LABELS, type ReviewFilter, type SortKey, type WorklistQuery } from './worklist-query';

const SEARCH_DELAY_MS = 250;
/** Common DICOM modality codes offered as suggestions; any code can be typed. */
const MODALITIES = ['CR', 'DX', 'CT', 'MR', 'US', 'MG', 'XA', 'PT', 'NM', 'OP', 'SM', 'ES', 'OT'];

function useDebouncedText(value: string, commit: (v: string) => void): [string, (v: string) => void] {
  const [draft, setDraft] = useState(value);
  const [source, setSource] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // Follow outside changes (e.g. "Clear filters") without an effect.
  if (value !== source) {
    setSource(value);
    setDraft(value);
  }
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const update = (v: string): void => {
    setDraft(v);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => commit(v), SEARCH_DELAY_MS);
  };
  return [draft, update];
}

export function WorklistFilters(props: {
  query: WorklistQuery;
  onChange: (patch: Partial<WorklistQuery>) => void;
}): ReactNode {
  const { query, onChange } = props;
  // Patches, not whole queries: a delayed search commit must not undo a filter chosen meanwhile.
  const [search, setSearch] = useDebouncedText(query.search, (v) => onChange({ search: v }));
  const [modality, setModality] = useDebouncedText(query.modality, (v) => onChange({ modality: v }));
  const [predicted, setPredicted] = useDebouncedText(query.predictedClass, (v) => onChange({ predictedClass: v }));
  const searchRef = useRef<HTMLInputElement>(null);

  // "/" jumps to the search box, as in most list views.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      e.preventDefault();
      searchRef.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <form className="filters" role="search" aria-label="Filter the worklist" onSubmit={(e) => e.preventDefault()}>
      <label className="field field--grow">
        <span>Search</span>
        <input
          ref={searchRef}
          type="search"
          maxLength={200}
          placeholder="Description, body part, patient key…  ( / )"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </label>
      <label className="field">
        <span>Review</span>
        <select value={query.reviewStatus} onChange={(e) => onChange({ reviewStatus: e.target.value as ReviewFilter })}>
          <option value="">All</option>
          <option value="unreviewed">Unreviewed</option>
          <option value="reviewed">Reviewed</option>
          <option value="disagreement">Disagrees with the model</option>
        </select>
      </label>
      <label className="field field--short">
        <span>Modality</span>
        <input
          type="text"
          maxLength={16}
          list="modality-codes"
          placeholder="Any"
          value={modality}
          onChange={(e) => setModality(e.target.value.toUpperCase())}
        />
        <datalist id="modality-codes">
          {MODALITIES.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </label>
      <label className="field">
        <span>Predicted class</span>
        <input
          type="text"
          maxLength={200}
          placeholder="Any"
          value={predicted}
          onChange={(e) => setPredicted(e.target.value)}
        />
      </label>
      <div className="field date-range" role="group" aria-labelledby="case-date-label">
        <span id="case-date-label">Case date</span>
        <div className="date-range__inputs">
          <input
            type="date"
            aria-label="Case date from"
            title="From this day (study date, else the import day)"
            value={query.dateFrom}
            max={query.dateTo || undefined}
            onChange={(e) => onChange({ dateFrom: e.target.value })}
          />
          <span aria-hidden="true">–</span>
          <input
            type="date"
            aria-label="Case date to"
            title="To this day, inclusive"
            value={query.dateTo}
            min={query.dateFrom || undefined}
            onChange={(e) => onChange({ dateTo: e.target.value })}
          />
        </div>
      </div>
      <label className="field">
        <span>Order</span>
        <select value={query.sort} onChange={(e) => onChange({ sort: e.target.value as SortKey })}>
          {(Object.keys(SORT_LABELS) as SortKey[]).map((k) => (
            <option key={k} value={k}>
              {SORT_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}
