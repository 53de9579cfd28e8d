/**
 * The newest `vip bench` result (`bench.latest`) as a compact table: each figure against its target. The result is
 * read defensively: it is a saved file, and only its targets and a few facts are shown.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/format';

interface BenchRow {
  name: string;
  measured: string;
  target: string;
  met: boolean | null;
}

interface BenchView {
  preset: string;
  finishedAt: string | null;
  cores: number | null;
  rows: BenchRow[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The parts of a saved result this panel shows; anything malformed is left out rather than guessed. */
export function readBench(result: Record<string, unknown>): BenchView {
  const targets = Array.isArray(result['targets']) ? result['targets'] : [];
  const rows = targets.flatMap((t): BenchRow[] =>
    isRecord(t) && typeof t['name'] === 'string' && typeof t['measured'] === 'string'
      ? [
          {
            name: t['name'],
            measured: t['measured'],
            target: typeof t['target'] === 'string' ? t['target'] : '',
            met: typeof t['met'] === 'boolean' ? t['met'] : null,
          },
        ]
      : [],
  );
  const machine = isRecord(result['machine']) ? result['machine'] : {};
  return {
    preset: typeof result['preset'] === 'string' ? result['preset'] : 'unknown',
    finishedAt: typeof result['finishedAt'] === 'string' ? result['finishedAt'] : null,
    cores: typeof machine['cores'] === 'number' ? machine['cores'] : null,
    rows,
  };
}

function Verdict(props: { met: boolean | null }): ReactNode {
  if (props.met === true) return <span className="verdict verdict--met">met</span>;
  if (props.met === false) return <span className="verdict verdict--missed">not met</span>;
  return (
    <span className="verdict muted" title="Not judged: the target is for another model size, or it was not run">
      –
    </span>
  );
}

export function BenchPanel(): ReactNode {
  const api = useVip();
  const [view, setView] = useState<BenchView | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    api.call('bench.latest', {}).then(
      (r) => {
        if (!live) return;
        setError(null);
        setView(r.result ? readBench(r.result) : null);
      },
      (err: unknown) => {
        if (live) setError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  const load = (): void => setAttempt((n) => n + 1);

  return (
    <section className="system-card" aria-labelledby="bench-title" data-testid="bench-panel">
      <h2 id="bench-title">Latest benchmark</h2>
      {error ? <ErrorNotice title="Could not read the benchmark" error={error} onRetry={load} /> : null}
      {view === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : view === null ? (
        <p className="muted">
          No benchmark yet — run <code>vip bench</code> to measure this machine.
        </p>
      ) : (
        <>
          <p className="muted system-card__meta">
            Preset <code>{view.preset}</code>
            {view.finishedAt ? `, ${formatTimestamp(view.finishedAt)}` : ''}
            {view.cores ? `, ${view.cores} cores` : ''}
          </p>
          <div className="bench-table-wrap">
            <table className="bench-table">
              <thead>
                <tr>
                  <th scope="col">Phase</th>
                  <th scope="col">Figure</th>
                  <th scope="col">Target</th>
                  <th scope="col">
                    <span className="visually-hidden">Verdict</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.rows.map((r) => (
                  <tr key={r.name}>
                    <th scope="row">{r.name}</th>
                    <td>{r.measured}</td>
                    <td>{r.target}</td>
                    <td>
                      <Verdict met={r.met} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
