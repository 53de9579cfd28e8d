/**
 * The worklist: search, filters and order over `cases.list`, the virtualised list, and import by drag and drop
 * anywhere on the screen or by the file and folder pickers. Refreshes on `cases.changed` and after each import.
 */
import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type DragEvent,
  type ReactNode,
} from 'react';
import type { CaseSummary } from '@shared/contract';
import { useOnReconnect, useVip, useVipEvent } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ExportButton } from '../../components/export/ExportButton';
import { fromDataTransfer, fromFileList, type PickedFile } from '../../lib/picked-files';
import { navigate } from '../../lib/router';
import { useStore } from '../../lib/store';
import { throttleTrailing } from '../../lib/throttle';
import { CasePager } from './case-pager';
import { CaseList, CaseListHeader, type PickMode } from './CaseList';
import { ImportRun } from './import-run';
import { ImportPanel } from './ImportPanel';
import { WorklistTabs } from '../pacs/WorklistTabs';
import { WorklistFilters } from './WorklistFilters';
import { defaultQuery, openedPosition, toListParams, worklistQuery, worklistSelection } from './worklist-query';
import { emptySelection, idsInRange, rangeFrom, selectAll, selectOnly, toggle, extendTo } from './selection';
import { SelectionBar } from './SelectionBar';

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer.types).includes('Files');
}

function ImportButtons(props: { disabled: boolean; onFiles: (files: PickedFile[]) => void }): ReactNode {
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  // React has no prop for webkitdirectory; set the attribute on the element itself.
  const setFolderMode = (el: HTMLInputElement | null): void => {
    folderInput.current = el;
    el?.setAttribute('webkitdirectory', '');
  };
  const take = (input: HTMLInputElement): void => {
    const files = fromFileList(input.files);
    input.value = '';
    if (files.length > 0) props.onFiles(files);
  };
  return (
    <div className="import-buttons">
      <button
        type="button"
        className="button button--primary"
        disabled={props.disabled}
        onClick={() => fileInput.current?.click()}
      >
        Import files…
      </button>
      <button type="button" className="button" disabled={props.disabled} onClick={() => folderInput.current?.click()}>
        Import folder…
      </button>
      <input
        ref={fileInput}
        className="visually-hidden"
        type="file"
        multiple
        tabIndex={-1}
        aria-label="Image files to import"
        data-testid="import-files-input"
        onChange={(e) => take(e.currentTarget)}
      />
      <input
        ref={setFolderMode}
        className="visually-hidden"
        type="file"
        multiple
        tabIndex={-1}
        aria-label="Folder to import"
        onChange={(e) => take(e.currentTarget)}
      />
    </div>
  );
}

const idle = (): (() => void) => () => undefined;

function useImportRunning(run: ImportRun | null): boolean {
  return useSyncExternalStore(run ? run.subscribe : idle, () => (run ? !run.getSnapshot().finished : false));
}

