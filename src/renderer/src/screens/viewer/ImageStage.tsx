/**
 * Shows one rendered image fitted to the available space; the wheel zooms around the pointer, dragging pans. With
 * windowing on (grayscale images), a right-button drag, or a left drag in W/L mode, adjusts window and level:
 * the stage only reports the drag, the viewer decides the window. Shift + wheel steps through frames.
 * Keyboard (when focused): + and - zoom, 0 fits, arrow keys pan.
 */
import {
  useEffect,
  useEffectEvent,
  useRef,
  useState,
  type KeyboardEvent,
  type PointerEvent,
  type ReactNode,
} from 'react';

interface View {
  scale: number;
  x: number;
  y: number;
}

export type DragPhase = 'start' | 'move' | 'end';
export type StageMode = 'pan' | 'window';

const MIN_SCALE = 0.05;
const MAX_SCALE = 32;
const KEY_ZOOM = 1.25;
const KEY_PAN = 48;

function fitView(cw: number, ch: number, w: number, h: number): View {
  if (cw <= 0 || ch <= 0 || w <= 0 || h <= 0) return { scale: 1, x: 0, y: 0 };
  const scale = Math.min(cw / w, ch / h);
  return { scale, x: (cw - w * scale) / 2, y: (ch - h * scale) / 2 };
}

function zoomAbout(view: View, factor: number, px: number, py: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = scale / view.scale;
  return { scale, x: px - (px - view.x) * k, y: py - (py - view.y) * k };
}

export interface StageProps {
  url: string;
  width: number;
  height: number;
  label: string;
  /** Left-drag behaviour; the right button always windows when windowing is on. */
  mode?: StageMode;
  /** Window/level drags, as the offset from where the drag started; absent for colour images. */
  onWindowDrag?: (phase: DragPhase, dx: number, dy: number) => void;
  /** Shift + wheel: +1 next frame, -1 previous (multi-frame images only). */
  onFrameStep?: (delta: 1 | -1) => void;
  /** Extra controls for the toolbar (window presets, invert). */
  tools?: ReactNode;
  /** Shown over the image while a newer rendering is on its way. */
  busy?: boolean;
}

