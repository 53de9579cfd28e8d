/**
 * The access token `vip serve` prints in its URL. It is taken out of the address bar at once (so it does not linger in
 * history, screenshots or bookmarks) and kept in sessionStorage so a reload of the same tab still works.
 */
const STORAGE_KEY = 'vip.accessToken';

/** The parts of `window` this needs, spelled out so tests can pass plain objects. */
export interface TokenHost {
  location: { readonly href: string };
  history: { readonly state: unknown; replaceState(data: unknown, unused: string, url?: string | null): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

export function takeAccessToken(host: TokenHost): string | null {
  const url = new URL(host.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try {
      host.sessionStorage.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // Storage can be disabled; the token still works for this page load.
    }
    url.searchParams.delete('token');
    host.history.replaceState(host.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    return fromUrl;
  }
  try {
    return host.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** ws(s)://<host>/api?token=... for a page served over http(s). */
export function apiSocketUrl(location: { readonly protocol: string; readonly host: string }, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`;
}
