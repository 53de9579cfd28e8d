/**
 * One case: the image (rendered by the engine: window/level, invert, frames; zoom and pan here), the model's
 * prediction with its symptom evidence, the review, the case's attributes and the reader's notes.
 * Keys: N / P next and previous case in the worklist's order, A agree with the model, 1..9 choose a class,
 * I invert, W toggles window/level dragging, Page Up / Page Down step through frames.
 */
import { useEffect, useEffectEvent, useRef, useState, type ReactNode } from 'react';
import type { CaseDetail, DisplayWindow } from '@shared/contract';
import { useOnReconnect, useVip, useVipEvent } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ExportButton } from '../../components/export/ExportButton';
import { PredictionPanel, SymptomEvidence } from '../../components/evidence/EvidencePanel';
import { useCasePredictions } from '../../components/evidence/use-case-predictions';
import { predictingVersion, useVersions } from '../../components/evidence/use-versions';
import { ReviewPanel } from '../../components/review/ReviewPanel';
import { useCaseReview } from '../../components/review/use-case-review';
import { navigate, routeHref } from '../../lib/router';
import { neighbourCase } from '../worklist/worklist-query';
import { CaseFacts, DicomTable, ImageFacts } from './AttributesPanel';
import { DisplayControls } from './DisplayControls';
import { ImageStage, type DragPhase, type StageMode } from './ImageStage';
import { NotesEditor } from './NotesEditor';
import { SendToPacsButton } from './SendToPacs';
import { useDisplayImage } from './use-display-image';
import { draggedWindow, presetsFor } from './window-presets';

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

function useReviewerName(): string | null {
  const api = useVip();
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.call('settings.get', {}).then(
      (s) => live && setName(s.reviewerName.trim()),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return name;
}

export function CaseViewer(props: { caseId: number }): ReactNode {
  const api = useVip();
  const { caseId } = props;
  const { detail, error, reload, replace } = useCaseDetail(caseId);
  const predictions = useCasePredictions(caseId);
  const versions = useVersions();
  const review = useCaseReview(caseId);
  const reviewerName = useReviewerName();
  const [imageIndex, setImageIndex] = useState(0);
  const [frame, setFrame] = useState(0);
  const [windowOverride, setWindowOverride] = useState<DisplayWindow | null>(null);
  const [invert, setInvert] = useState(false);
  const [mode, setMode] = useState<StageMode>('pan');
  const [fitKey, setFitKey] = useState(0);
  const dragStart = useRef<DisplayWindow | null>(null);
  const [notesDirty, setNotesDirty] = useState(false);
  const [stepMessage, setStepMessage] = useState<string | null>(null);
  const [stepError, setStepError] = useState<unknown>(null);
  const [stepping, setStepping] = useState(false);

  const images = detail?.images ?? [];
  const image = images[Math.min(imageIndex, Math.max(0, images.length - 1))] ?? null;
  const safeFrame = image ? Math.min(frame, image.frameCount - 1) : 0;
  const display = useDisplayImage(
    image ? { imageId: image.id, frame: safeFrame, window: windowOverride, invert } : null,
    VIEW_SIZE,
  );
  const shown = display.shown && image && display.shown.request.imageId === image.id ? display.shown : null;
  const windowable = shown?.window != null;
  const prediction =
    predictions.predictions?.find((p) => p.imageId === image?.id) ?? predictions.predictions?.[0] ?? null;

  const chooseImage = (index: number): void => {
    setImageIndex(index);
    setFrame(0);
    setWindowOverride(null);
  };

  const stepFrame = (delta: 1 | -1): void => {
    if (!image || image.frameCount < 2) return;
    setFrame((f) => Math.max(0, Math.min(image.frameCount - 1, f + delta)));
  };

  const onWindowDrag = (phase: DragPhase, dx: number, dy: number): void => {
    if (phase === 'start') {
      dragStart.current = windowOverride ?? shown?.window ?? null;
      return;
    }
    const start = dragStart.current;
    if (start) setWindowOverride(draggedWindow(start, dx, dy));
    if (phase === 'end') dragStart.current = null;
  };

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
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    const key = e.key.toLowerCase();
    const classes = prediction?.classes ?? [];
    let handled = true;
    if (key === 'n' || key === 'p') void step(key === 'n' ? 1 : -1);
    else if (key === 'a' && prediction) void review.save(prediction.predictedClass, image?.id ?? null);
    else if (/^[1-9]$/.test(key) && classes[Number(key) - 1] !== undefined)
      void review.save(classes[Number(key) - 1] as string, image?.id ?? null);
    else if (key === 'i') setInvert((v) => !v);
    else if (key === 'w' && windowable) setMode((m) => (m === 'window' ? 'pan' : 'window'));
    else if (e.key === 'PageDown') stepFrame(1);
    else if (e.key === 'PageUp') stepFrame(-1);
    else handled = false;
    if (handled) e.preventDefault();
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
          <ExportButton scope={{ kind: 'case', caseId: detail.id }} />
          <SendToPacsButton detail={detail} />
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
                  <select value={imageIndex} onChange={(e) => chooseImage(Number(e.target.value))}>
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
                    title="Page Up / Page Down or Shift + wheel over the image"
                    onChange={(e) => setFrame(Number(e.target.value))}
                  />
                </label>
              ) : null}
            </div>
          ) : null}
          {!image ? (
            <p className="stage stage--empty">This case has no images.</p>
          ) : display.error && !shown ? (
            <div className="stage stage--empty">
              <ErrorNotice title="Could not render the image" error={display.error} />
            </div>
          ) : shown ? (
            <ImageStage
              key={`${image.id}:${fitKey}`}
              url={shown.url}
              width={shown.width}
              height={shown.height}
              label={`Image ${image.originalName}`}
              mode={windowable ? mode : 'pan'}
              {...(windowable ? { onWindowDrag } : {})}
              {...(image.frameCount > 1 ? { onFrameStep: stepFrame } : {})}
              busy={display.pending}
              tools={
                <DisplayControls
                  mode={windowable ? mode : 'pan'}
                  onMode={setMode}
                  windowable={windowable}
                  presets={presetsFor(image, detail.modality)}
                  applied={shown.window}
                  chosen={windowOverride}
                  onWindow={setWindowOverride}
                  invert={invert}
                  onInvert={setInvert}
                  onReset={() => {
                    setWindowOverride(null);
                    setInvert(false);
                    setFitKey((k) => k + 1);
                  }}
                />
              }
            />
          ) : (
            <p className="stage stage--empty muted">Rendering the image…</p>
          )}
          {display.error && shown ? <ErrorNotice title="Could not render this view" error={display.error} /> : null}
        </div>
        <aside className="viewer__side" aria-label="Case details">
          <PredictionPanel
            state={predictions}
            prediction={prediction}
            activeVersion={predictingVersion(versions.versions)}
          />
          <ReviewPanel
            review={review}
            prediction={prediction}
            imageId={image?.id ?? null}
            reviewerName={reviewerName}
          />
          <SymptomEvidence prediction={prediction} />
          <h2>Case</h2>
          <CaseFacts detail={detail} />
          {image ? (
            <>
              <h2>Image</h2>
              <ImageFacts image={image} rendered={shown} />
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
