/**
 * In a plain browser (no Electron preload) create `window.vip` from the page's address: the access token from
 * `?token=` (or this tab's sessionStorage after a reload) and a WebSocket to /api on the same host.
 * Returns the client so the UI can show its connection state; in Electron returns null and leaves window.vip alone.
 */
import { apiSocketUrl, takeAccessToken } from './access-token';
import { WsVipClient, type SocketLike } from './ws-client';

export function installBrowserVip(): WsVipClient | null {
  if (window.vip !== undefined) return null;
  const token = takeAccessToken(window);
  const client = new WsVipClient({
    url: token ? apiSocketUrl(window.location, token) : null,
    openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  });
  window.vip = client;
  return client;
}
