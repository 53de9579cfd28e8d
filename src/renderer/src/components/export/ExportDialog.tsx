/**
 * The export dialog (`export.run`): which cases (the worklist's current filters, the cases selected in the worklist,
 * the case on screen, or typed case numbers), where (a folder or a .zip path on the engine's machine), what besides the JSON, CSV and evidence PNGs
 * (PDF reports, DICOM SR), and whether to include patient identifiers (off by default, recorded in the audit log).
 * Shows progress while the engine writes and the outcome after: where it went, cases without predictions, warnings.
 * A running export can be cancelled (the Cancel export button, or Escape): the engine then leaves nothing at the
 * destination, and the dialog says so and offers to export again.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ExportFilter, ExportResult } from '@shared/contract';
import { useVip, useVipEvent } from '../../api/vip-context';
import { toDisplayError } from '../../lib/errors';
import { formatBytes } from '../../lib/format';
import { ErrorNotice } from '../ErrorNotice';
import { parseCaseIds } from './case-ids';
import './export.css';

export type ExportScope =
  | { kind: 'case'; caseId: number }
  /** `selected`: the user selected every case of the (filtered) worklist. */
  | { kind: 'worklist'; filter: ExportFilter; total: number | null; filtered: boolean; selected?: boolean }
  /** Cases picked in the worklist. */
  | { kind: 'selection'; caseIds: number[] };

type Choice = 'scope' | 'typed';

const MAX_WARNINGS_SHOWN = 12;

function stamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A new zip name in the data folder, in the engine machine's own path style. */
function suggestedPath(dataDir: string): string {
  const sep = dataDir.includes('\\') && !dataDir.includes('/') ? '\\' : '/';
  return `${dataDir.replace(/[\\/]+$/, '')}${sep}vip-export-${stamp()}.zip`;
}

function scopeLabel(scope: ExportScope): string {
  if (scope.kind === 'case') return `Case ${scope.caseId}`;
  if (scope.kind === 'selection') {
    const n = scope.caseIds.length;
    return n === 1 ? `The selected case (${scope.caseIds[0]})` : `The ${n.toLocaleString()} selected cases`;
  }
  const n = scope.total === null ? '…' : scope.total.toLocaleString();
  const cases = scope.total === 1 ? 'case' : 'cases';
  if (scope.selected)
    return `The ${n} selected ${cases} (every case ${scope.filtered ? 'matching the filters' : 'of the worklist'})`;
  return scope.filtered ? `The ${n} ${cases} matching the worklist filters` : `All ${n} ${cases} of the worklist`;
}