export function ImageStage(props: StageProps): ReactNode {
  const { url, width, height, mode = 'pan', onWindowDrag, onFrameStep } = props;
  const boxRef = useRef<HTMLDivElement>(null);
  const [box, setBox] = useState({ w: 0, h: 0 });
  /** null while the image follows the fit; set once the user zooms or pans. */
  const [manual, setManual] = useState<View | null>(null);
  const drag = useRef<{ id: number; x: number; y: number; x0: number; y0: number; kind: 'pan' | 'window' } | null>(
    null,
  );
  // A new rendering of another size (a smaller frame, a different maxSize) keeps the zoom but refits when fitted.
  const view = manual ?? fitView(box.w, box.h, width, height);

  useEffect(() => {
    const el = boxRef.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setBox({ w: entry.contentRect.width, h: entry.contentRect.height });
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // React's wheel listener is passive; a non-passive one is needed to keep the page from scrolling while zooming.
  const onWheel = useEffectEvent((e: WheelEvent) => {
    e.preventDefault();
    if (e.shiftKey && onFrameStep) {
      const delta = e.deltaY || e.deltaX;
      if (delta !== 0) onFrameStep(delta > 0 ? 1 : -1);
      return;
    }
    const rect = boxRef.current?.getBoundingClientRect();
    if (!rect) return;
    const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
    setManual(zoomAbout(view, factor, e.clientX - rect.left, e.clientY - rect.top));
  });
  useEffect(() => {
    const el = boxRef.current;
    if (!el) return;
    const listener = (e: WheelEvent): void => onWheel(e);
    el.addEventListener('wheel', listener, { passive: false });
    return () => el.removeEventListener('wheel', listener);
  }, []);

  const onPointerDown = (e: PointerEvent<HTMLDivElement>): void => {
    const windowing = onWindowDrag && (e.button === 2 || (e.button === 0 && mode === 'window'));
    if (e.button !== 0 && !windowing) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const kind = windowing ? 'window' : 'pan';
    drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY, x0: e.clientX, y0: e.clientY, kind };
    if (kind === 'window') onWindowDrag?.('start', 0, 0);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>): void => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    if (d.kind === 'window') {
      onWindowDrag?.('move', e.clientX - d.x0, e.clientY - d.y0);
      return;
    }
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    drag.current = { ...d, x: e.clientX, y: e.clientY };
    setManual({ scale: view.scale, x: view.x + dx, y: view.y + dy });
  };
  const endDrag = (e: PointerEvent<HTMLDivElement>): void => {
    const d = drag.current;
    if (d?.id !== e.pointerId) return;
    drag.current = null;
    if (d.kind === 'window') onWindowDrag?.('end', e.clientX - d.x0, e.clientY - d.y0);
  };

  const zoomCentre = (factor: number): void => setManual(zoomAbout(view, factor, box.w / 2, box.h / 2));
  const actualSize = (): void => setManual({ scale: 1, x: (box.w - width) / 2, y: (box.h - height) / 2 });

  // Digits are left to the viewer (class shortcuts of the review).
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const actions: Record<string, () => void> = {
      '+': () => zoomCentre(KEY_ZOOM),
      '=': () => zoomCentre(KEY_ZOOM),
      '-': () => zoomCentre(1 / KEY_ZOOM),
      '0': () => setManual(null),
      ArrowLeft: () => setManual({ ...view, x: view.x + KEY_PAN }),
      ArrowRight: () => setManual({ ...view, x: view.x - KEY_PAN }),
      ArrowUp: () => setManual({ ...view, y: view.y + KEY_PAN }),
      ArrowDown: () => setManual({ ...view, y: view.y - KEY_PAN }),
    };
    const action = e.ctrlKey || e.metaKey || e.altKey ? undefined : actions[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  const windowHint = onWindowDrag ? ' Right-drag adjusts window and level.' : '';
  return (
    <div className="stage">
      <div className="stage__tools" role="toolbar" aria-label="Image display">
        <button
          type="button"
          className="button button--small"
          onClick={() => zoomCentre(1 / KEY_ZOOM)}
          title="Zoom out (-)"
          aria-label="Zoom out"
        >
          −
        </button>
        <span className="stage__zoom" aria-live="polite">
          {Math.round(view.scale * 100)} %
        </span>
        <button
          type="button"
          className="button button--small"
          onClick={() => zoomCentre(KEY_ZOOM)}
          title="Zoom in (+)"
          aria-label="Zoom in"
        >
          +
        </button>
        <button
          type="button"
          className="button button--small"
          onClick={() => setManual(null)}
          aria-pressed={manual === null}
          title="Fit to the window (0)"
        >
          Fit
        </button>
        <button type="button" className="button button--small" onClick={actualSize} title="Rendered pixels 1:1">
          1:1
        </button>
        {props.tools}
      </div>
      <div
        ref={boxRef}
        className={`stage__viewport stage__viewport--${onWindowDrag && mode === 'window' ? 'window' : 'pan'}`}
        tabIndex={0}
        role="img"
        aria-label={`${props.label}. Wheel or plus and minus to zoom, drag or arrow keys to pan, 0 to fit.${windowHint}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onContextMenu={(e) => {
          if (onWindowDrag) e.preventDefault();
        }}
        onKeyDown={onKeyDown}
      >
        <img
          className={`stage__image${box.w > 0 ? '' : ' stage__image--unmeasured'}`}
          src={url}
          alt=""
          width={width}
          height={height}
          draggable={false}
          style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` }}
        />
        {props.busy ? (
          <span className="stage__busy" role="status">
            Rendering…
          </span>
        ) : null}
      </div>
    </div>
  );
}
