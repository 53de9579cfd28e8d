/**
 * The virtualised case list: only the rows on screen exist in the DOM, their data paged in with `cases.list`.
 * A multi-select listbox: arrow keys, Page Up/Down, Home/End move the active row (and select it; with Shift they
 * select from the anchor, with Ctrl they only move); Space toggles the active row, Ctrl+A selects every case of the
 * filtered list, Escape clears. A click selects and opens the case; Ctrl/Cmd-click toggles, Shift-click selects a
 * range, the checkbox toggles without opening.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { CaseSummary } from '@shared/contract';
import { useRenderedImage } from '../../components/use-rendered-image';
import { formatProbability, formatStudyDate, formatTimestamp } from '../../lib/format';
import { createLimiter } from '../../lib/limiter';
import type { CasePager, PagerSnapshot } from './case-pager';
import { isSelected, type Selection } from './selection';

export const ROW_HEIGHT = 76;
const THUMB_SIZE = 96;
const OVERSCAN = 8;
/** Thumbnails render a few at a time, after a row has been on screen briefly (fast scrolling costs nothing). */
const thumbnailLimiter = createLimiter(4);
const THUMB_DELAY_MS = 80;

const Thumbnail = memo(function Thumbnail(props: { imageId: number | null }): ReactNode {
  const image = useRenderedImage(props.imageId, THUMB_SIZE, { limiter: thumbnailLimiter, delayMs: THUMB_DELAY_MS });
  return (
    <span className="thumb" aria-hidden="true">
      {image.url ? (
        <img src={image.url} alt="" width={image.width} height={image.height} draggable={false} />
      ) : image.error ? (
        <span className="thumb__mark" title="The image could not be rendered">
          !
        </span>
      ) : null}
    </span>
  );
});

/** The reviewer's label differs from the case's current prediction. */
export function disagrees(c: CaseSummary): boolean {
  return c.reviewStatus === 'reviewed' && !!c.reviewLabel && !!c.predictedClass && c.reviewLabel !== c.predictedClass;
}

function ReviewStatusBadge(props: { c: CaseSummary }): ReactNode {
  const { c } = props;
  if (c.reviewStatus !== 'reviewed') return <span className="status status--unreviewed">Unreviewed</span>;
  const differs = disagrees(c);
  return (
    <span
      className={`status status--reviewed${differs ? ' status--disagree' : ''}`}
      title={differs ? `The reviewer chose ${c.reviewLabel}; the model predicts ${c.predictedClass}` : undefined}
    >
      {differs ? '≠ ' : '✓ '}
      {c.reviewLabel ?? 'Reviewed'}
    </span>
  );
}

function rowLabel(c: CaseSummary): string {
  const parts = [`Case ${c.id}`];
  if (c.description) parts.push(c.description);
  if (c.modality) parts.push(c.modality);
  if (c.studyDate) parts.push(`study date ${formatStudyDate(c.studyDate)}`);
  if (c.predictedClass) parts.push(`predicted ${c.predictedClass} ${formatProbability(c.predictedProbability)}`);
  parts.push(
    c.reviewStatus === 'reviewed'
      ? `reviewed${c.reviewLabel ? ` as ${c.reviewLabel}` : ''}${disagrees(c) ? ', disagrees with the model' : ''}`
      : 'unreviewed',
  );
  return parts.join(', ');
}

/** How a pick changes the selection: only this row, this row in or out, or anchor..row (added to the rest). */
export type PickMode = 'only' | 'toggle' | 'range' | 'add-range';

function pickMode(e: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }): PickMode {
  const ctrl = e.ctrlKey || e.metaKey;
  if (e.shiftKey) return ctrl ? 'add-range' : 'range';
  return ctrl ? 'toggle' : 'only';
}

const CaseRow = memo(function CaseRow(props: { c: CaseSummary; onCheck: () => void }): ReactNode {
  const { c } = props;
  return (
    <>
      <span
        className="row-check"
        aria-hidden="true"
        title="Select or deselect this case"
        onClick={(e) => {
          e.stopPropagation();
          props.onCheck();
        }}
      />
      <Thumbnail imageId={c.firstImageId} />
      <span className="cell cell--case">
        <span className="cell__main">Case {c.id}</span>
        <span className="cell__sub">{c.description ?? c.bodyPart ?? ''}</span>
      </span>
      <span className="cell">{formatStudyDate(c.studyDate)}</span>
      <span className="cell">{formatTimestamp(c.createdAt)}</span>
      <span className="cell">{c.modality ?? ''}</span>
      <span className="cell cell--class">{c.predictedClass ?? ''}</span>
      <span className="cell cell--num">{formatProbability(c.predictedProbability)}</span>
      <span className="cell">
        <ReviewStatusBadge c={c} />
      </span>
    </>
  );
});