export function WorklistScreen(): ReactNode {
  const api = useVip();
  const query = useStore(worklistQuery);
  const pager = useMemo(() => new CasePager(api, query), [api, query]);
  const snapshot = useSyncExternalStore(pager.subscribe, pager.getSnapshot);
  const refresh = useMemo(() => throttleTrailing(() => pager.refresh(), 800), [pager]);
  useEffect(() => () => refresh.cancel(), [refresh]);
  useVipEvent('cases.changed', () => refresh());
  useOnReconnect(() => pager.refresh());

  const [run, setRun] = useState<ImportRun | null>(null);
  const [pickError, setPickError] = useState<unknown>(null);
  const [dragDepth, setDragDepth] = useState(0);
  const importing = useImportRunning(run);

  const startImport = (files: PickedFile[]): void => {
    if (importing) return;
    setPickError(null);
    const next = new ImportRun(api, files, () => refresh());
    setRun(next);
    void next.start().then(() => refresh());
  };

  const onDrop = (e: DragEvent<HTMLElement>): void => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    setDragDepth(0);
    if (importing) return;
    fromDataTransfer(e.dataTransfer).then(
      (files) => (files.length > 0 ? startImport(files) : setPickError(new Error('The drop held no files.'))),
      (err: unknown) => setPickError(err),
    );
  };

  const selection = useStore(worklistSelection);
  const pick = useCallback(
    (index: number, mode: PickMode): void => {
      const current = worklistSelection.get();
      if (mode === 'range' || mode === 'add-range') {
        const [first, last] = rangeFrom(current, index);
        void idsInRange(api, toListParams(query), first, last, (i) => pager.row(i)).then(
          (ids) =>
            worklistSelection.set((s) =>
              mode === 'range' ? { all: false, ids: new Set(ids), anchor: s.anchor ?? index } : extendTo(s, ids),
            ),
          (err: unknown) => setPickError(err),
        );
        return;
      }
      const row = pager.row(index);
      if (!row) return;
      worklistSelection.set((s) => (mode === 'toggle' ? toggle(s, row.id, index) : selectOnly(row.id, index)));
    },
    [api, query, pager],
  );

  const open = (c: CaseSummary, index: number): void => {
    openedPosition.set({ caseId: c.id, index });
    navigate({ name: 'case', id: c.id });
  };

  const filtered = JSON.stringify({ ...query, sort: '' }) !== JSON.stringify({ ...defaultQuery, sort: '' });
  const remembered = useStore(openedPosition);
  const total = snapshot.total;

  return (
    <section
      className="screen screen--worklist"
      aria-labelledby="worklist-title"
      onDragEnter={(e) => {
        if (hasFiles(e)) setDragDepth((d) => d + 1);
      }}
      onDragLeave={(e) => {
        if (hasFiles(e)) setDragDepth((d) => Math.max(0, d - 1));
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = importing ? 'none' : 'copy';
      }}
      onDrop={onDrop}
    >
      <div className="worklist-bar">
        <h1 id="worklist-title">Worklist</h1>
        <WorklistTabs current="local" />
        <p className="worklist-bar__count" role="status" data-testid="case-count">
          {total === null ? 'Loading…' : `${total.toLocaleString()} ${total === 1 ? 'case' : 'cases'}`}
          {filtered && total !== null ? (total === 1 ? ' matches the filters' : ' match the filters') : ''}
          {snapshot.loading && total !== null ? <span className="muted"> · updating</span> : null}
        </p>
        <ExportButton scope={{ kind: 'worklist', total }} />
        <ImportButtons disabled={importing} onFiles={startImport} />
      </div>
      <WorklistFilters
        query={query}
        onChange={(patch) => {
          // A new order or filter starts at the top; the remembered row and the selection belong to the old list.
          openedPosition.set(null);
          worklistSelection.set(emptySelection);
          worklistQuery.set((q) => ({ ...q, ...patch }));
        }}
      />
      {pickError ? <ErrorNotice title="Could not read the dropped files" error={pickError} /> : null}
      {snapshot.error ? (
        <ErrorNotice title="Could not load the worklist" error={snapshot.error} onRetry={() => pager.refresh()} />
      ) : null}
      {run ? <ImportPanel run={run} onClose={() => setRun(null)} /> : null}
      <SelectionBar query={query} selection={selection} total={total} />
      <div className="case-list">
        <CaseListHeader />
        {total === 0 ? (
          <div className="case-list__empty">
            {filtered ? (
              <>
                <p>No case matches these filters.</p>
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    openedPosition.set(null);
                    worklistSelection.set(emptySelection);
                    worklistQuery.set({ ...defaultQuery, sort: query.sort });
                  }}
                >
                  Clear filters
                </button>
              </>
            ) : (
              <p>
                No cases yet. Drop image files or folders (DICOM, PNG, JPEG, TIFF, WebP) anywhere here, or use{' '}
                <strong>Import files…</strong>.
              </p>
            )}
          </div>
        ) : (
          <CaseList
            key={JSON.stringify(query)}
            pager={pager}
            snapshot={snapshot}
            onOpen={open}
            initialIndex={remembered?.index ?? 0}
            selection={selection}
            onPick={pick}
            onSelectAll={() => worklistSelection.set(selectAll())}
            onClearSelection={() => worklistSelection.set(emptySelection)}
          />
        )}
      </div>
      {dragDepth > 0 ? (
        <div className="drop-overlay" aria-hidden="true">
          <p>{importing ? 'Wait for the current import to finish' : 'Drop to import'}</p>
        </div>
      ) : null}
    </section>
  );
}
