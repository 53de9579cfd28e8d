import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseRequest } from '@shared/protocol';
import { decodeWire, encodeWire } from '@shared/wire';
import { EngineEvents } from '../../src/main/engine/events';
import { startServer, type ApiHost, type RunningServer } from '../../src/main/serve/server';

/** A host that validates like the engine and answers settings.get; the real engine is covered by e2e tests. */
function fakeHost(): ApiHost & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    events: new EngineEvents(),
    invoke: async (method: unknown, params: unknown) => {
      const req = parseRequest(method, params);
      calls.push(req.method);
      return { reviewerName: 'dr test', llmBaseUrl: '', llmModel: '' };
    },
  } as ApiHost & { calls: string[] };
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function connect(port: number, query: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) =>
    ws.once('message', (d: Buffer) => resolve(decodeWire(d.toString()) as Record<string, unknown>)),
  );
}

describe('vip serve guards', () => {
  let server: RunningServer;
  let host: ReturnType<typeof fakeHost>;
  let dir: string;
  const origin = (): string => `http://127.0.0.1:${server.port}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vip-serve-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>ViP</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    host = fakeHost();
    server = await startServer({ engine: host, port: 0, rendererDir: dir, token: 'secret-token-1234' });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and prints the address with its token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=secret-token-1234`);
  });

  it('refuses pages without the token and serves them with it, setting a strict cookie and headers', async () => {
    expect((await get(server.port, '/')).status).toBe(401);
    expect((await get(server.port, '/?token=wrong-token-1234')).status).toBe(401);
    const ok = await get(server.port, '/?token=secret-token-1234');
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>ViP</title>');
    expect(String(ok.headers['set-cookie'])).toMatch(/vip_token=secret-token-1234; HttpOnly; SameSite=Strict/);
    expect(ok.headers['content-security-policy']).toContain("default-src 'self'");
    expect(ok.headers['referrer-policy']).toBe('no-referrer');
    const asset = await get(server.port, '/app.js', { cookie: 'vip_token=secret-token-1234' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    expect((await get(server.port, '/?token=secret-token-1234', { host: 'evil.example:80' })).status).toBe(421);
    expect((await get(server.port, '/?token=secret-token-1234', { origin: 'http://evil.example' })).status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    const res = await get(server.port, '/..%2f..%2f..%2fetc%2fpasswd', { cookie: 'vip_token=secret-token-1234' });
    expect(res.body).not.toContain('root:');
  });

  it('refuses WebSocket upgrades without token, without Origin, or from another origin', async () => {
    await expect(connect(server.port, '', { origin: origin() })).rejects.toThrow(/401/);
    await expect(connect(server.port, '?token=secret-token-1234', {})).rejects.toThrow(/403/);
    await expect(connect(server.port, '?token=secret-token-1234', { origin: 'http://evil.example' })).rejects.toThrow(
      /403/,
    );
  });

  it('answers valid calls and rejects malformed messages before they reach the engine', async () => {
    const ws = await connect(server.port, '?token=secret-token-1234', { origin: origin() });
    try {
      const before = host.calls.length;
      ws.send(encodeWire({ id: 1, method: 'settings.get', params: {} }));
      expect(await nextMessage(ws)).toMatchObject({ id: 1, ok: true, result: { reviewerName: 'dr test' } });

      ws.send('not json');
      expect(await nextMessage(ws)).toMatchObject({ ok: false, error: { code: 'validation' } });
      ws.send(encodeWire({ id: 2, method: 'cases.get', params: { id: -1 } }));
      expect(await nextMessage(ws)).toMatchObject({ id: 2, ok: false, error: { code: 'validation' } });
      ws.send(encodeWire({ id: 3, nonsense: true }));
      expect(await nextMessage(ws)).toMatchObject({ ok: false, error: { code: 'validation' } });
      expect(host.calls.length).toBe(before + 1);

      const event = nextMessage(ws);
      host.events.emit('cases.changed', { caseIds: [4] });
      expect(await event).toEqual({ event: 'cases.changed', payload: { caseIds: [4] } });
    } finally {
      ws.close();
    }
  });
});
