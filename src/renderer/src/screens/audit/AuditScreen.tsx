/**
 * The audit trail: who did what and when (imports, predictions, reviews, training, activations, exports), newest
 * first, a page at a time (`audit.query`), narrowed by action and person; exported as CSV (`audit.export`) to a path
 * on the engine's machine.
 */
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import type { AuditEntry } from '@shared/contract';
import { useOnReconnect, useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/format';
import { routeHref } from '../../lib/router';
import './audit.css';

export const AUDIT_PAGE_SIZE = 50;

interface Filters {
  action: string;
  actor: string;
}

interface PageState {
  total: number;
  entries: AuditEntry[];
  actions: string[];
}

function About(props: { entry: AuditEntry }): ReactNode {
  const { entity, entityId } = props.entry;
  if (!entity) return null;
  if (entity === 'case' && entityId && /^\d+$/.test(entityId)) {
    return <a href={routeHref({ name: 'case', id: Number(entityId) })}>Case {entityId}</a>;
  }
  return (
    <>
      {entity.replace(/_/g, ' ')}
      {entityId ? <span className="audit-id"> {entityId}</span> : null}
    </>
  );
}

function Detail(props: { detail: AuditEntry['detail'] }): ReactNode {
  if (!props.detail) return null;
  const text = JSON.stringify(props.detail);
  if (text.length <= 90) return <code className="audit-detail">{text}</code>;
  return (
    <details className="audit-detail">
      <summary>
        <code>{text.slice(0, 80)}…</code>
      </summary>
      <pre>{JSON.stringify(props.detail, null, 2)}</pre>
    </details>
  );
}

function defaultCsvPath(dataDir: string): string {
  const sep = dataDir.includes('\\') && !dataDir.includes('/') ? '\\' : '/';
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${dataDir.replace(/[\\/]+$/, '')}${sep}audit-${stamp}.csv`;
}

function CsvExport(props: { filters: Filters }): ReactNode {
  const api = useVip();
  const ids = useId();
  const [out, setOut] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ path: string; entries: number } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    api.call('app.info', {}).then(
      (info) => live && setOut((current) => current || defaultCsvPath(info.dataDir)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy || out.trim() === '') return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const filter = {
        ...(props.filters.action ? { action: props.filters.action } : {}),
        ...(props.filters.actor.trim() ? { actor: props.filters.actor.trim() } : {}),
      };
      setDone(await api.call('audit.export', { out: out.trim(), ...filter }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const filtered = props.filters.action !== '' || props.filters.actor.trim() !== '';
  return (
    <form className="audit-export" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Export as CSV</h2>
      <div className="audit-export__row">
        <label className="field">
          <span>CSV file to create {api.transport === 'http' ? '(on the computer running vip serve)' : ''}</span>
          <input type="text" value={out} spellCheck={false} maxLength={4096} onChange={(e) => setOut(e.target.value)} />
        </label>
        <button type="submit" className="button" disabled={busy || out.trim() === ''}>
          {busy ? 'Exporting…' : filtered ? 'Export the filtered entries' : 'Export the whole trail'}
        </button>
      </div>
      {done ? (
        <p className="audit-export__done" role="status">
          Wrote {done.entries.toLocaleString()} {done.entries === 1 ? 'entry' : 'entries'} to{' '}
          <code className="break">{done.path}</code>.
        </p>
      ) : null}
      {error ? <ErrorNotice title="Could not export the audit trail" error={error} /> : null}
    </form>
  );
}

export function AuditScreen(): ReactNode {
  const api = useVip();
  const [filters, setFilters] = useState<Filters>({ action: '', actor: '' });
  const [actorDraft, setActorDraft] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<PageState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useOnReconnect(() => setAttempt((a) => a + 1));
  // Which request the shown page answers; while it differs from the current one, a newer page is on its way.
  const requestKey = JSON.stringify({ offset, filters, attempt });
  const [answeredKey, setAnsweredKey] = useState<string | null>(null);
  const loading = answeredKey !== requestKey;

  useEffect(() => {
    let live = true;
    const key = JSON.stringify({ offset, filters, attempt });
    api
      .call('audit.query', {
        offset,
        limit: AUDIT_PAGE_SIZE,
        ...(filters.action ? { action: filters.action } : {}),
        ...(filters.actor.trim() ? { actor: filters.actor.trim() } : {}),
      })
      .then(
        (r) => {
          if (!live) return;
          setPage(r);
          setError(null);
          setAnsweredKey(key);
        },
        (err: unknown) => {
          if (!live) return;
          setError(err);
          setAnsweredKey(key);
        },
      );
    return () => {
      live = false;
    };
  }, [api, offset, filters, attempt]);

  const total = page?.total ?? 0;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + AUDIT_PAGE_SIZE, total);
  const applyFilters = (next: Filters): void => {
    setFilters(next);
    setOffset(0);
  };

  return (
    <section className="screen screen--audit" aria-labelledby="audit-title">
      <div className="audit-bar">
        <h1 id="audit-title">Audit trail</h1>
        <p className="muted">
          Every import, prediction, review, training run, activation and export, with who and when.
        </p>
      </div>
      <form
        className="audit-filters"
        role="search"
        aria-label="Filter the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          applyFilters({ ...filters, actor: actorDraft });
        }}
      >
        <label className="field field--inline">
          <span>Action</span>
          <select value={filters.action} onChange={(e) => applyFilters({ ...filters, action: e.target.value })}>
            <option value="">All actions</option>
            {(page?.actions ?? []).map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label className="field field--inline">
          <span>Person</span>
          <input
            type="search"
            value={actorDraft}
            placeholder="exact name"
            onChange={(e) => setActorDraft(e.target.value)}
            onBlur={() => actorDraft !== filters.actor && applyFilters({ ...filters, actor: actorDraft })}
          />
        </label>
        <button type="button" className="button button--quiet" onClick={() => setAttempt((a) => a + 1)}>
          Refresh
        </button>
      </form>
      {error ? (
        <ErrorNotice title="Could not load the audit trail" error={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : null}
      <div className="audit-pager">
        <p role="status" data-testid="audit-count">
          {page === null
            ? 'Loading…'
            : total === 0
              ? 'No entries.'
              : `${first.toLocaleString()}–${last.toLocaleString()} of ${total.toLocaleString()} ${total === 1 ? 'entry' : 'entries'}, newest first`}
          {loading && page !== null ? <span className="muted"> · updating</span> : null}
        </p>
        <div className="audit-pager__buttons">
          <button
            type="button"
            className="button button--small"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - AUDIT_PAGE_SIZE))}
          >
            ← Newer
          </button>
          <button
            type="button"
            className="button button--small"
            disabled={offset + AUDIT_PAGE_SIZE >= total}
            onClick={() => setOffset(offset + AUDIT_PAGE_SIZE)}
          >
            Older →
          </button>
        </div>
      </div>
      <div className="audit-table-wrap">
        <table className="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">About</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {(page?.entries ?? []).map((e) => (
              <tr key={e.id} data-audit-id={e.id}>
                <td className="audit-when" title={e.at}>
                  {formatTimestamp(e.at)}
                </td>
                <td>{e.actor}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  <About entry={e} />
                </td>
                <td>
                  <Detail detail={e.detail} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <CsvExport filters={filters} />
    </section>
  );
}
