/**
 * The browser's WebSocket VipApi (src/renderer/src/api/ws-client.ts) against a scripted `ws` server: envelopes,
 * byte decoding, validation of results and events, disconnects, reconnects, and the access token's handling.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { RemoteError } from '@shared/protocol';
import { decodeWire, encodeWire } from '@shared/wire';
import {
  loadAccessToken,
  loadWsClient,
  type ConnectionState,
  type ProtocolProblem,
  type SocketLike,
  type WsVipClient,
} from './helpers/renderer-modules';

const { WsVipClient: Client } = await loadWsClient();
const { apiSocketUrl, takeAccessToken } = await loadAccessToken();

interface Harness {
  server: WebSocketServer;
  url: string;
  /** Requests as the server received them (decoded). */
  requests: Array<{ id: number; method: string; params: unknown }>;
  sockets: ServerSocket[];
  nextSocket(): Promise<ServerSocket>;
}

const open: Array<{ client: WsVipClient; server: WebSocketServer }> = [];

async function startHarness(): Promise<Harness> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const h: Harness = {
    server,
    url: `ws://127.0.0.1:${port}/api?token=t`,
    requests: [],
    sockets: [],
    nextSocket: async () => {
      const [ws] = (await once(server, 'connection')) as [ServerSocket];
      return ws;
    },
  };
  server.on('connection', (ws: ServerSocket) => {
    h.sockets.push(ws);
    ws.on('message', (data) => {
      h.requests.push(decodeWire(String(data)) as { id: number; method: string; params: unknown });
    });
  });
  return h;
}

function startClient(h: Harness | null, url?: string | null): WsVipClient {
  const client = new Client({
    url: url === undefined ? (h?.url ?? null) : url,
    openSocket: (u) => new WebSocket(u) as unknown as SocketLike,
    minDelayMs: 20,
    maxDelayMs: 40,
  });
  if (h) open.push({ client, server: h.server });
  return client;
}

function waitForState(client: WsVipClient, kind: ConnectionState['kind']): Promise<void> {
  if (client.connection.kind === kind) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.onConnectionChange((s) => {
      if (s.kind === kind) {
        off();
        resolve();
      }
    });
  });
}

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(predicate()).toBe(true);
}