export function CaseListHeader(): ReactNode {
  return (
    <div className="case-grid case-list__head" aria-hidden="true">
      <span />
      <span>Image</span>
      <span>Case</span>
      <span>Study date</span>
      <span>Imported</span>
      <span>Modality</span>
      <span>Prediction</span>
      <span className="cell--num">Probability</span>
      <span>Review</span>
    </div>
  );
}

export function CaseList(props: {
  pager: CasePager;
  snapshot: PagerSnapshot;
  onOpen: (c: CaseSummary, index: number) => void;
  initialIndex: number;
  selection: Selection;
  onPick: (index: number, mode: PickMode) => void;
  onSelectAll: () => void;
  onClearSelection: () => void;
}): ReactNode {
  const { pager, snapshot, onOpen, selection, onPick } = props;
  const count = snapshot.total ?? 0;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(() => Math.min(props.initialIndex, Math.max(0, count - 1)));
  const activeIndex = count === 0 ? -1 : Math.min(active, count - 1);

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    initialOffset: () => Math.max(0, props.initialIndex * ROW_HEIGHT - 2 * ROW_HEIGHT),
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    pager.ensure(first, last);
  }, [pager, first, last, snapshot.version]);

  // A row selected by key before its page arrived is selected once it has (no extra request for one id).
  const [pendingPick, setPendingPick] = useState<number | null>(null);
  useEffect(() => {
    if (pendingPick !== null && pager.row(pendingPick)) {
      setPendingPick(null);
      onPick(pendingPick, 'only');
    }
  }, [pager, pendingPick, snapshot.version, onPick]);

  const moveTo = (index: number, e?: KeyboardEvent<HTMLDivElement>): void => {
    if (count === 0) return;
    const next = Math.max(0, Math.min(count - 1, index));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
    const mode = e ? pickMode(e) : 'only';
    if (mode === 'toggle') return; // Ctrl+arrow moves the active row only.
    if (mode === 'only' && !pager.row(next)) setPendingPick(next);
    else onPick(next, mode === 'add-range' ? 'range' : mode);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      props.onSelectAll();
      return;
    }
    const handled: Record<string, () => void> = {
      ' ': () => {
        if (activeIndex >= 0) onPick(activeIndex, 'toggle');
      },
      Escape: () => props.onClearSelection(),
      ArrowDown: () => moveTo(activeIndex + 1, e),
      ArrowUp: () => moveTo(activeIndex - 1, e),
      PageDown: () => moveTo(activeIndex + page, e),
      PageUp: () => moveTo(activeIndex - page, e),
      Home: () => moveTo(0, e),
      End: () => moveTo(count - 1, e),
      Enter: () => {
        const c = pager.row(activeIndex);
        if (c) onOpen(c, activeIndex);
      },
    };
    const action = handled[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  const seen = new Set<number>();
  return (
    <div
      ref={scrollRef}
      className="case-list__scroll"
      role="listbox"
      aria-label="Cases"
      aria-multiselectable="true"
      tabIndex={0}
      aria-activedescendant={activeIndex >= 0 && pager.row(activeIndex) ? `case-row-${activeIndex}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div className="case-list__inner" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const c = pager.row(item.index);
          const isActive = item.index === activeIndex;
          const picked = c ? isSelected(selection, c.id) : false;
          // Keyed by case so a row keeps its thumbnail when new cases push it down; a case seen twice while pages
          // refresh (old and new page overlap) falls back to its position.
          const key = c && !seen.has(c.id) ? `c${c.id}` : `i${item.index}`;
          if (c) seen.add(c.id);
          return (
            <div
              key={key}
              id={`case-row-${item.index}`}
              role="option"
              aria-selected={picked}
              aria-posinset={item.index + 1}
              aria-setsize={count}
              aria-label={c ? rowLabel(c) : 'Loading'}
              data-case-id={c?.id}
              className={`case-grid case-row${isActive ? ' case-row--active' : ''}${picked ? ' case-row--selected' : ''}${c ? '' : ' case-row--loading'}`}
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              onMouseDown={(e) => {
                // Shift-click selects rows, not the text between them.
                if (e.shiftKey) e.preventDefault();
              }}
              onClick={(e) => {
                setActive(item.index);
                const mode = pickMode(e);
                onPick(item.index, mode);
                if (c && mode === 'only') onOpen(c, item.index);
              }}
            >
              {c ? (
                <CaseRow
                  c={c}
                  onCheck={() => {
                    setActive(item.index);
                    onPick(item.index, 'toggle');
                  }}
                />
              ) : (
                <>
                  <span className="row-check" aria-hidden="true" />
                  <span className="thumb" aria-hidden="true" />
                  <span className="cell muted">Loading…</span>
                </>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
