/**
 * The retraining wizard: 1) task and symptom set, 2) labelled data with its class balance, 3) settings, 4) the run
 * live, 5) the result beside the active version, to activate or discard. Runs live in the engine: this screen
 * follows the one in progress when opened, and lists earlier runs and every model version beside the wizard.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { TrainingRunInfo } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useVersions } from '../../components/evidence/use-versions';
import { useStore } from '../../lib/store';
import { RunCharts, RunMonitor } from './RunMonitor';
import { RunResult } from './RunResult';
import { StepData } from './StepData';
import { StepSettings } from './StepSettings';
import { StepTask } from './StepTask';
import { RunList, VersionList } from './TrainingSidebar';
import { useRuns } from './use-runs';
import { useTrainingRun } from './use-training-run';
import { startParams, stepProblems, wizard, type WizardStep } from './wizard-state';
import './training.css';

const STEPS: Array<{ step: WizardStep; label: string }> = [
  { step: 1, label: 'Task' },
  { step: 2, label: 'Data' },
  { step: 3, label: 'Settings' },
  { step: 4, label: 'Run' },
  { step: 5, label: 'Result' },
];

const isLive = (r: TrainingRunInfo | null | undefined): boolean => r?.status === 'running' || r?.status === 'queued';

export function TrainingScreen(): ReactNode {
  const api = useVip();
  const s = useStore(wizard);
  const runs = useRuns();
  const versions = useVersions();
  const followed = useTrainingRun(s.runId);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const liveRun = runs.runs?.find(isLive) ?? null;
  const running = isLive(followed.run) || liveRun !== null;

  // Opened while a run is going (started here earlier, or elsewhere): follow it.
  useEffect(() => {
    if (liveRun && wizard.get().runId !== liveRun.id && !isLive(followed.run)) {
      wizard.set((w) => ({ ...w, runId: liveRun.id, step: 4 }));
    }
  }, [liveRun, followed.run]);

  // A followed run that made a version moves on to its result.
  const finishedVersion = followed.run?.status === 'completed' ? followed.run.versionId : null;
  useEffect(() => {
    if (finishedVersion !== null && wizard.get().step === 4) {
      wizard.set((w) => ({ ...w, step: 5 }));
      versions.reload();
    }
    // versions.reload is a new function each render; the version id is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [finishedVersion]);

  const go = (step: WizardStep): void => wizard.set((w) => ({ ...w, step }));
  const problems = s.step <= 3 ? stepProblems(s, s.step) : [];

  const start = async (): Promise<void> => {
    const all = [1, 2, 3].flatMap((n) => stepProblems(wizard.get(), n as WizardStep));
    if (all.length > 0) return;
    setStarting(true);
    setStartError(null);
    try {
      const { runId } = await api.call('training.start', startParams(wizard.get()));
      wizard.set((w) => ({ ...w, runId, step: 4 }));
      runs.reload();
    } catch (err) {
      setStartError(err);
    } finally {
      setStarting(false);
    }
  };

  const openRun = (run: TrainingRunInfo): void => {
    wizard.set((w) => ({ ...w, runId: run.id, step: run.status === 'completed' && run.versionId ? 5 : 4 }));
  };

  const reachable = (step: WizardStep): boolean =>
    step <= 3 ? true : s.runId !== null && (step === 4 || finishedVersion !== null);

  return (
    <section className="screen screen--training" aria-labelledby="training-title">
      <div className="training-head">
        <h1 id="training-title">Training</h1>
        <ol className="stepper" aria-label="Wizard steps">
          {STEPS.map(({ step, label }) => (
            <li key={step}>
              <button
                type="button"
                className="stepper__step"
                aria-current={s.step === step ? 'step' : undefined}
                disabled={!reachable(step)}
                onClick={() => go(step)}
              >
                <span className="stepper__n">{step}</span> {label}
              </button>
            </li>
          ))}
        </ol>
      </div>
      <div className="training-layout">
        <div className="training-main">
          {s.step === 1 ? <StepTask /> : null}
          {s.step === 2 ? <StepData /> : null}
          {s.step === 3 ? <StepSettings versions={versions.versions} /> : null}
          {s.step === 4 ? (
            s.runId !== null ? (
              <RunMonitor followed={followed} />
            ) : (
              <p className="muted">No run yet: start one from the settings step.</p>
            )
          ) : null}
          {s.step === 5 && finishedVersion !== null ? (
            <>
              <RunResult
                versionId={finishedVersion}
                versions={versions.versions}
                onChanged={versions.reload}
                onDiscarded={() => {
                  runs.reload();
                  wizard.set((w) => ({ ...w, runId: null, step: 1 }));
                }}
              />
              <section className="result-curves" aria-label={`Training curves of run ${s.runId ?? ''}`}>
                <RunCharts followed={followed} />
              </section>
            </>
          ) : null}
          {followed.error ? <ErrorNotice title="Could not load the run" error={followed.error} /> : null}
          {startError ? <ErrorNotice title="Training did not start" error={startError} /> : null}
          {s.step <= 3 ? (
            <div className="wizard-nav">
              {problems.length > 0 ? (
                <p className="wizard-nav__problem" role="status">
                  {problems[0]}
                </p>
              ) : null}
              {s.step > 1 ? (
                <button type="button" className="button" onClick={() => go((s.step - 1) as WizardStep)}>
                  Back
                </button>
              ) : null}
              {s.step < 3 ? (
                <button
                  type="button"
                  className="button button--primary"
                  disabled={problems.length > 0}
                  onClick={() => go((s.step + 1) as WizardStep)}
                >
                  Next
                </button>
              ) : (
                <button
                  type="button"
                  className="button button--primary"
                  disabled={problems.length > 0 || starting || running}
                  title={running ? 'A run is in progress; wait for it or cancel it' : undefined}
                  onClick={() => void start()}
                >
                  {starting ? 'Starting…' : 'Start training'}
                </button>
              )}
            </div>
          ) : null}
          {s.step === 5 ? (
            <div className="wizard-nav">
              <button type="button" className="button" onClick={() => wizard.set((w) => ({ ...w, step: 1 }))}>
                Train another version
              </button>
            </div>
          ) : null}
        </div>
        <aside className="training-side" aria-label="Runs and versions">
          <RunList runs={runs.runs} current={s.runId} onOpen={openRun} />
          <VersionList versions={versions.versions} onChanged={versions.reload} />
          {runs.error ? <ErrorNotice title="Could not list the runs" error={runs.error} onRetry={runs.reload} /> : null}
        </aside>
      </div>
    </section>
  );
}
