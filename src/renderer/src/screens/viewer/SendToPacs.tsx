/**
 * "Send SR to PACS…" in the case viewer: a dialog that sends the case's DICOM Structured Report (its latest prediction,
 * with the review) to a PACS node by STOW-RS (`pacs.send`), filed in the study of the case's images. The node is
 * chosen when there is more than one; success shows the report's SOP Instance UID.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { CaseDetail, PacsSendResult } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatProbability } from '../../lib/format';
import { routeHref } from '../../lib/router';
import { usePacsNodes } from '../pacs/use-pacs-nodes';
import '../../components/export/export.css';
import '../pacs/pacs.css';

/** Why the case cannot be sent, in the reader's words; null when it can. */
export function sendProblem(detail: CaseDetail): string | null {
  if (!detail.images.some((im) => im.dicom !== null))
    return 'Only cases with DICOM images can be reported to a PACS: the report joins their study.';
  if (!detail.predictedClass) return 'This case has no prediction yet. Predict it first; the report carries it.';
  return null;
}

function CopyButton(props: { text: string; label: string }): ReactNode {
  const [copied, setCopied] = useState(false);
  const copy = (): void => {
    navigator.clipboard.writeText(props.text).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <button type="button" className="button button--small" onClick={copy} aria-label={`Copy the ${props.label}`}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

function Sent(props: { result: PacsSendResult }): ReactNode {
  const r = props.result;
  // One SR per predicted image of the case; most cases have one.
  const sops = r.sopInstanceUIDs.length > 0 ? r.sopInstanceUIDs : [r.sopInstanceUID];
  return (
    <div className="send-outcome" role="status" data-testid="send-outcome">
      <p>
        <strong>
          {sops.length === 1 ? 'Report' : `${sops.length} reports`} sent to {r.name}.
        </strong>{' '}
        {sops.length === 1 ? 'It is' : 'They are'} filed in the study of case {r.caseId}&apos;s images.
      </p>
      <dl className="facts send-outcome__uids">
        <dt>{sops.length === 1 ? 'SOP Instance UID' : 'SOP Instance UIDs'}</dt>
        <dd>
          <ul className="send-outcome__sops">
            {sops.map((uid) => (
              <li key={uid}>
                <code className="break" data-testid="sent-sop-uid">
                  {uid}
                </code>{' '}
                <CopyButton text={uid} label="SOP Instance UID" />
              </li>
            ))}
          </ul>
        </dd>
        <dt>Series</dt>
        <dd>
          <code className="break">{r.seriesInstanceUID}</code>
        </dd>
        <dt>Study</dt>
        <dd>
          <code className="break">{r.studyInstanceUID}</code>
        </dd>
      </dl>
    </div>
  );
}

function SendDialog(props: { detail: CaseDetail; onClose: () => void }): ReactNode {
  const { detail, onClose } = props;
  const api = useVip();
  const ids = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const { nodes, error: nodesError, reload } = usePacsNodes();
  const [chosen, setChosen] = useState<string>('');
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<PacsSendResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const node = nodes?.find((n) => n.name === chosen) ?? nodes?.[0] ?? null;
  const problem = sendProblem(detail);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const send = async (): Promise<void> => {
    if (!node || sending || problem) return;
    setSending(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.call('pacs.send', { name: node.name, caseId: detail.id }));
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  };

  const close = (): void => {
    if (sending) return;
    dialogRef.current?.close();
    onClose();
  };

  return (
    <dialog
      ref={dialogRef}
      className="export-dialog send-dialog"
      aria-labelledby={`${ids}-title`}
      onKeyDown={(e) => e.stopPropagation()}
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <h2 id={`${ids}-title`} className="export-dialog__title">
          Send the structured report to PACS
        </h2>
        <p>
          DICOM Structured Reports of case {detail.id}, one per predicted image: the prediction{' '}
          <strong>
            {detail.predictedClass ?? 'none'}
            {detail.predictedProbability !== null ? ` (${formatProbability(detail.predictedProbability)})` : ''}
          </strong>{' '}
          with its symptom evidence
          {detail.reviewStatus === 'reviewed' && detail.reviewLabel ? (
            <>
              , and your review <strong>{detail.reviewLabel}</strong>
            </>
          ) : (
            <>; the case is not reviewed yet</>
          )}
          . They are filed in the study of the case&apos;s images.
        </p>
        {problem ? <p className="notice">{problem}</p> : null}
        {nodesError ? <ErrorNotice title="Could not load the PACS nodes" error={nodesError} onRetry={reload} /> : null}
        {nodes && nodes.length === 0 ? (
          <p className="notice">
            No PACS node is set up. Add one in <a href={routeHref({ name: 'settings' })}>Settings › PACS nodes</a>.
          </p>
        ) : null}
        {nodes && nodes.length > 1 ? (
          <label className="field">
            <span>PACS node</span>
            <select value={node?.name ?? ''} disabled={sending} onChange={(e) => setChosen(e.target.value)} autoFocus>
              {nodes.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name} · {n.url}
                </option>
              ))}
            </select>
          </label>
        ) : node ? (
          <p className="send-dialog__to">
            <span className="muted">To</span> <strong>{node.name}</strong>{' '}
            <code className="muted break">{node.url}</code>
          </p>
        ) : null}
        {sending ? (
          <div className="export-progress" role="status">
            <progress aria-label="Sending" />
            <span>Sending to {node?.name}…</span>
          </div>
        ) : null}
        {error ? <ErrorNotice title={`The report was not sent to ${node?.name ?? 'the PACS'}`} error={error} /> : null}
        {result ? <Sent result={result} /> : null}
        <div className="export-dialog__buttons">
          <button type="button" className="button" onClick={close} disabled={sending}>
            {result ? 'Close' : 'Cancel'}
          </button>
          {result ? null : (
            <button
              type="submit"
              className="button button--primary"
              disabled={sending || !node || problem !== null}
              autoFocus={nodes !== null && nodes.length <= 1}
            >
              {sending ? 'Sending…' : error ? 'Try again' : 'Send SR'}
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}

export function SendToPacsButton(props: { detail: CaseDetail }): ReactNode {
  const [open, setOpen] = useState(false);
  const problem = sendProblem(props.detail);
  return (
    <>
      <button
        type="button"
        className="button"
        onClick={() => setOpen(true)}
        title={problem ?? 'Send this case’s structured report (prediction and review) to a PACS'}
      >
        Send SR to PACS…
      </button>
      {open ? <SendDialog detail={props.detail} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
