/**
 * The worklist's selection toolbar: how many cases are selected, select every case of the filtered list, clear, and
 * "Export selected…" (the export dialog with exactly those cases). Always the same height, so the list never jumps.
 */
import { useState, type ReactNode } from 'react';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { worklistExportFilter } from '../../components/export/ExportButton';
import { ExportDialog, type ExportScope } from '../../components/export/ExportDialog';
import { emptySelection, resolveSelection, selectAll, selectedCount, type Selection } from './selection';
import { toListParams, worklistSelection, type WorklistQuery } from './worklist-query';

export function SelectionBar(props: { query: WorklistQuery; selection: Selection; total: number | null }): ReactNode {
  const { query, selection, total } = props;
  const api = useVip();
  const [scope, setScope] = useState<ExportScope | null>(null);
  const [preparing, setPreparing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const count = selectedCount(selection, total ?? 0);
  const everything = selection.all && selection.ids.size === 0;

  const exportSelected = async (): Promise<void> => {
    setError(null);
    if (everything) {
      // Every case of the filtered list: the engine resolves the filter itself (no id list to ship).
      setScope({ kind: 'worklist', total, ...worklistExportFilter(), selected: true });
      return;
    }
    setPreparing(true);
    try {
      setScope({ kind: 'selection', caseIds: await resolveSelection(api, toListParams(query), selection) });
    } catch (err) {
      setError(err);
    } finally {
      setPreparing(false);
    }
  };

  return (
    <>
      <div className="selection-bar" role="group" aria-label="Selection">
        <label className="selection-bar__all check">
          <input
            type="checkbox"
            checked={count > 0 && count === total}
            ref={(el) => {
              if (el) el.indeterminate = count > 0 && count !== total;
            }}
            disabled={!total}
            onChange={(e) => worklistSelection.set(e.target.checked ? selectAll() : emptySelection)}
          />
          Select all{total ? ` ${total.toLocaleString()}` : ''}
        </label>
        <span className="selection-bar__count" role="status" data-testid="selection-count">
          {count === 0 ? 'No case selected' : `${count.toLocaleString()} selected`}
        </span>
        <span className="selection-bar__hint muted">Ctrl-click adds a case, Shift-click a range, Space toggles</span>
        <button
          type="button"
          className="button"
          disabled={count === 0}
          onClick={() => worklistSelection.set(emptySelection)}
        >
          Clear selection
        </button>
        <button
          type="button"
          className="button button--primary"
          disabled={count === 0 || preparing}
          onClick={() => void exportSelected()}
        >
          {preparing ? 'Preparing…' : 'Export selected…'}
        </button>
      </div>
      {error ? <ErrorNotice title="Could not collect the selected cases" error={error} /> : null}
      {scope ? <ExportDialog scope={scope} onClose={() => setScope(null)} /> : null}
    </>
  );
}
