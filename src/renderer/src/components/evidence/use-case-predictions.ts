/**
 * A case's saved predictions (`predictions.get`, evidence included) and a way to make new ones (`cases.predict`).
 * Reloads when the case changes elsewhere (another window, the CLI) and after reconnecting.
 */
import { useEffect, useState } from 'react';
import type { Params, StoredPrediction } from '@shared/contract';
import { useOnReconnect, useVip, useVipEvent } from '../../api/vip-context';

export type PredictChoice = Omit<Params<'cases.predict'>, 'caseId'>;

export interface CasePredictions {
  predictions: StoredPrediction[] | null;
  loadError: unknown;
  predicting: boolean;
  predictError: unknown;
  /** Images the last prediction could not read. */
  failures: { imageId: number; error: string }[];
  predict(choice: PredictChoice): Promise<void>;
  reload(): void;
}

export function useCasePredictions(caseId: number): CasePredictions {
  const api = useVip();
  const [state, setState] = useState<{ caseId: number; predictions: StoredPrediction[] | null; error: unknown }>({
    caseId,
    predictions: null,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);
  const [predicting, setPredicting] = useState(false);
  const [predictError, setPredictError] = useState<unknown>(null);
  const [failures, setFailures] = useState<{ imageId: number; error: string }[]>([]);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);
  useVipEvent('cases.changed', (p) => {
    if (p.caseIds.includes(caseId)) reload();
  });

  useEffect(() => {
    let live = true;
    api.call('predictions.get', { caseId }).then(
      (r) => live && setState({ caseId, predictions: r.predictions, error: null }),
      (error: unknown) => live && setState((s) => ({ ...s, caseId, error })),
    );
    return () => {
      live = false;
    };
  }, [api, caseId, attempt]);

  const predict = async (choice: PredictChoice): Promise<void> => {
    if (predicting) return;
    setPredicting(true);
    setPredictError(null);
    try {
      const result = await api.call('cases.predict', { caseId, ...choice });
      setFailures(result.failures);
      reload();
    } catch (err) {
      setPredictError(err);
    } finally {
      setPredicting(false);
    }
  };

  return {
    predictions: state.caseId === caseId ? state.predictions : null,
    loadError: state.error,
    predicting,
    predictError,
    failures,
    predict,
    reload,
  };
}
