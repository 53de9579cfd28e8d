/** Messages from the server that failed validation: reported here (and in the console), never acted on. */
import { useEffect, useState, type ReactNode } from 'react';
import { useConnectionSource } from '../api/vip-context';
import type { ProtocolProblem } from '../api/ws-client';

const KEEP = 5;

export function ProblemReports(): ReactNode {
  const source = useConnectionSource();
  const [problems, setProblems] = useState<Array<ProtocolProblem & { key: number }>>([]);

  useEffect(() => {
    let key = 0;
    return source.onProblem((p) => setProblems((prev) => [...prev, { ...p, key: ++key }].slice(-KEEP)));
  }, [source]);

  if (problems.length === 0) return null;
  return (
    <aside className="problems" aria-label="Protocol problems" aria-live="polite">
      {problems.map((p) => (
        <div className="problems__item" key={p.key}>
          <p>
            <strong>Ignored a bad message from the server.</strong> {p.message}
          </p>
          <details>
            <summary>Details</summary>
            <pre>{p.detail}</pre>
          </details>
          <button
            type="button"
            className="button button--quiet"
            onClick={() => setProblems((prev) => prev.filter((q) => q.key !== p.key))}
          >
            Dismiss
          </button>
        </div>
      ))}
    </aside>
  );
}
