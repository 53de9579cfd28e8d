/** Progress of an import: counts, a progress bar, and every file with its outcome (errors first on request). */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { formatBytes } from '../../lib/format';
import type { FileStatus, ImportItem, ImportRun } from './import-run';

const ITEM_HEIGHT = 30;

const STATUS_TEXT: Record<FileStatus, string> = {
  queued: 'Waiting',
  uploading: 'Importing…',
  imported: 'Imported',
  duplicate: 'Duplicate',
  error: 'Error',
  cancelled: 'Not sent',
};

function ImportItemRow(props: { item: ImportItem }): ReactNode {
  const { item } = props;
  return (
    <>
      <span className={`import-status import-status--${item.status}`}>{STATUS_TEXT[item.status]}</span>
      <span className="import-item__name" title={item.name}>
        {item.name}
      </span>
      <span className="import-item__size">{formatBytes(item.size)}</span>
      <span className="import-item__message" title={item.message ?? undefined}>
        {item.caseId !== null ? <a href={`#/case/${item.caseId}`}>Case {item.caseId}</a> : null}
        {item.message ? ` ${item.message}` : null}
      </span>
    </>
  );
}

export function ImportPanel(props: { run: ImportRun; onClose: () => void }): ReactNode {
  const { run } = props;
  const snap = useSyncExternalStore(run.subscribe, run.getSnapshot);
  const [errorsOnly, setErrorsOnly] = useState(false);
  const scrollRef = useRef<HTMLDivElement>(null);
  const { counts, finished } = snap;
  const total = snap.items.length;
  const done = counts.imported + counts.duplicate + counts.error + counts.cancelled;

  const shown = useMemo(
    () => (errorsOnly ? snap.items.filter((i) => i.status === 'error' || i.status === 'cancelled') : snap.items),
    // snap.items is the same array between updates; the version says when its contents changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [errorsOnly, snap.items, snap.version],
  );

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ITEM_HEIGHT,
    overscan: 10,
  });

  const summary = [
    `${counts.imported} imported`,
    counts.duplicate ? `${counts.duplicate} already present` : null,
    counts.error ? `${counts.error} failed` : null,
    counts.cancelled ? `${counts.cancelled} not sent` : null,
  ]
    .filter(Boolean)
    .join(', ');

  return (
    <section className="import-panel" aria-labelledby="import-title">
      <div className="import-panel__head">
        <h2 id="import-title">
          {finished ? 'Import finished' : snap.cancelRequested ? 'Stopping import…' : 'Importing'}: {done} of {total}{' '}
          {total === 1 ? 'file' : 'files'}
        </h2>
        <p role="status" className="import-panel__summary">
          {summary}
        </p>
        <progress max={Math.max(1, total)} value={done} aria-label="Import progress" />
        <div className="import-panel__actions">
          <label className="check">
            <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} />
            Only problems
          </label>
          {finished ? (
            <button type="button" className="button" onClick={props.onClose}>
              Close
            </button>
          ) : (
            <button type="button" className="button" disabled={snap.cancelRequested} onClick={() => run.cancel()}>
              Cancel
            </button>
          )}
        </div>
      </div>
      <div ref={scrollRef} className="import-panel__list" tabIndex={0} aria-label="Files in this import">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const item = shown[v.index];
            if (!item) return null;
            return (
              <div
                key={item.index}
                className="import-item"
                style={{ transform: `translateY(${v.start}px)`, height: ITEM_HEIGHT }}
              >
                <ImportItemRow item={item} />
              </div>
            );
          })}
        </div>
        {errorsOnly && shown.length === 0 ? <p className="muted import-panel__empty">No problems so far.</p> : null}
      </div>
    </section>
  );
}