function Outcome(props: { result: ExportResult }): ReactNode {
  const r = props.result;
  const warnings = r.warnings.filter((w) => !/has no predictions/.test(w));
  return (
    <div className="export-outcome" role="status" data-testid="export-outcome">
      <p>
        <strong>
          Exported {r.cases.toLocaleString()} {r.cases === 1 ? 'case' : 'cases'} ({r.images.toLocaleString()}{' '}
          {r.images === 1 ? 'image' : 'images'})
        </strong>{' '}
        to <code className="break">{r.path}</code>
      </p>
      <p className="muted">
        {r.format === 'zip' ? 'Zip file' : 'Folder'}, {r.files} files, {formatBytes(r.bytes)}
        {r.pdfReports ? `, ${r.pdfReports} PDF report${r.pdfReports === 1 ? '' : 's'}` : ''}
        {r.structuredReports ? `, ${r.structuredReports} DICOM SR${r.structuredReports === 1 ? '' : 's'}` : ''}.{' '}
        {r.identified ? (
          <strong className="export-identified">Identified: contains patient names, IDs and birth dates.</strong>
        ) : (
          'De-identified.'
        )}
      </p>
      {r.casesWithoutPredictions.length > 0 ? (
        <p className="notice">
          {r.casesWithoutPredictions.length === 1 ? 'Case ' : 'Cases '}
          {r.casesWithoutPredictions.slice(0, 20).join(', ')}
          {r.casesWithoutPredictions.length > 20 ? ` and ${r.casesWithoutPredictions.length - 20} more` : ''}{' '}
          {r.casesWithoutPredictions.length === 1 ? 'has' : 'have'} no predictions and{' '}
          {r.casesWithoutPredictions.length === 1 ? 'was' : 'were'} exported with what{' '}
          {r.casesWithoutPredictions.length === 1 ? 'it has' : 'they have'}.
        </p>
      ) : null}
      {warnings.length > 0 ? (
        <details className="export-warnings">
          <summary>
            {warnings.length} warning{warnings.length === 1 ? '' : 's'}
          </summary>
          <ul className="plain-list">
            {warnings.slice(0, MAX_WARNINGS_SHOWN).map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
          {warnings.length > MAX_WARNINGS_SHOWN ? (
            <p className="muted">The rest are in the export&apos;s manifest.json.</p>
          ) : null}
        </details>
      ) : null}
    </div>
  );
}

export function ExportDialog(props: { scope: ExportScope; onClose: () => void }): ReactNode {
  const { scope, onClose } = props;
  const api = useVip();
  const ids = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [choice, setChoice] = useState<Choice>('scope');
  const [typed, setTyped] = useState(scope.kind === 'case' ? String(scope.caseId) : '');
  const [out, setOut] = useState('');
  const [pdf, setPdf] = useState(true);
  const [dicomSr, setDicomSr] = useState(false);
  const [identified, setIdentified] = useState(false);
  const [running, setRunning] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  /** The destination of the export that was cancelled last. */
  const [cancelled, setCancelled] = useState<string | null>(null);
  /** The id of the running export, chosen here so a cancel can name it before the engine's first event. */
  const runningId = useRef<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tried, setTried] = useState(false);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  useEffect(() => {
    let live = true;
    api.call('app.info', {}).then(
      (info) => live && setOut((current) => current || suggestedPath(info.dataDir)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);

  useVipEvent('export.progress', (p) => {
    if (p.exportId === runningId.current) setProgress({ done: p.done, total: p.total });
  });

  const typedIds = parseCaseIds(typed);
  const outProblem = tried && out.trim() === '' ? 'Give the folder or .zip file to create.' : null;
  const typedProblem = tried && choice === 'typed' ? typedIds.problem : null;
  const emptyWorklist = choice === 'scope' && scope.kind === 'worklist' && scope.total === 0;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setTried(true);
    if (running || out.trim() === '' || emptyWorklist) return;
    if (choice === 'typed' && typedIds.problem) return;
    const which =
      choice === 'typed'
        ? { caseIds: typedIds.ids }
        : scope.kind === 'case'
          ? { caseIds: [scope.caseId] }
          : scope.kind === 'selection'
            ? { caseIds: scope.caseIds }
            : { filter: scope.filter };
    const exportId = crypto.randomUUID();
    const destination = out.trim();
    runningId.current = exportId;
    setRunning(true);
    setCancelling(false);
    setCancelled(null);
    setError(null);
    setResult(null);
    setProgress(null);
    try {
      setResult(await api.call('export.run', { ...which, out: destination, pdf, dicomSr, identified, exportId }));
    } catch (err) {
      if (toDisplayError(err).code === 'cancelled') setCancelled(destination);
      else setError(err);
    } finally {
      runningId.current = null;
      setRunning(false);
      setCancelling(false);
    }
  };

  const cancelExport = (): void => {
    const exportId = runningId.current;
    if (exportId === null || cancelling) return;
    setCancelling(true);
    // A refusal (the export is already being moved into place) needs no word: its result arrives a moment later.
    api.call('export.cancel', { exportId }).then(
      () => undefined,
      (err: unknown) => {
        setCancelling(false);
        setError(err);
      },
    );
  };

  const close = (): void => {
    if (running) return;
    dialogRef.current?.close();
    onClose();
  };

  return (
    <dialog
      ref={dialogRef}
      className="export-dialog"
      aria-labelledby={`${ids}-title`}
      // Keys typed here are the dialog's: the screen behind must not act on them (the viewer's N and P).
      onKeyDown={(e) => e.stopPropagation()}
      onCancel={(e) => {
        // Escape closes; while the engine is writing it cancels the export instead, so none runs on unseen.
        e.preventDefault();
        if (running) cancelExport();
        else close();
      }}
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 id={`${ids}-title`} className="export-dialog__title">
          Export cases
        </h2>
        <fieldset className="export-dialog__group" disabled={running}>
          <legend>Cases</legend>
          <label className="check">
            <input type="radio" name="which" checked={choice === 'scope'} onChange={() => setChoice('scope')} />
            {scopeLabel(scope)}
          </label>
          <label className="check">
            <input type="radio" name="which" checked={choice === 'typed'} onChange={() => setChoice('typed')} />
            These case numbers
          </label>
          <input
            type="text"
            className="export-dialog__ids"
            aria-label="Case numbers to export"
            placeholder="12, 15-18"
            value={typed}
            spellCheck={false}
            aria-invalid={typedProblem ? true : undefined}
            onFocus={() => setChoice('typed')}
            onChange={(e) => {
              setTyped(e.target.value);
              setChoice('typed');
            }}
          />
          {typedProblem ? <p className="field__problem">{typedProblem}</p> : null}
          {emptyWorklist ? <p className="field__problem">No case matches the worklist filters.</p> : null}
        </fieldset>

        <label className="field">
          <span>Destination: a new folder, or a file ending in .zip</span>
          <input
            type="text"
            value={out}
            maxLength={4096}
            spellCheck={false}
            disabled={running}
            aria-invalid={outProblem ? true : undefined}
            aria-describedby={`${ids}-where`}
            onChange={(e) => setOut(e.target.value)}
          />
          <small id={`${ids}-where`} className="muted">
            {api.transport === 'http'
              ? 'A path on the computer running vip serve, which may not be this one.'
              : 'A path on this computer.'}{' '}
            Nothing appears there until the export is complete.
          </small>
          {outProblem ? <span className="field__problem">{outProblem}</span> : null}
        </label>

        <fieldset className="export-dialog__group" disabled={running}>
          <legend>Contents</legend>
          <p className="muted export-dialog__always">
            Always: a JSON document per case (images, every prediction with its symptom evidence, reviews, model
            provenance), a CSV summary, and each image beside its evidence panel (PNG).
          </p>
          <label className="check">
            <input type="checkbox" checked={pdf} onChange={(e) => setPdf(e.target.checked)} />
            PDF report per case
          </label>
          <label className="check">
            <input type="checkbox" checked={dicomSr} onChange={(e) => setDicomSr(e.target.checked)} />
            DICOM Structured Report per analysed DICOM image (for PACS)
          </label>
        </fieldset>

        <fieldset className="export-dialog__group" disabled={running}>
          <legend>Patient data</legend>
          <label className="check">
            <input type="checkbox" checked={identified} onChange={(e) => setIdentified(e.target.checked)} />
            Include patient identifiers (identified export)
          </label>
          {identified ? (
            <p className="notice export-identified" role="note">
              The export will contain patient names, IDs, birth dates, study dates and the original UIDs. Only for
              recipients entitled to see them; this choice is recorded in the audit log.
            </p>
          ) : (
            <p className="muted">
              De-identified (DICOM PS3.15 Basic Profile): no names, IDs, birth dates or dates; UIDs replaced; people
              named by pseudonyms.
            </p>
          )}
        </fieldset>

        {running ? (
          <div className="export-progress">
            <div className="export-progress__bar" role="status">
              <progress max={progress?.total || 1} value={progress?.done ?? 0} aria-label="Export progress" />
              <span>
                {cancelling
                  ? 'Cancelling: removing what was written so far…'
                  : progress
                    ? `${progress.done} of ${progress.total} cases written`
                    : 'Starting…'}
              </span>
            </div>
            <button type="button" className="button" onClick={cancelExport} disabled={cancelling}>
              {cancelling ? 'Cancelling…' : 'Cancel export'}
            </button>
          </div>
        ) : null}
        {error ? <ErrorNotice title="Could not export" error={error} /> : null}
        {result ? <Outcome result={result} /> : null}
        {cancelled !== null && !running ? (
          <div className="export-cancelled" role="status" data-testid="export-cancelled">
            <p>
              <strong>Export cancelled:</strong> nothing was written to <code className="break">{cancelled}</code>
            </p>
            <p className="muted">Export again with the same or other choices, or close.</p>
          </div>
        ) : null}

        <div className="export-dialog__buttons">
          {/* While the engine writes, stopping is the Cancel export button beside the progress. */}
          {running ? null : (
            <button type="button" className="button" onClick={close}>
              {result || cancelled !== null ? 'Close' : 'Cancel'}
            </button>
          )}
          {result ? null : (
            <button type="submit" className="button button--primary" disabled={running}>
              {running ? 'Exporting…' : 'Export'}
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}
