/**
 * One case: the image (rendered by the engine, zoom and pan here), its attributes and the reader's notes.
 * N and P step to the next and previous case in the worklist's current order.
 */
import { useEffect, useEffectEvent, useState, type ReactNode } from 'react';
import type { CaseDetail } from '@shared/contract';
import { useOnReconnect, useVip, useVipEvent } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useRenderedImage } from '../../components/use-rendered-image';
import { navigate, routeHref } from '../../lib/router';
import { neighbourCase } from '../worklist/worklist-query';
import { CaseFacts, DicomTable, ImageFacts } from './AttributesPanel';
import { ImageStage } from './ImageStage';
import { NotesEditor } from './NotesEditor';

const VIEW_SIZE = 2048;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
}

function useCaseDetail(caseId: number): {
  detail: CaseDetail | null;
  error: unknown;
  reload: () => void;
  replace: (d: CaseDetail) => void;
} {
  const api = useVip();
  const [state, setState] = useState<{ detail: CaseDetail | null; error: unknown }>({ detail: null, error: null });
  const [attempt, setAttempt] = useState(0);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);
  useVipEvent('cases.changed', (p) => {
    if (p.caseIds.includes(caseId)) reload();
  });
  useEffect(() => {
    let live = true;
    api.call('cases.get', { id: caseId }).then(
      (detail) => live && setState({ detail, error: null }),
      (error: unknown) => live && setState((s) => ({ detail: s.detail, error })),
    );
    return () => {
      live = false;
    };
  }, [api, caseId, attempt]);
  return { ...state, reload, replace: (detail) => setState({ detail, error: null }) };
}

export function CaseViewer(props: { caseId: number }): ReactNode {
  const api = useVip();
  const { caseId } = props;
  const { detail, error, reload, replace } = useCaseDetail(caseId);
  const [imageIndex, setImageIndex] = useState(0);
  const [frame, setFrame] = useState(0);
  const [notesDirty, setNotesDirty] = useState(false);
  const [stepMessage, setStepMessage] = useState<string | null>(null);
  const [stepError, setStepError] = useState<unknown>(null);
  const [stepping, setStepping] = useState(false);

  const images = detail?.images ?? [];
  const image = images[Math.min(imageIndex, Math.max(0, images.length - 1))] ?? null;
  const safeFrame = image ? Math.min(frame, image.frameCount - 1) : 0;
  const rendered = useRenderedImage(image?.id ?? null, VIEW_SIZE, { frame: safeFrame });

  const step = async (delta: 1 | -1): Promise<void> => {
    if (stepping) return;
    if (notesDirty) {
      setStepMessage('Save or discard the notes before moving to another case.');
      return;
    }
    setStepping(true);
    setStepError(null);
    setStepMessage(null);
    try {
      const next = await neighbourCase(api, caseId, delta);
      if (next) navigate({ name: 'case', id: next.id });
      else
        setStepMessage(
          delta > 0 ? 'This is the last case in the worklist.' : 'This is the first case in the worklist.',
        );
    } catch (err) {
      setStepError(err);
    } finally {
      setStepping(false);
    }
  };

  const onKey = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    const key = e.key.toLowerCase();
    if (key === 'n' || key === 'p') {
      e.preventDefault();
      void step(key === 'n' ? 1 : -1);
    }
  };
  useGlobalKey(onKey);

  if (!detail) {
    return (
      <section className="screen" aria-labelledby="case-title">
        <h1 id="case-title">Case {caseId}</h1>
        {error ? (
          <ErrorNotice title="Could not open the case" error={error} onRetry={reload} />
        ) : (
          <p className="muted">Loading…</p>
        )}
        <p>
          <a href={routeHref({ name: 'worklist' })}>Back to the worklist</a>
        </p>
      </section>
    );
  }

  return (
    <section className="screen screen--viewer" aria-labelledby="case-title">
      <div className="viewer-bar">
        <a className="button button--quiet" href={routeHref({ name: 'worklist' })}>
          ← Worklist
        </a>
        <h1 id="case-title">
          Case {detail.id}
          {detail.description ? <span className="muted"> · {detail.description}</span> : null}
        </h1>
        <div className="viewer-bar__nav">
          <button
            type="button"
            className="button"
            disabled={stepping}
            onClick={() => void step(-1)}
            title="Previous case (P)"
          >
            Previous <kbd>P</kbd>
          </button>
          <button
            type="button"
            className="button"
            disabled={stepping}
            onClick={() => void step(1)}
            title="Next case (N)"
          >
            Next <kbd>N</kbd>
          </button>
        </div>
        <p className="viewer-bar__message" role="status">
          {stepMessage}
        </p>
      </div>
      {stepError ? <ErrorNotice title="Could not move to the next case" error={stepError} /> : null}
      {error ? <ErrorNotice title="Could not refresh the case" error={error} onRetry={reload} /> : null}
      <div className="viewer">
        <div className="viewer__image">
          {images.length > 1 || (image && image.frameCount > 1) ? (
            <div className="viewer__pickers">
              {images.length > 1 ? (
                <label className="field field--inline">
                  <span>Image</span>
                  <select
                    value={imageIndex}
                    onChange={(e) => {
                      setImageIndex(Number(e.target.value));
                      setFrame(0);
                    }}
                  >
                    {images.map((im, i) => (
                      <option key={im.id} value={i}>
                        {i + 1}. {im.originalName}
                      </option>
                    ))}
                  </select>
                </label>
              ) : null}
              {image && image.frameCount > 1 ? (
                <label className="field field--inline">
                  <span>
                    Frame {safeFrame + 1} of {image.frameCount}
                  </span>
                  <input
                    type="range"
                    min={0}
                    max={image.frameCount - 1}
                    value={safeFrame}
                    onChange={(e) => setFrame(Number(e.target.value))}
                  />
                </label>
              ) : null}
            </div>
          ) : null}
          {!image ? (
            <p className="stage stage--empty">This case has no images.</p>
          ) : rendered.error ? (
            <div className="stage stage--empty">
              <ErrorNotice title="Could not render the image" error={rendered.error} />
            </div>
          ) : rendered.url ? (
            <ImageStage
              key={rendered.url}
              url={rendered.url}
              width={rendered.width}
              height={rendered.height}
              label={`Image ${image.originalName}`}
            />
          ) : (
            <p className="stage stage--empty muted">Rendering the image…</p>
          )}
        </div>
        <aside className="viewer__side" aria-label="Case details">
          <h2>Case</h2>
          <CaseFacts detail={detail} />
          {image ? (
            <>
              <h2>Image</h2>
              <ImageFacts image={image} rendered={rendered.url ? rendered : null} />
              <h2>DICOM attributes</h2>
              <DicomTable dicom={image.dicom} />
            </>
          ) : null}
          <h2>Notes</h2>
          <NotesEditor caseId={detail.id} notes={detail.notes ?? ''} onSaved={replace} onDirtyChange={setNotesDirty} />
        </aside>
      </div>
    </section>
  );
}

/** A window-level keydown listener that always calls the latest handler. */
function useGlobalKey(handler: (e: KeyboardEvent) => void): void {
  const onKey = useEffectEvent(handler);
  useEffect(() => {
    const listener = (e: KeyboardEvent): void => onKey(e);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);
}
