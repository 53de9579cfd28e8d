/** The model versions (`versions.list`), reloaded on demand and after reconnecting. */
import { useEffect, useState } from 'react';
import type { ModelVersionInfo } from '@shared/contract';
import { useOnReconnect, useVip } from '../../api/vip-context';

export function useVersions(): { versions: ModelVersionInfo[] | null; error: unknown; reload: () => void } {
  const api = useVip();
  const [state, setState] = useState<{ versions: ModelVersionInfo[] | null; error: unknown }>({
    versions: null,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);
  useEffect(() => {
    let live = true;
    api.call('versions.list', {}).then(
      (r) => live && setState({ versions: r.versions, error: null }),
      (error: unknown) => live && setState((s) => ({ ...s, error })),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  return { ...state, reload };
}

/** The version `cases.predict` uses in auto mode: the newest active one. */
export function predictingVersion(versions: readonly ModelVersionInfo[] | null): ModelVersionInfo | null {
  if (!versions) return null;
  return [...versions].filter((v) => v.active).sort((a, b) => b.id - a.id)[0] ?? null;
}
