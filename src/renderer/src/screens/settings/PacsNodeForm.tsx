/**
 * Adding or editing one PACS node: name (fixed once created), DICOMweb address, authentication, user name, the
 * password or token (write-only: sent once to the engine, never read back) and the request timeout.
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { PacsAuth, PacsNodeInfo } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import {
  AUTH_LABELS,
  addParams,
  draftOf,
  draftProblems,
  hasProblems,
  newDraft,
  updateParams,
  type NodeDraft,
} from './pacs-node-draft';

export function PacsNodeForm(props: {
  /** The node being edited; absent when adding one. */
  node?: PacsNodeInfo;
  onSaved: (node: PacsNodeInfo) => void;
  onCancel: () => void;
}): ReactNode {
  const { node } = props;
  const api = useVip();
  const ids = useId();
  const [draft, setDraft] = useState<NodeDraft>(node ? draftOf(node) : newDraft);
  const [tried, setTried] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const problems = draftProblems(draft);
  const shown = tried ? problems : {};

  const set =
    <K extends keyof NodeDraft>(key: K) =>
    (value: NodeDraft[K]): void =>
      setDraft((d) => ({ ...d, [key]: value }));

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setTried(true);
    if (hasProblems(problems) || saving) return;
    setSaving(true);
    setError(null);
    try {
      const saved = node
        ? await api.call('pacs.update', updateParams(draft, node))
        : await api.call('pacs.add', addParams(draft));
      // The secret has gone to the engine; it is not kept in this window.
      setDraft((d) => ({ ...d, secret: '' }));
      props.onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const secretWord = draft.auth === 'bearer' ? 'Token' : 'Password';
  const keepsSecret = node !== undefined && node.auth === draft.auth && node.secretSource === 'store';
  const problemProps = (key: keyof typeof shown) =>
    shown[key]
      ? { 'aria-invalid': true as const, 'aria-describedby': `${ids}-${key}-problem` }
      : { 'aria-invalid': undefined };
  const problem = (key: keyof typeof shown): ReactNode =>
    shown[key] ? (
      <small id={`${ids}-${key}-problem`} className="field__problem">
        {shown[key]}
      </small>
    ) : null;

  return (
    <form
      className="pacs-node-form"
      aria-label={node ? `Edit PACS node ${node.name}` : 'Add a PACS node'}
      onSubmit={(e) => void submit(e)}
      noValidate
    >
      <div className="pacs-node-form__grid">
        <label className="field">
          <span>Name</span>
          <input
            type="text"
            value={draft.name}
            maxLength={64}
            spellCheck={false}
            autoComplete="off"
            readOnly={node !== undefined}
            autoFocus={node === undefined}
            placeholder="RADIOLOGY"
            onChange={(e) => set('name')(e.target.value)}
            {...problemProps('name')}
          />
          {problem('name') ?? (
            <small className="muted">{node ? 'A node keeps its name.' : 'How the workstation refers to it.'}</small>
          )}
        </label>
        <label className="field">
          <span>Timeout (seconds)</span>
          <input
            type="number"
            min={1}
            max={3600}
            step={1}
            value={draft.timeoutSeconds}
            onChange={(e) => set('timeoutSeconds')(e.target.value)}
            {...problemProps('timeoutSeconds')}
          />
          {problem('timeoutSeconds')}
        </label>
      </div>
      <label className="field">
        <span>DICOMweb base URL</span>
        <input
          type="url"
          value={draft.url}
          maxLength={2048}
          spellCheck={false}
          autoComplete="off"
          autoFocus={node !== undefined}
          placeholder="https://pacs.hospital.example/dicom-web"
          onChange={(e) => set('url')(e.target.value)}
          {...problemProps('url')}
        />
        {problem('url') ?? (
          <small className="muted">The service root that QIDO-RS, WADO-RS and STOW-RS paths follow.</small>
        )}
      </label>
      <div className="pacs-node-form__grid">
        <label className="field">
          <span>Authentication</span>
          <select value={draft.auth} onChange={(e) => set('auth')(e.target.value as PacsAuth)}>
            {(Object.keys(AUTH_LABELS) as PacsAuth[]).map((a) => (
              <option key={a} value={a}>
                {AUTH_LABELS[a]}
              </option>
            ))}
          </select>
        </label>
        {draft.auth === 'basic' ? (
          <label className="field">
            <span>User name</span>
            <input
              type="text"
              value={draft.username}
              maxLength={256}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => set('username')(e.target.value)}
              {...problemProps('username')}
            />
            {problem('username')}
          </label>
        ) : null}
      </div>
      {draft.auth !== 'none' ? (
        <label className="field">
          <span>{secretWord}</span>
          <input
            type="password"
            value={draft.secret}
            maxLength={8192}
            autoComplete="new-password"
            spellCheck={false}
            placeholder={keepsSecret ? `Stored; leave empty to keep it` : ''}
            onChange={(e) => set('secret')(e.target.value)}
          />
          <small className="muted">
            Sent once to the workstation&apos;s engine and never shown again.
            {node?.secretEnvVar && node.auth === draft.auth ? (
              <>
                {' '}
                <code>{node.secretEnvVar}</code> takes precedence when set.
              </>
            ) : null}
          </small>
        </label>
      ) : null}
      {error ? <ErrorNotice title={node ? 'Could not save the node' : 'Could not add the node'} error={error} /> : null}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={saving}>
          {saving ? 'Saving…' : node ? 'Save node' : 'Add node'}
        </button>
        <button type="button" className="button" disabled={saving} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
