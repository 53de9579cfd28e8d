/**
 * Knowledge check of one version: on labelled images (a dataset folder on the engine's machine, or the reviewed
 * cases), how well each symptom's similarity alone separates its class (ROC AUC), so a clinician sees which symptoms
 * the image model actually perceives.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { KnowledgeReport } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';

type Split = 'train' | 'val' | 'test';

export function KnowledgeCheck(props: { versionId: number }): ReactNode {
  const api = useVip();
  const [dataset, setDataset] = useState('');
  const [split, setSplit] = useState<Split>('test');
  const [fromReviews, setFromReviews] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<KnowledgeReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ready = fromReviews || dataset.trim() !== '';

  const run = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    try {
      setReport(
        await api.call('symptoms.check', {
          id: props.versionId,
          ...(fromReviews ? { fromReviews: true } : { dataset: dataset.trim(), split }),
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="symptom-knowledge" aria-labelledby="knowledge-title">
      <h2 id="knowledge-title">Knowledge check</h2>
      <p className="muted">
        Does the image model see these symptoms? On labelled images, each symptom&apos;s similarity alone is used to
        tell its class from the others: an AUC near 1 means it is perceived, near 0.5 not at all.
      </p>
      <form className="symptom-knowledge__form" onSubmit={(e) => void run(e)}>
        <label className="field">
          <span>Dataset folder on the engine&apos;s machine (&lt;folder&gt;/&lt;split&gt;/&lt;class&gt;/)</span>
          <input type="text" value={dataset} disabled={fromReviews} onChange={(e) => setDataset(e.target.value)} />
        </label>
        <label className="field">
          <span>Split</span>
          <select value={split} disabled={fromReviews} onChange={(e) => setSplit(e.target.value as Split)}>
            <option value="test">test</option>
            <option value="val">val</option>
            <option value="train">train</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={fromReviews} onChange={(e) => setFromReviews(e.target.checked)} />
          Use the reviewed cases
        </label>
        <button type="submit" className="button" disabled={!ready || busy}>
          {busy ? 'Checking…' : 'Run the check'}
        </button>
      </form>
      {error ? <ErrorNotice title="Could not run the knowledge check" error={error} /> : null}
      {report ? (
        <div data-testid="knowledge-report">
          <p>
            {report.source}, model {report.modelPackageId}:{' '}
            {report.classes.map((c, i) => `${report.imagesPerClass[i] ?? 0} ${c}`).join(', ')}. Zero-shot accuracy with
            these symptoms: <strong>{(100 * report.zeroShotAccuracy).toFixed(1)} %</strong>.
          </p>
          <table className="symptom-knowledge__table">
            <thead>
              <tr>
                <th scope="col">Class</th>
                <th scope="col">Symptom</th>
                <th scope="col">AUC</th>
                <th scope="col">Verdict</th>
              </tr>
            </thead>
            <tbody>
              {report.symptoms.map((s) => (
                <tr key={`${s.className}:${s.symptom}`}>
                  <td>{s.className}</td>
                  <td>{s.symptom}</td>
                  <td>
                    <span className="symptom-knowledge__auc">
                      <meter min={0} max={1} low={0.6} high={0.7} optimum={1} value={s.auc ?? 0} />
                      {s.auc === null ? '–' : s.auc.toFixed(2)}
                    </span>
                  </td>
                  <td className={`verdict verdict--${s.verdict.replace(' ', '-')}`}>{s.verdict}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.warnings.length > 0 ? (
            <ul className="notice plain-list">
              {report.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
