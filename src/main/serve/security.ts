/**
 * Guards of the browser host. It listens on 127.0.0.1 only, and still: a web page in the user's browser could
 * try to reach it (cross-site requests) or point a hostname of its own at 127.0.0.1 (DNS rebinding).
 * So every request must name our host, come from our origin when it has one, and carry the access token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'vip_token';

export function newAccessToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokensEqual(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Hosts a legitimate client uses for this server: anything else is DNS rebinding. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
}

export type GuardResult = { ok: true } | { ok: false; status: number; reason: string };

export function checkHostAndOrigin(req: IncomingMessage, port: number, requireOrigin: boolean): GuardResult {
  const host = req.headers.host;
  if (!host || !allowedHosts(port).has(host.toLowerCase()))
    return { ok: false, status: 421, reason: 'Host not allowed' };
  const origin = req.headers.origin;
  if (origin === undefined) {
    return requireOrigin ? { ok: false, status: 403, reason: 'Origin required' } : { ok: true };
  }
  if (!allowedOrigins(port).has(origin.toLowerCase())) return { ok: false, status: 403, reason: 'Origin not allowed' };
  return { ok: true };
}

export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** Token from the URL (`?token=`) or from the cookie set when the page was first opened with it. */
export function requestToken(req: IncomingMessage, url: URL): string | null {
  return url.searchParams.get('token') ?? readCookie(req, TOKEN_COOKIE);
}

export const securityHeaders: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // The access token is in the URL: never send it to anyone in a Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