afterEach(async () => {
  for (const { client, server } of open.splice(0)) {
    client.close();
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

describe('WsVipClient calls', () => {
  it('sends request envelopes and resolves validated results, bytes included', async () => {
    const h = await startHarness();
    const client = startClient(h);
    const socket = h.nextSocket();
    const result = client.call('images.render', { imageId: 7, maxSize: 96 });
    const ws = await socket;
    await waitFor(() => h.requests.length === 1);
    const req = h.requests[0]!;
    expect(req.method).toBe('images.render');
    expect(req.params).toEqual({ imageId: 7, maxSize: 96 });
    const pixels = new Uint8Array([137, 80, 78, 71, 0, 255]);
    ws.send(
      encodeWire({ id: req.id, ok: true, result: { mediaType: 'image/png', data: pixels, width: 3, height: 2 } }),
    );
    const image = await result;
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(image.data)).toEqual(Array.from(pixels));
    expect(image.width).toBe(3);
  });

  it('rejects with a RemoteError carrying code, message and detail', async () => {
    const h = await startHarness();
    const client = startClient(h);
    const socket = h.nextSocket();
    const result = client.call('cases.get', { id: 99 });
    const ws = await socket;
    await waitFor(() => h.requests.length === 1);
    ws.send(
      encodeWire({
        id: h.requests[0]!.id,
        ok: false,
        error: { code: 'not_found', message: 'Case 99 does not exist', detail: 'row missing' },
      }),
    );
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: 'not_found', message: 'Case 99 does not exist', detail: 'row missing' });
  });

  it('rejects a result that breaks the contract and reports it, instead of trusting it', async () => {
    const h = await startHarness();
    const client = startClient(h);
    const problems: ProtocolProblem[] = [];
    client.onProblem((p) => problems.push(p));
    const socket = h.nextSocket();
    const result = client.call('cases.list', {});
    const ws = await socket;
    await waitFor(() => h.requests.length === 1);
    ws.send(encodeWire({ id: h.requests[0]!.id, ok: true, result: { total: -1, cases: [{ id: 'x' }] } }));
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).code).toBe('validation');
    expect((err as RemoteError).message).toContain('cases.list');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.detail).toMatch(/total/);
  });

  it('rejects a call whose answer is a malformed envelope', async () => {
    const h = await startHarness();
    const client = startClient(h);
    const socket = h.nextSocket();
    const result = client.call('settings.get', {});
    const ws = await socket;
    await waitFor(() => h.requests.length === 1);
    ws.send(JSON.stringify({ id: h.requests[0]!.id, ok: 'yes' }));
    const err = await result.catch((e: unknown) => e);
    expect((err as RemoteError).code).toBe('validation');
  });

  it('queues calls made while connecting and sends them once open', async () => {
    const h = await startHarness();
    const client = startClient(h);
    expect(client.connection.kind).toBe('connecting');
    const a = client.call('settings.get', {});
    const b = client.call('app.info', {});
    const ws = await h.nextSocket();
    await waitFor(() => h.requests.length === 2);
    expect(h.requests.map((r) => r.method)).toEqual(['settings.get', 'app.info']);
    const settings = { reviewerName: 'R', llmBaseUrl: '', llmModel: '' };
    const info = { version: '1', dataDir: '/d', transport: 'http', schemaVersion: 1, platform: 'linux', cpuCount: 2 };
    ws.send(encodeWire({ id: h.requests[1]!.id, ok: true, result: info }));
    ws.send(encodeWire({ id: h.requests[0]!.id, ok: true, result: settings }));
    expect(await a).toEqual(settings);
    expect((await b).dataDir).toBe('/d');
  });
});

describe('WsVipClient events and bad messages', () => {
  it('dispatches valid events and drops invalid, unknown and unparseable messages with a report', async () => {
    const h = await startHarness();
    const client = startClient(h);
    const problems: ProtocolProblem[] = [];
    client.onProblem((p) => problems.push(p));
    const changed: number[][] = [];
    const off = client.on('cases.changed', (p) => changed.push(p.caseIds));
    const ws = await h.nextSocket();
    await waitForState(client, 'open');
    ws.send('not json {');
    ws.send(encodeWire({ event: 'cases.changed', payload: { caseIds: ['one'] } }));
    ws.send(encodeWire({ event: 'no.such.event', payload: {} }));
    ws.send(encodeWire({ id: 12345, ok: true, result: null }));
    ws.send(encodeWire({ event: 'cases.changed', payload: { caseIds: [3, 4] } }));
    await waitFor(() => changed.length === 1 && problems.length === 4);
    expect(changed).toEqual([[3, 4]]);
    expect(problems.map((p) => p.message)).toEqual([
      'Ignored a message that is not valid JSON',
      'Ignored an invalid cases.changed event',
      'Ignored an unknown event',
      'Ignored a response to no pending request',
    ]);
    off();
    ws.send(encodeWire({ event: 'cases.changed', payload: { caseIds: [5] } }));
    const probe = client.call('settings.get', {});
    await waitFor(() => h.requests.length === 1);
    ws.send(
      encodeWire({ id: h.requests[0]!.id, ok: true, result: { reviewerName: '', llmBaseUrl: '', llmModel: '' } }),
    );
    await probe;
    expect(changed).toEqual([[3, 4]]);
  });
});

