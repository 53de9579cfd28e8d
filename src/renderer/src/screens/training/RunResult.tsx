/**
 * Step 5: the new version beside the active one on the same validation images (accuracy, macro-F1, AUROC, F1 per
 * class, both confusion matrices), then activate it or discard it.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { EvalMetricsInfo, ModelVersionInfo, VersionComparison } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ConfusionMatrix } from '../../components/charts/ConfusionMatrix';
import { ErrorNotice } from '../../components/ErrorNotice';
import { routeHref } from '../../lib/router';

const pct = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)} %`;

function delta(a: number | null | undefined, b: number | null | undefined): ReactNode {
  if (a === null || a === undefined || b === null || b === undefined) return <span className="muted">—</span>;
  const d = (a - b) * 100;
  const cls = Math.abs(d) < 0.05 ? 'delta' : d > 0 ? 'delta delta--up' : 'delta delta--down';
  return <span className={cls}>{`${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} pt`}</span>;
}

function MetricRows(props: { classes: string[]; mine: EvalMetricsInfo; theirs: EvalMetricsInfo | null }): ReactNode {
  const { mine, theirs } = props;
  const rows: Array<[string, number | null, number | null | undefined]> = [
    ['Accuracy', mine.accuracy, theirs?.accuracy],
    ['Macro-F1', mine.macro_f1, theirs?.macro_f1],
    ['ROC AUC', mine.auroc, theirs?.auroc],
    ...props.classes.map((c): [string, number | null, number | null | undefined] => [
      `F1 ${c}`,
      mine.per_class[c]?.f1 ?? null,
      theirs?.per_class[c]?.f1,
    ]),
  ];
  return (
    <>
      {rows.map(([name, a, b]) => (
        <tr key={name}>
          <th scope="row">{name}</th>
          <td className="num">{pct(a)}</td>
          <td className="num">{theirs ? pct(b) : '—'}</td>
          <td className="num">{theirs ? delta(a, b) : null}</td>
        </tr>
      ))}
    </>
  );
}

export function RunResult(props: {
  versionId: number;
  versions: ModelVersionInfo[] | null;
  onChanged: () => void;
  onDiscarded: () => void;
}): ReactNode {
  const api = useVip();
  const { versionId } = props;
  const version = props.versions?.find((v) => v.id === versionId) ?? null;
  const [comparison, setComparison] = useState<{ id: number; result: VersionComparison | null; error: unknown }>({
    id: versionId,
    result: null,
    error: null,
  });
  const [busy, setBusy] = useState<'activate' | 'discard' | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    api.call('versions.compare', { id: versionId }).then(
      (result) => live && setComparison({ id: versionId, result, error: null }),
      (error: unknown) => live && setComparison({ id: versionId, result: null, error }),
    );
    return () => {
      live = false;
    };
  }, [api, versionId, attempt]);

  const cmp = comparison.id === versionId ? comparison.result : null;

  const activate = async (): Promise<void> => {
    setBusy('activate');
    setActionError(null);
    try {
      await api.call('versions.activate', { id: versionId });
      props.onChanged();
      setAttempt((a) => a + 1);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(null);
    }
  };

  const discard = async (): Promise<void> => {
    setBusy('discard');
    setActionError(null);
    try {
      await api.call('versions.discard', { id: versionId });
      props.onChanged();
      props.onDiscarded();
    } catch (err) {
      setActionError(err);
      setConfirmDiscard(false);
    } finally {
      setBusy(null);
    }
  };

  const test = version?.metrics?.['test'] as EvalMetricsInfo | null | undefined;
  const best = version?.metrics?.['bestEpoch'];
  const epochs = version?.metrics?.['epochs'];
  const backend = version?.metrics?.['tfjsBackend'];
  const provider = version?.metrics?.['executionProvider'];
  return (
    <section className="run-result" aria-labelledby="result-title" data-testid="run-result">
      <div className="run-result__head">
        <h2 id="result-title">
          New version #{versionId}
          {version ? <span className="muted"> · {version.name}</span> : null}
        </h2>
        {version?.active ? <span className="tag tag--accent">Active</span> : null}
      </div>
      {comparison.error ? (
        <ErrorNotice
          title="Could not score the versions"
          error={comparison.error}
          onRetry={() => setAttempt((a) => a + 1)}
        />
      ) : null}
      {!cmp && !comparison.error ? <p className="muted">Scoring the new and the active version…</p> : null}
      {cmp ? (
        <>
          <p className="muted small">
            Both scored on the same {cmp.candidate.n} {cmp.split === 'val' ? 'validation' : 'test'} images of this run.
            {cmp.note ? ` ${cmp.note}` : ''}
          </p>
          <div className="result-grid">
            <table className="compare" data-testid="version-comparison">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col" className="num">
                    New #{versionId}
                  </th>
                  <th scope="col" className="num">
                    {cmp.activeVersionId ? `Active #${cmp.activeVersionId}` : 'Active'}
                  </th>
                  <th scope="col" className="num">
                    Difference
                  </th>
                </tr>
              </thead>
              <tbody>
                <MetricRows classes={cmp.classes} mine={cmp.candidate} theirs={cmp.active} />
              </tbody>
            </table>
            <div className="matrix-row">
              <ConfusionMatrix
                title={`New version #${versionId}`}
                classes={cmp.classes}
                matrix={cmp.candidate.confusion_matrix}
              />
              {cmp.active ? (
                <ConfusionMatrix
                  title={`Active version #${cmp.activeVersionId ?? ''}`}
                  classes={cmp.classes}
                  matrix={cmp.active.confusion_matrix}
                />
              ) : null}
            </div>
          </div>
        </>
      ) : null}
      {typeof best === 'number' && best > 0 ? (
        <p className="small">
          Kept: epoch {best}
          {Array.isArray(epochs) ? ` of ${epochs.length}` : ''}, the best on the validation images.
          {typeof backend === 'string' && typeof provider === 'string' ? (
            <span className="muted">
              {' '}
              Trained with tfjs ({backend}); image features by ONNX Runtime ({provider}).
            </span>
          ) : null}
        </p>
      ) : null}
      {test ? (
        <p className="small">
          On the held-out test split ({test.n} images): accuracy {pct(test.accuracy)}, macro-F1 {pct(test.macro_f1)}.
        </p>
      ) : null}
      {actionError ? <ErrorNotice title="That did not work" error={actionError} /> : null}
      <div className="run-result__actions">
        {version?.active ? (
          <p className="ok-line" role="status">
            Version #{versionId} is active: new predictions use it.{' '}
            <a href={routeHref({ name: 'worklist' })}>Worklist</a>
          </p>
        ) : (
          <button
            type="button"
            className="button button--primary"
            disabled={busy !== null || !version}
            onClick={() => void activate()}
          >
            {busy === 'activate' ? 'Activating…' : 'Activate this version'}
          </button>
        )}
        {!version?.active ? (
          confirmDiscard ? (
            <>
              <button
                type="button"
                className="button button--danger"
                disabled={busy !== null}
                onClick={() => void discard()}
              >
                {busy === 'discard' ? 'Discarding…' : 'Discard for good'}
              </button>
              <button type="button" className="button" onClick={() => setConfirmDiscard(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" className="button" disabled={busy !== null} onClick={() => setConfirmDiscard(true)}>
              Discard…
            </button>
          )
        ) : null}
      </div>
    </section>
  );
}
