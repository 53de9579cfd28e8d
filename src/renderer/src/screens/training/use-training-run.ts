/**
 * Follows one training run: its record (`training.get`: status, epochs so far, the version it made) plus the live
 * `training.progress` events (feature extraction, steps with ETA, epochs, the end). Opening the screen mid-run shows
 * the epochs recorded so far at once; the live parts fill in with the next event.
 */
import { useEffect, useState } from 'react';
import type { TrainingEpochInfo, TrainingProgress, TrainingRunInfo } from '@shared/contract';
import { useOnReconnect, useVip, useVipEvent } from '../../api/vip-context';

export interface LiveProgress {
  phase: TrainingProgress['phase'] | null;
  /** Feature extraction: images done of total, and which split. */
  features: { done: number; total: number; split: string } | null;
  step: { epoch: number; epochs: number; step: number; steps: number; loss: number } | null;
  etaSeconds: number | null;
  warnings: string[];
  /** Epochs reported live (merged with the recorded ones by epoch number). */
  epochs: TrainingEpochInfo[];
}

const EMPTY: LiveProgress = { phase: null, features: null, step: null, etaSeconds: null, warnings: [], epochs: [] };

export interface FollowedRun {
  runId: number | null;
  run: TrainingRunInfo | null;
  error: unknown;
  live: LiveProgress;
  epochs: TrainingEpochInfo[];
  /** Epochs planned (from the run's configuration). */
  plannedEpochs: number | null;
  reload(): void;
}

function mergeEpochs(recorded: readonly TrainingEpochInfo[], live: readonly TrainingEpochInfo[]): TrainingEpochInfo[] {
  const byEpoch = new Map<number, TrainingEpochInfo>();
  for (const e of recorded) byEpoch.set(e.epoch, e);
  for (const e of live) if (!byEpoch.has(e.epoch)) byEpoch.set(e.epoch, e);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

function planned(run: TrainingRunInfo | null): number | null {
  const train = run?.config?.['train'];
  if (train && typeof train === 'object' && 'epochs' in train && typeof train.epochs === 'number') return train.epochs;
  return null;
}

export function useTrainingRun(runId: number | null): FollowedRun {
  const api = useVip();
  const [state, setState] = useState<{ runId: number | null; run: TrainingRunInfo | null; error: unknown }>({
    runId,
    run: null,
    error: null,
  });
  const [live, setLive] = useState<{ runId: number | null; progress: LiveProgress }>({ runId, progress: EMPTY });
  const [attempt, setAttempt] = useState(0);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);

  useEffect(() => {
    if (runId === null) return;
    let live = true;
    api.call('training.get', { runId }).then(
      (run) => live && setState({ runId, run, error: null }),
      (error: unknown) => live && setState((s) => ({ ...s, runId, error })),
    );
    return () => {
      live = false;
    };
  }, [api, runId, attempt]);

  useVipEvent('training.progress', (p) => {
    if (runId === null || p.runId !== runId) return;
    setLive((prev) => {
      const base = prev.runId === runId ? prev.progress : EMPTY;
      const next: LiveProgress = { ...base, phase: p.phase };
      if (p.phase === 'features' && p.done !== undefined && p.total !== undefined)
        next.features = { done: p.done, total: p.total, split: p.message ?? '' };
      if (p.phase === 'step' && p.step !== undefined && p.steps !== undefined) {
        next.step = {
          epoch: p.epoch ?? 0,
          epochs: p.epochs ?? 0,
          step: p.step,
          steps: p.steps,
          loss: p.loss ?? NaN,
        };
        next.etaSeconds = p.etaSeconds ?? null;
      }
      if (p.phase === 'warning' && p.message) next.warnings = [...base.warnings, p.message].slice(-20);
      if (p.phase === 'epoch' && p.epoch !== undefined) {
        next.epochs = [
          ...base.epochs,
          {
            epoch: p.epoch,
            lr: null,
            trainLoss: p.loss ?? null,
            trainAccuracy: p.accuracy ?? null,
            valAccuracy: p.valAccuracy ?? null,
            valMacroF1: p.valMacroF1 ?? null,
            seconds: null,
          },
        ];
      }
      return { runId, progress: next };
    });
    // The record says how it ended and which version it made.
    if (p.phase === 'finished' || p.phase === 'ready') reload();
  });

  const run = state.runId === runId ? state.run : null;
  const progress = live.runId === runId ? live.progress : EMPTY;
  return {
    runId,
    run,
    error: state.runId === runId ? state.error : null,
    live: progress,
    epochs: mergeEpochs(run?.epochs ?? [], progress.epochs),
    plannedEpochs: planned(run),
    reload,
  };
}
