/** The recorded training runs (`training.list`), refreshed when a run starts or ends and after reconnecting. */
import { useEffect, useState } from 'react';
import type { TrainingRunInfo } from '@shared/contract';
import { useOnReconnect, useVip, useVipEvent } from '../../api/vip-context';

export function useRuns(): { runs: TrainingRunInfo[] | null; error: unknown; reload: () => void } {
  const api = useVip();
  const [state, setState] = useState<{ runs: TrainingRunInfo[] | null; error: unknown }>({ runs: null, error: null });
  const [attempt, setAttempt] = useState(0);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);
  useVipEvent('training.progress', (p) => {
    if (p.phase === 'ready' || p.phase === 'finished' || p.phase === 'epoch') reload();
  });
  useEffect(() => {
    let live = true;
    api.call('training.list', {}).then(
      (r) => live && setState({ runs: r.runs, error: null }),
      (error: unknown) => live && setState((s) => ({ ...s, error })),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  return { ...state, reload };
}
