/**
 * Settings › PACS nodes: the DICOMweb servers the workstation queries, retrieves from and sends reports to. Each node
 * can be tested (`pacs.test`: one small query), edited, or removed (after a confirmation in place).
 */
import { useState, type ReactNode } from 'react';
import type { PacsNodeInfo, PacsTestResult } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { usePacsNodes } from '../pacs/use-pacs-nodes';
import { PacsNodeForm } from './PacsNodeForm';
import { AUTH_LABELS, secretStatus } from './pacs-node-draft';
import '../pacs/pacs.css';

type Editing = { kind: 'add' } | { kind: 'edit'; name: string } | null;

function TestOutcome(props: { result: PacsTestResult }): ReactNode {
  const r = props.result;
  return (
    <p className={`pacs-test pacs-test--${r.ok ? 'ok' : 'failed'}`} role="status" data-testid="pacs-test-result">
      <span aria-hidden="true">{r.ok ? '✓ ' : '✕ '}</span>
      <strong>{r.ok ? 'Connected' : 'Not reachable'}</strong>
      <span className="muted"> · {Math.round(r.elapsedMs)} ms</span>
      <span className="pacs-test__message">{r.message}</span>
    </p>
  );
}

function NodeCard(props: {
  node: PacsNodeInfo;
  editing: boolean;
  onEdit: () => void;
  onDone: (saved: PacsNodeInfo | null) => void;
  onRemoved: () => void;
}): ReactNode {
  const { node } = props;
  const api = useVip();
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<PacsTestResult | null>(null);
  const [testError, setTestError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>(null);
  const secret = secretStatus(node);

  const runTest = async (): Promise<void> => {
    setTesting(true);
    setTest(null);
    setTestError(null);
    try {
      setTest(await api.call('pacs.test', { name: node.name }));
    } catch (err) {
      setTestError(err);
    } finally {
      setTesting(false);
    }
  };

  const remove = async (): Promise<void> => {
    setRemoving(true);
    setRemoveError(null);
    try {
      await api.call('pacs.remove', { name: node.name });
      props.onRemoved();
    } catch (err) {
      setRemoveError(err);
      setRemoving(false);
    }
  };

  return (
    <li className="pacs-node" aria-label={`PACS node ${node.name}`} data-testid="pacs-node">
      <div className="pacs-node__head">
        <div className="pacs-node__id">
          <strong className="pacs-node__name">{node.name}</strong>
          <code className="pacs-node__url break">{node.url}</code>
        </div>
        {props.editing ? null : (
          <div className="pacs-node__actions">
            <button type="button" className="button button--small" disabled={testing} onClick={() => void runTest()}>
              {testing ? 'Testing…' : 'Test connection'}
            </button>
            <button type="button" className="button button--small" onClick={props.onEdit}>
              Edit
            </button>
            <button
              type="button"
              className="button button--small"
              disabled={removing}
              onClick={() => setConfirming(true)}
            >
              Remove
            </button>
          </div>
        )}
      </div>
      <p className="pacs-node__meta">
        <span className="tag">{node.auth === 'none' ? 'No authentication' : AUTH_LABELS[node.auth]}</span>
        {node.username ? <span className="muted">User {node.username}</span> : null}
        {node.auth !== 'none' ? (
          <span className={secret.missing ? 'pacs-node__secret--missing' : 'muted'}>{secret.text}</span>
        ) : null}
        <span className="muted">Timeout {node.timeoutSeconds} s</span>
      </p>
      {confirming ? (
        <div className="pacs-node__confirm" role="alertdialog" aria-label={`Remove ${node.name}?`}>
          <span>
            Remove <strong>{node.name}</strong> and its stored {node.auth === 'bearer' ? 'token' : 'password'}? Cases
            already retrieved stay in the worklist.
          </span>
          <button
            type="button"
            className="button button--small button--danger"
            disabled={removing}
            autoFocus
            onClick={() => void remove()}
          >
            {removing ? 'Removing…' : 'Remove'}
          </button>
          <button
            type="button"
            className="button button--small"
            disabled={removing}
            onClick={() => setConfirming(false)}
          >
            Keep
          </button>
        </div>
      ) : null}
      {removeError ? <ErrorNotice title="Could not remove the node" error={removeError} /> : null}
      {test ? <TestOutcome result={test} /> : null}
      {testError ? <ErrorNotice title="Could not test the connection" error={testError} /> : null}
      {props.editing ? (
        <PacsNodeForm
          node={node}
          onSaved={(saved) => {
            setTest(null);
            props.onDone(saved);
          }}
          onCancel={() => props.onDone(null)}
        />
      ) : null}
    </li>
  );
}

export function PacsNodesSection(): ReactNode {
  const { nodes, error, reload } = usePacsNodes();
  const [editing, setEditing] = useState<Editing>(null);
  const [message, setMessage] = useState('');

  const done = (verb: string) => (saved: PacsNodeInfo | null) => {
    setEditing(null);
    if (saved) {
      setMessage(`${saved.name} ${verb}.`);
      reload();
    }
  };

  return (
    <section className="settings-section" aria-labelledby="pacs-nodes-title" data-testid="pacs-nodes">
      <div className="settings-section__head">
        <h2 id="pacs-nodes-title" className="settings-section__title">
          PACS nodes
        </h2>
        <span role="status" className="muted">
          {message}
        </span>
        <button
          type="button"
          className="button button--small"
          disabled={editing?.kind === 'add'}
          onClick={() => {
            setMessage('');
            setEditing({ kind: 'add' });
          }}
        >
          Add PACS node…
        </button>
      </div>
      <p className="muted settings-section__intro">
        DICOMweb servers (QIDO-RS, WADO-RS, STOW-RS) to search for studies, retrieve them into the worklist, and receive
        the workstation&apos;s structured reports.
      </p>
      {error ? <ErrorNotice title="Could not load the PACS nodes" error={error} onRetry={reload} /> : null}
      {editing?.kind === 'add' ? (
        <div className="pacs-node pacs-node--new">
          <PacsNodeForm onSaved={done('added')} onCancel={() => setEditing(null)} />
        </div>
      ) : null}
      {nodes === null ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : nodes.length === 0 && editing?.kind !== 'add' ? (
        <p className="pacs-empty">No PACS node yet. Add one to search and retrieve studies from the PACS tab.</p>
      ) : (
        <ul className="pacs-nodes">
          {nodes.map((node) => (
            <NodeCard
              key={node.name}
              node={node}
              editing={editing?.kind === 'edit' && editing.name === node.name}
              onEdit={() => {
                setMessage('');
                setEditing({ kind: 'edit', name: node.name });
              }}
              onDone={done('saved')}
              onRemoved={() => {
                setMessage(`${node.name} removed.`);
                reload();
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
