/** React access to `window.vip` and its connection: one provider at the root, small hooks for the screens. */
import { createContext, useContext, useEffect, useEffectEvent, useSyncExternalStore, type ReactNode } from 'react';
import type { EventName, EventPayload } from '@shared/contract';
import type { VipApi } from '@shared/protocol';
import type { ConnectionSource } from './connection';
import type { ConnectionState } from './ws-client';

interface VipRuntime {
  api: VipApi;
  connection: ConnectionSource;
}

const VipContext = createContext<VipRuntime | null>(null);

export function VipProvider(props: { api: VipApi; connection: ConnectionSource; children: ReactNode }): ReactNode {
  return (
    <VipContext.Provider value={{ api: props.api, connection: props.connection }}>{props.children}</VipContext.Provider>
  );
}

function useRuntime(): VipRuntime {
  const runtime = useContext(VipContext);
  if (!runtime) throw new Error('VipProvider is missing above this component');
  return runtime;
}

export function useVip(): VipApi {
  return useRuntime().api;
}

export function useConnectionSource(): ConnectionSource {
  return useRuntime().connection;
}

export function useConnection(): ConnectionState {
  const source = useRuntime().connection;
  return useSyncExternalStore(source.subscribe, source.get);
}

/** Subscribe to an engine event for the component's lifetime; the handler always sees current props and state. */
export function useVipEvent<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): void {
  const api = useVip();
  const onEvent = useEffectEvent(handler);
  useEffect(() => api.on(event, (payload) => onEvent(payload)), [api, event]);
}

/** Runs `effect` each time the connection (re)opens after having been down, so screens reload what they show. */
export function useOnReconnect(effect: () => void): void {
  const source = useRuntime().connection;
  const run = useEffectEvent(effect);
  useEffect(() => {
    let wasOpen = source.get().kind === 'open';
    return source.subscribe(() => {
      const open = source.get().kind === 'open';
      if (open && !wasOpen) run();
      wasOpen = open;
    });
  }, [source]);
}
