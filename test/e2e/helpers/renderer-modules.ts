/**
 * Loads DOM-free renderer modules into Node tests. They belong to tsconfig.web.json, so a static import here would
 * pull them into the Node type-check project (TS6307); vitest transforms them like any other source. The types below
 * restate the parts the tests use; the tests' runtime assertions catch any drift.
 */
import { fileURLToPath } from 'node:url';
import type { VipApi } from '@shared/protocol';

export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryAt: number; reason: string }
  | { kind: 'no-token' }
  | { kind: 'closed' };

export interface ProtocolProblem {
  message: string;
  detail: string;
}

export interface WsVipClient extends VipApi {
  readonly connection: ConnectionState;
  onConnectionChange(listener: (s: ConnectionState) => void): () => void;
  onProblem(listener: (p: ProtocolProblem) => void): () => void;
  reconnectNow(): void;
  close(): void;
}

export interface WsClientModule {
  WsVipClient: new (options: {
    url: string | null;
    openSocket: (url: string) => SocketLike;
    minDelayMs?: number;
    maxDelayMs?: number;
  }) => WsVipClient;
}

export interface TokenHost {
  location: { readonly href: string };
  history: { readonly state: unknown; replaceState(data: unknown, unused: string, url?: string | null): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

export interface AccessTokenModule {
  takeAccessToken(host: TokenHost): string | null;
  apiSocketUrl(location: { readonly protocol: string; readonly host: string }, token: string): string;
}

function rendererPath(relative: string): string {
  return fileURLToPath(new URL(`../../../src/renderer/src/${relative}`, import.meta.url));
}

export async function loadWsClient(): Promise<WsClientModule> {
  return (await import(/* @vite-ignore */ rendererPath('api/ws-client.ts'))) as WsClientModule;
}

export async function loadAccessToken(): Promise<AccessTokenModule> {
  return (await import(/* @vite-ignore */ rendererPath('api/access-token.ts'))) as AccessTokenModule;
}
