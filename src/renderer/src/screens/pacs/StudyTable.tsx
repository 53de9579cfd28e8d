/**
 * One page of PACS studies. Each row has a checkbox (retrieve the whole study) and a disclosure button that lists its
 * series (a series-level QIDO query) with their own checkboxes and image counts. Native controls (Tab, Space, Enter),
 * plus arrow keys: Up and Down move between rows, Right opens a study's series, Left closes them.
 */
import { Fragment, type KeyboardEvent, type ReactNode } from 'react';
import type { PacsRow } from '@shared/contract';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDicomDate, formatPersonName, isSeriesSelected, type Selection } from './pacs-logic';
import type { SeriesState } from './pacs-view';

function count(n: number | null, one: string, many: string): string {
  return n === null ? '' : `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

function SeriesRows(props: {
  study: PacsRow & { StudyInstanceUID: string };
  state: SeriesState | undefined;
  selection: Selection;
  onToggleSeries: (study: string, series: string) => void;
  onRetry: () => void;
}): ReactNode {
  const { study, state } = props;
  const uid = study.StudyInstanceUID;
  if (!state || (state.rows === null && !state.error)) {
    return (
      <tr className="series-row">
        <td />
        <td colSpan={7} className="muted">
          Loading the series…
        </td>
      </tr>
    );
  }
  if (state.error) {
    return (
      <tr className="series-row">
        <td />
        <td colSpan={7}>
          <ErrorNotice title="Could not list the series of this study" error={state.error} onRetry={props.onRetry} />
        </td>
      </tr>
    );
  }
  const rows = [...(state.rows ?? [])].sort((a, b) => (a.SeriesNumber ?? 0) - (b.SeriesNumber ?? 0));
  if (rows.length === 0) {
    return (
      <tr className="series-row">
        <td />
        <td colSpan={7} className="muted">
          The PACS lists no series in this study.
        </td>
      </tr>
    );
  }
  return (
    <>
      {rows.map((s, i) => {
        const seriesUid = s.SeriesInstanceUID;
        const label = `Series ${s.SeriesNumber ?? i + 1}${s.SeriesDescription ? `: ${s.SeriesDescription}` : ''}`;
        return (
          <tr key={seriesUid ?? i} className="series-row" data-testid="pacs-series-row">
            <td className="pacs-table__check">
              {seriesUid ? (
                <input
                  type="checkbox"
                  aria-label={`Select ${label}`}
                  checked={isSeriesSelected(props.selection, uid, seriesUid)}
                  disabled={props.selection.studies.has(uid)}
                  onChange={() => props.onToggleSeries(uid, seriesUid)}
                />
              ) : null}
            </td>
            <td className="series-row__name" colSpan={2}>
              <span className="series-row__tree" aria-hidden="true">
                └
              </span>
              {label}
            </td>
            <td />
            <td>{s.Modality ?? ''}</td>
            <td colSpan={2} className="muted">
              {s.SeriesInstanceUID}
            </td>
            <td className="pacs-table__num">{count(s.NumberOfSeriesRelatedInstances, 'image', 'images')}</td>
          </tr>
        );
      })}
    </>
  );
}

/** Arrow keys over the table: move between rows (focusing the same kind of control), open and close series. */
function onTableKey(e: KeyboardEvent<HTMLTableSectionElement>, onExpand: (study: string, open: boolean) => void): void {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const target = e.target as HTMLElement;
  const row = target.closest('tr');
  if (!row) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    const rows = Array.from(e.currentTarget.querySelectorAll<HTMLTableRowElement>('tr'));
    const step = e.key === 'ArrowDown' ? 1 : -1;
    for (let i = rows.indexOf(row) + step; i >= 0 && i < rows.length; i += step) {
      const control = rows[i]?.querySelector<HTMLElement>('input:not(:disabled), button');
      if (control) {
        e.preventDefault();
        control.focus();
        return;
      }
    }
    return;
  }
  const study = row.dataset['studyUid'];
  if (study && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) {
    e.preventDefault();
    onExpand(study, e.key === 'ArrowRight');
  }
}

export function StudyTable(props: {
  rows: readonly PacsRow[];
  selection: Selection;
  expanded: ReadonlySet<string>;
  series: ReadonlyMap<string, SeriesState>;
  onToggleStudy: (study: string) => void;
  onToggleSeries: (study: string, series: string) => void;
  onToggleAll: (select: boolean) => void;
  onExpand: (study: string, open: boolean) => void;
  onRetrySeries: (study: string) => void;
}): ReactNode {
  const { rows, selection } = props;
  const selectable = rows.filter((r): r is PacsRow & { StudyInstanceUID: string } => r.StudyInstanceUID !== null);
  const allSelected = selectable.length > 0 && selectable.every((r) => selection.studies.has(r.StudyInstanceUID));
  const someSelected = selectable.some((r) => selection.studies.has(r.StudyInstanceUID));
  return (
    <table className="pacs-table" aria-label="Studies in the PACS">
      <thead>
        <tr>
          <th className="pacs-table__check">
            <input
              type="checkbox"
              aria-label="Select every study on this page"
              checked={allSelected}
              ref={(el) => {
                if (el) el.indeterminate = someSelected && !allSelected;
              }}
              onChange={() => props.onToggleAll(!allSelected)}
            />
          </th>
          <th className="pacs-table__expand">
            <span className="visually-hidden">Series</span>
          </th>
          <th>Patient</th>
          <th>Study date</th>
          <th>Modality</th>
          <th>Description</th>
          <th>Accession</th>
          <th className="pacs-table__num">Series · images</th>
        </tr>
      </thead>
      <tbody onKeyDown={(e) => onTableKey(e, props.onExpand)}>
        {selectable.map((r) => {
          const uid = r.StudyInstanceUID;
          const open = props.expanded.has(uid);
          const name = formatPersonName(r.PatientName) || 'Unnamed patient';
          const checked = selection.studies.has(uid);
          const partly = !checked && (selection.series.get(uid)?.size ?? 0) > 0;
          return (
            <Fragment key={uid}>
              <tr
                className={`study-row${checked ? ' study-row--selected' : ''}${open ? ' study-row--open' : ''}`}
                data-testid="pacs-study-row"
                data-study-uid={uid}
              >
                <td className="pacs-table__check">
                  <input
                    type="checkbox"
                    aria-label={`Select the study of ${name}${r.StudyDate ? ` on ${formatDicomDate(r.StudyDate)}` : ''}`}
                    checked={checked}
                    ref={(el) => {
                      if (el) el.indeterminate = partly;
                    }}
                    onChange={() => props.onToggleStudy(uid)}
                  />
                </td>
                <td className="pacs-table__expand">
                  <button
                    type="button"
                    className="disclosure"
                    aria-expanded={open}
                    aria-label={`${open ? 'Hide' : 'Show'} the series of ${name}'s study`}
                    onClick={() => props.onExpand(uid, !open)}
                  >
                    <span aria-hidden="true">{open ? '▾' : '▸'}</span>
                  </button>
                </td>
                <td className="study-row__patient">
                  <span className="cell__main">{name}</span>
                  <span className="cell__sub">
                    {[
                      r.PatientID ? `ID ${r.PatientID}` : '',
                      r.PatientBirthDate ? `born ${formatDicomDate(r.PatientBirthDate)}` : '',
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </span>
                </td>
                <td>{r.StudyDate ? formatDicomDate(r.StudyDate) : ''}</td>
                <td>{r.ModalitiesInStudy.join(', ')}</td>
                <td className="study-row__description">{r.StudyDescription ?? ''}</td>
                <td>{r.AccessionNumber ?? ''}</td>
                <td className="pacs-table__num">
                  {[
                    count(r.NumberOfStudyRelatedSeries, 'series', 'series'),
                    count(r.NumberOfStudyRelatedInstances, 'image', 'images'),
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </td>
              </tr>
              {open ? (
                <SeriesRows
                  study={r}
                  state={props.series.get(uid)}
                  selection={selection}
                  onToggleSeries={props.onToggleSeries}
                  onRetry={() => props.onRetrySeries(uid)}
                />
              ) : null}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
