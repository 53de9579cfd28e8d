/** The configured PACS nodes (`pacs.list`), reloaded after reconnecting and on demand (after an edit). */
import { useEffect, useState } from 'react';
import type { PacsNodeInfo } from '@shared/contract';
import { useOnReconnect, useVip } from '../../api/vip-context';

export interface PacsNodes {
  nodes: PacsNodeInfo[] | null;
  error: unknown;
  reload(): void;
}

export function usePacsNodes(): PacsNodes {
  const api = useVip();
  const [state, setState] = useState<{ nodes: PacsNodeInfo[] | null; error: unknown }>({ nodes: null, error: null });
  const [attempt, setAttempt] = useState(0);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);
  useEffect(() => {
    let live = true;
    api.call('pacs.list', {}).then(
      (r) => live && setState({ nodes: r.nodes, error: null }),
      (error: unknown) => live && setState((s) => ({ nodes: s.nodes, error })),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  return { ...state, reload };
}