describe('WsVipClient connection loss', () => {
  it('rejects pending calls on disconnect, fails fast while down, and reconnects with backoff', async () => {
    const h = await startHarness();
    const client = startClient(h);
    const states: string[] = [];
    client.onConnectionChange((s) => states.push(s.kind));
    const first = await h.nextSocket();
    await waitForState(client, 'open');
    const pending = client.call('cases.list', {});
    await waitFor(() => h.requests.length === 1);

    const reconnected = h.nextSocket();
    first.terminate();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).code).toBe('unavailable');
    expect((err as RemoteError).message).toMatch(/Lost the connection.*cases\.list may or may not have completed/);

    // Between attempts a call is refused at once rather than left hanging.
    expect(client.connection.kind).toBe('waiting');
    const refused = await client.call('settings.get', {}).catch((e: unknown) => e);
    expect((refused as RemoteError).code).toBe('unavailable');
    expect((refused as RemoteError).message).toMatch(/Not connected.*settings\.get was not sent.*Reconnecting in/);

    const second = await reconnected;
    await waitForState(client, 'open');
    expect(states).toContain('waiting');
    const again = client.call('settings.get', {});
    await waitFor(() => h.requests.length === 2);
    second.send(
      encodeWire({ id: h.requests[1]!.id, ok: true, result: { reviewerName: 'x', llmBaseUrl: '', llmModel: '' } }),
    );
    expect((await again).reviewerName).toBe('x');
  });

  it('retries after a refused connection', async () => {
    const h = await startHarness();
    const port = (h.server.address() as AddressInfo).port;
    h.server.close();
    for (const ws of h.server.clients) ws.terminate();
    await new Promise((r) => setTimeout(r, 20));
    const client = startClient(null, `ws://127.0.0.1:${port}/api?token=t`);
    const attempts: number[] = [];
    const reasons: string[] = [];
    client.onConnectionChange((s) => {
      if (s.kind === 'connecting') attempts.push(s.attempt);
      if (s.kind === 'waiting') reasons.push(s.reason);
    });
    try {
      await waitFor(() => attempts.length >= 2);
      expect(attempts.slice(0, 2)).toEqual([2, 3]);
      expect(reasons[0]).toMatch(/cannot reach the server/);
    } finally {
      client.close();
    }
  });

  it('without a token it never connects and says what to do', async () => {
    const client = startClient(null, null);
    expect(client.connection.kind).toBe('no-token');
    const err = await client.call('app.info', {}).catch((e: unknown) => e);
    expect((err as RemoteError).code).toBe('unavailable');
    expect((err as RemoteError).message).toContain('vip serve');
  });
});

describe('access token', () => {
  function fakeHost(href: string, stored: string | null = null) {
    const storage = new Map<string, string>();
    if (stored) storage.set('vip.accessToken', stored);
    const replaced: string[] = [];
    return {
      replaced,
      storage,
      host: {
        location: { href },
        history: {
          state: null,
          replaceState: (_d: unknown, _u: string, url?: string | null) => void replaced.push(url ?? ''),
        },
        sessionStorage: {
          getItem: (k: string) => storage.get(k) ?? null,
          setItem: (k: string, v: string) => void storage.set(k, v),
        },
      },
    };
  }

  it('takes the token out of the address bar and keeps it for reloads', () => {
    const f = fakeHost('http://127.0.0.1:4000/?token=abc123&x=1#/case/4');
    expect(takeAccessToken(f.host)).toBe('abc123');
    expect(f.replaced).toEqual(['/?x=1#/case/4']);
    expect(f.storage.get('vip.accessToken')).toBe('abc123');

    const reload = fakeHost('http://127.0.0.1:4000/#/case/4', 'abc123');
    expect(takeAccessToken(reload.host)).toBe('abc123');
    expect(reload.replaced).toEqual([]);
    expect(takeAccessToken(fakeHost('http://127.0.0.1:4000/').host)).toBeNull();
  });

  it('builds the socket address on the page host, wss for https', () => {
    expect(apiSocketUrl({ protocol: 'http:', host: '127.0.0.1:4000' }, 'a b')).toBe(
      'ws://127.0.0.1:4000/api?token=a%20b',
    );
    expect(apiSocketUrl({ protocol: 'https:', host: 'h:1' }, 't')).toBe('wss://h:1/api?token=t');
  });
});
