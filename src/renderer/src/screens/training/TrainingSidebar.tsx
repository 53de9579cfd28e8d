/**
 * Beside the wizard: the recorded runs (open one to see its charts or result) and the model versions, where any
 * version can be made active again (a roll-back is activating the previous one).
 */
import { useState, type ReactNode } from 'react';
import type { ModelVersionInfo, TrainingRunInfo } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/format';

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

export function RunList(props: {
  runs: TrainingRunInfo[] | null;
  current: number | null;
  onOpen: (run: TrainingRunInfo) => void;
}): ReactNode {
  const { runs } = props;
  return (
    <section aria-labelledby="runs-title" className="side-list">
      <h2 id="runs-title">Training runs</h2>
      {runs === null ? (
        <p className="muted">Loading…</p>
      ) : runs.length === 0 ? (
        <p className="muted">No run yet.</p>
      ) : (
        <ul className="side-list__items">
          {runs.slice(0, 30).map((r) => (
            <li key={r.id}>
              <button
                type="button"
                className="side-item"
                aria-current={r.id === props.current ? 'true' : undefined}
                onClick={() => props.onOpen(r)}
              >
                <span className="side-item__main">
                  Run #{r.id} <span className={`run-status run-status--${r.status}`}>{r.status}</span>
                </span>
                <span className="side-item__sub">
                  {formatTimestamp(r.createdAt)} · {r.epochs.length} epoch{r.epochs.length === 1 ? '' : 's'}
                  {r.versionId ? ` · version #${r.versionId}` : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function VersionList(props: { versions: ModelVersionInfo[] | null; onChanged: () => void }): ReactNode {
  const api = useVip();
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const activate = async (id: number): Promise<void> => {
    setBusy(id);
    setError(null);
    try {
      await api.call('versions.activate', { id });
      props.onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const { versions } = props;
  return (
    <section aria-labelledby="versions-title" className="side-list">
      <h2 id="versions-title">Model versions</h2>
      {error ? <ErrorNotice title="Could not activate" error={error} /> : null}
      {versions === null ? (
        <p className="muted">Loading…</p>
      ) : versions.length === 0 ? (
        <p className="muted">None yet: predictions are zero-shot.</p>
      ) : (
        <ul className="side-list__items">
          {versions.slice(0, 30).map((v) => (
            <li key={v.id} className="version-item">
              <span className="side-item__main">
                #{v.id} {v.active ? <span className="tag tag--accent">Active</span> : null}
              </span>
              <span className="side-item__sub" title={v.name}>
                {v.task} · acc {pct(v.accuracy)} · F1 {pct(v.macroF1)}
              </span>
              {!v.active ? (
                <button
                  type="button"
                  className="button button--small"
                  disabled={busy !== null}
                  onClick={() => void activate(v.id)}
                  aria-label={`Activate version ${v.id}`}
                >
                  {busy === v.id ? 'Activating…' : 'Activate'}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
