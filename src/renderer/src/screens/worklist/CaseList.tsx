/**
 * The virtualised case list: only the rows on screen exist in the DOM, their data paged in with `cases.list`.
 * A listbox: arrow keys, Page Up/Down, Home/End move the active row; Enter or a click opens the case.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { CaseSummary } from '@shared/contract';
import { useRenderedImage } from '../../components/use-rendered-image';
import { formatProbability, formatStudyDate, formatTimestamp } from '../../lib/format';
import { createLimiter } from '../../lib/limiter';
import type { CasePager, PagerSnapshot } from './case-pager';

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

const CaseRow = memo(function CaseRow(props: { c: CaseSummary }): ReactNode {
  const { c } = props;
  return (
    <>
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
}): ReactNode {
  const { pager, snapshot, onOpen } = props;
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

  const moveTo = (index: number): void => {
    if (count === 0) return;
    const next = Math.max(0, Math.min(count - 1, index));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const handled: Record<string, () => void> = {
      ArrowDown: () => moveTo(activeIndex + 1),
      ArrowUp: () => moveTo(activeIndex - 1),
      PageDown: () => moveTo(activeIndex + page),
      PageUp: () => moveTo(activeIndex - page),
      Home: () => moveTo(0),
      End: () => moveTo(count - 1),
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
      tabIndex={0}
      aria-activedescendant={activeIndex >= 0 && pager.row(activeIndex) ? `case-row-${activeIndex}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div className="case-list__inner" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const c = pager.row(item.index);
          const isActive = item.index === activeIndex;
          // Keyed by case so a row keeps its thumbnail when new cases push it down; a case seen twice while pages
          // refresh (old and new page overlap) falls back to its position.
          const key = c && !seen.has(c.id) ? `c${c.id}` : `i${item.index}`;
          if (c) seen.add(c.id);
          return (
            <div
              key={key}
              id={`case-row-${item.index}`}
              role="option"
              aria-selected={isActive}
              aria-posinset={item.index + 1}
              aria-setsize={count}
              aria-label={c ? rowLabel(c) : 'Loading'}
              data-case-id={c?.id}
              className={`case-grid case-row${isActive ? ' case-row--active' : ''}${c ? '' : ' case-row--loading'}`}
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              onClick={() => {
                setActive(item.index);
                if (c) onOpen(c, item.index);
              }}
            >
              {c ? (
                <CaseRow c={c} />
              ) : (
                <>
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
