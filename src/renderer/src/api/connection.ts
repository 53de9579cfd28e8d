/** The connection state the header shows; Electron IPC has no connection to lose, so it is always open. */
import type { ConnectionState, ProtocolProblem, WsVipClient } from './ws-client';

export interface ConnectionSource {
  get(): ConnectionState;
  subscribe(listener: () => void): () => void;
  onProblem(listener: (p: ProtocolProblem) => void): () => void;
  reconnectNow(): void;
}

const OPEN: ConnectionState = { kind: 'open' };

export function connectionOf(client: WsVipClient | null): ConnectionSource {
  if (!client) {
    return {
      get: () => OPEN,
      subscribe: () => () => undefined,
      onProblem: () => () => undefined,
      reconnectNow: () => undefined,
    };
  }
  return {
    get: () => client.connection,
    subscribe: (listener) => client.onConnectionChange(listener),
    onProblem: (listener) => client.onProblem(listener),
    reconnectNow: () => client.reconnectNow(),
  };
}
