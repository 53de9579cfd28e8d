/**
 * The DOM-free renderer modules the Node tests drive. tsconfig.node.json includes these two files, so they are imported
 * directly and type-checked against their real declarations.
 */
import * as accessToken from '../../../src/renderer/src/api/access-token';
import * as wsClient from '../../../src/renderer/src/api/ws-client';

export type { TokenHost } from '../../../src/renderer/src/api/access-token';
export type {
  ConnectionState,
  ProtocolProblem,
  SocketLike,
  WsVipClient,
} from '../../../src/renderer/src/api/ws-client';

export type WsClientModule = typeof wsClient;
export type AccessTokenModule = typeof accessToken;

export async function loadWsClient(): Promise<WsClientModule> {
  return wsClient;
}

export async function loadAccessToken(): Promise<AccessTokenModule> {
  return accessToken;
}
