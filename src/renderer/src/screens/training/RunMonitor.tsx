/**
 * Step 4: a run as it goes: its phase (image features, then epochs of steps), progress and time left, loss and
 * accuracy / macro-F1 per epoch as charts, and Cancel. The run lives in the engine: leaving this screen does not stop
 * it, and coming back shows it again from its record.
 */
import { useState, type ReactNode } from 'react';
import { useVip } from '../../api/vip-context';
import { LineChart } from '../../components/charts/LineChart';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDuration } from './estimate';
import type { FollowedRun } from './use-training-run';

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

function phaseText(f: FollowedRun): string {
  const { run, live } = f;
  if (!run) return 'Loading…';
  if (run.status === 'queued') return 'Waiting to start…';
  if (run.status !== 'running') return `Run ${run.status}.`;
  if (live.phase === 'features' && live.features)
    return `Computing image features (${live.features.split}): ${live.features.done} of ${live.features.total}`;
  if (live.step) return `Epoch ${live.step.epoch} of ${live.step.epochs}, step ${live.step.step} of ${live.step.steps}`;
  if (live.phase === 'evaluate') return 'Scoring the best epoch on the validation and test images…';
  const last = f.epochs[f.epochs.length - 1];
  return last ? `Epoch ${last.epoch} done` : 'Preparing the data…';
}

export function RunCharts(props: { followed: FollowedRun }): ReactNode {
  const { epochs, plannedEpochs } = props.followed;
  const xMax = plannedEpochs ?? Math.max(2, epochs.length);
  const points = (pick: (e: (typeof epochs)[number]) => number | null): { x: number; y: number }[] =>
    epochs.flatMap((e) => {
      const y = pick(e);
      return y === null ? [] : [{ x: e.epoch, y }];
    });
  return (
    <div className="chart-row" data-testid="training-charts">
      <LineChart
        title="Training loss"
        xMax={xMax}
        series={[{ label: 'Loss', color: '#4aa8ff', points: points((e) => e.trainLoss) }]}
      />
      <LineChart
        title="Accuracy and macro-F1"
        xMax={xMax}
        yMin={0}
        yMax={1}
        series={[
          { label: 'Train accuracy', color: '#9ba5b3', points: points((e) => e.trainAccuracy), dashed: true },
          { label: 'Validation accuracy', color: '#7fd69a', points: points((e) => e.valAccuracy) },
          { label: 'Validation macro-F1', color: '#f2c66d', points: points((e) => e.valMacroF1) },
        ]}
      />
    </div>
  );
}

export function RunMonitor(props: { followed: FollowedRun }): ReactNode {
  const api = useVip();
  const f = props.followed;
  const { run, live } = f;
  const [cancelling, setCancelling] = useState(false);
  const [cancelNote, setCancelNote] = useState<string | null>(null);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const active = run?.status === 'running' || run?.status === 'queued';
  const last = f.epochs[f.epochs.length - 1] ?? null;
  const planned = f.plannedEpochs;
  const doneFraction =
    live.step && live.step.epochs > 0
      ? (live.step.epoch - 1 + live.step.step / Math.max(1, live.step.steps)) / live.step.epochs
      : planned && last
        ? last.epoch / planned
        : 0;

  const cancel = async (): Promise<void> => {
    if (!run) return;
    setCancelling(true);
    setCancelError(null);
    try {
      const r = await api.call('training.cancel', { runId: run.id });
      if (!r.cancelled)
        setCancelNote('This run is not running in this engine (it may be finishing, or run by the CLI).');
    } catch (err) {
      setCancelError(err);
    } finally {
      setCancelling(false);
    }
  };

  return (
    <section className="run-monitor" aria-labelledby="run-title" data-testid="run-monitor">
      <div className="run-monitor__head">
        <h2 id="run-title">Run #{f.runId ?? '…'}</h2>
        <span className={`run-status run-status--${run?.status ?? 'queued'}`}>{run?.status ?? '…'}</span>
        {active ? (
          <button type="button" className="button button--danger" disabled={cancelling} onClick={() => void cancel()}>
            {cancelling ? 'Cancelling…' : 'Cancel training'}
          </button>
        ) : null}
      </div>
      <p className="run-monitor__phase" role="status">
        {phaseText(f)}
        {active && live.etaSeconds !== null ? (
          <span className="muted"> · about {formatDuration(live.etaSeconds)} left</span>
        ) : null}
      </p>
      {active ? (
        <progress
          max={1}
          value={
            live.phase === 'features' && live.features
              ? live.features.done / Math.max(1, live.features.total)
              : doneFraction
          }
          aria-label="Training progress"
        />
      ) : null}
      {cancelNote ? <p className="notice notice--small">{cancelNote}</p> : null}
      {cancelError ? <ErrorNotice title="Could not cancel" error={cancelError} /> : null}
      {run?.error && run.status !== 'completed' ? (
        <ErrorNotice
          title={run.status === 'cancelled' ? 'The run was cancelled' : 'The run stopped'}
          error={{ message: run.error }}
        />
      ) : null}
      <dl className="facts run-facts">
        <dt>Last epoch</dt>
        <dd>
          {last
            ? `${last.epoch}${planned ? ` of ${planned}` : ''}: loss ${last.trainLoss?.toFixed(4) ?? '—'}, validation accuracy ${pct(last.valAccuracy)}, macro-F1 ${pct(last.valMacroF1)}`
            : '—'}
        </dd>
        {active && live.step ? (
          <>
            <dt>Current batch loss</dt>
            <dd>{Number.isFinite(live.step.loss) ? live.step.loss.toFixed(4) : '—'}</dd>
          </>
        ) : null}
        <dt>Symptom set</dt>
        <dd>{run?.symptomSetName ?? '—'}</dd>
        <dt>CLIP model</dt>
        <dd>{run?.modelPackageId ?? '—'}</dd>
      </dl>
      <RunCharts followed={f} />
      {live.warnings.length > 0 ? (
        <details className="run-warnings">
          <summary>{live.warnings.length} warning(s)</summary>
          <ul className="plain-list">
            {live.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
