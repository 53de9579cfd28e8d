/**
 * "Export…": a button that opens the export dialog for a scope. The worklist passes its current filters (read from
 * the worklist store here, so the screen only says how many cases there are); the case viewer passes its case.
 */
import { useState, type ReactNode } from 'react';
import type { ExportFilter } from '@shared/contract';
import { useStore } from '../../lib/store';
import { defaultQuery, toListParams, worklistQuery } from '../../screens/worklist/worklist-query';
import { ExportDialog, type ExportScope } from './ExportDialog';

type ButtonScope = { kind: 'case'; caseId: number } | { kind: 'worklist'; total: number | null };

/** The worklist query as an export filter (order does not matter to an export). */
export function worklistExportFilter(): { filter: ExportFilter; filtered: boolean } {
  const query = worklistQuery.get();
  const { search, reviewStatus, modality, predictedClass, disagreement, dateFrom, dateTo } = toListParams(query);
  const filter: ExportFilter = {
    ...(search !== undefined ? { search } : {}),
    ...(reviewStatus !== undefined ? { reviewStatus } : {}),
    ...(modality !== undefined ? { modality } : {}),
    ...(predictedClass !== undefined ? { predictedClass } : {}),
    ...(disagreement ? { disagreement: true } : {}),
    ...(dateFrom !== undefined ? { dateFrom } : {}),
    ...(dateTo !== undefined ? { dateTo } : {}),
  };
  const filtered = JSON.stringify({ ...query, sort: '' }) !== JSON.stringify({ ...defaultQuery, sort: '' });
  return { filter, filtered };
}

export function ExportButton(props: { scope: ButtonScope; className?: string }): ReactNode {
  const [open, setOpen] = useState<ExportScope | null>(null);
  // Re-render when the filters change, so the dialog opens with the current ones.
  useStore(worklistQuery);
  const start = (): void => {
    if (props.scope.kind === 'case') setOpen(props.scope);
    else setOpen({ kind: 'worklist', total: props.scope.total, ...worklistExportFilter() });
  };
  return (
    <>
      <button type="button" className={props.className ?? 'button'} onClick={start}>
        Export…
      </button>
      {open ? <ExportDialog scope={open} onClose={() => setOpen(null)} /> : null}
    </>
  );
}
