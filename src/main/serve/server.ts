/**
 * `vip serve`: the browser host. Same engine, same contract as Electron IPC, carried over one WebSocket
 * (`/api`) with JSON envelopes (bytes base64-encoded, see shared/wire.ts). Static files are the built renderer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { toErrorInfo, VipError } from '@shared/errors';
import { describeZodError, RequestEnvelope, type ResponseEnvelope } from '@shared/protocol';
import { decodeWire, encodeWire } from '@shared/wire';
import type { Engine } from '../engine/engine';
import {
  checkHostAndOrigin,
  newAccessToken,
  requestToken,
  securityHeaders,
  TOKEN_COOKIE,
  tokensEqual,
} from './security';
import { loadStatic } from './static-files';

/** What the host needs from the engine: the validated entry point and its events. */
export type ApiHost = Pick<Engine, 'invoke' | 'events'>;

export interface ServeOptions {
  engine: ApiHost;
  /** 0 picks a free port. */
  port: number;
  rendererDir: string | null;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Uploads are carried inside messages; the contract caps one file at 512 MiB. */
const MAX_MESSAGE_BYTES = 768 * 1024 * 1024;

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? newAccessToken();
  const { engine } = options;
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let port = 0;

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendText(res, 500, 'Internal error');
      process.stderr.write(`vip serve: ${toErrorInfo(err).message}\n`);
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const guard = checkHostAndOrigin(req, port, false);
    if (!guard.ok) return sendText(res, guard.status, guard.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const given = requestToken(req, url);
    if (!tokensEqual(given, token))
      return sendText(res, 401, 'Open the address printed by `vip serve` (it carries the access token).');
    if (!options.rendererDir) return sendText(res, 503, 'The renderer is not built: run `npm run build`.');
    const file = (await loadStatic(options.rendererDir, url.pathname)) ?? (await loadStatic(options.rendererDir, '/'));
    if (!file) return sendText(res, 404, 'Not found');
    const headers: Record<string, string> = {
      ...securityHeaders,
      'Content-Type': file.mediaType,
      'Cache-Control': 'no-store',
    };
    // Remember the token for the page's own asset requests; Strict keeps other sites from sending it.
    if (url.searchParams.has('token'))
      headers['Set-Cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, reason: string): void => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const guard = checkHostAndOrigin(req, port, true);
    if (!guard.ok) return refuse(guard.status, guard.reason);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/api') return refuse(404, 'Not Found');
    if (!tokensEqual(requestToken(req, url), token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        void answer(ws, isBinary ? null : data.toString());
      });
    });
  });

  async function answer(ws: WebSocket, text: string | null): Promise<void> {
    let id = 0;
    let response: ResponseEnvelope;
    try {
      if (text === null) throw new VipError('validation', 'Binary frames are not part of the protocol');
      let raw: unknown;
      try {
        raw = decodeWire(text);
      } catch {
        throw new VipError('validation', 'Message is not valid JSON');
      }
      const envelope = RequestEnvelope.safeParse(raw);
      if (!envelope.success) throw new VipError('validation', `Malformed request: ${describeZodError(envelope.error)}`);
      id = envelope.data.id;
      const result = await engine.invoke(envelope.data.method, envelope.data.params);
      response = { id, ok: true, result };
    } catch (err) {
      response = { id, ok: false, error: toErrorInfo(err) };
    }
    if (ws.readyState === ws.OPEN) ws.send(encodeWire(response));
  }

  const unsubscribe = engine.events.onAny((event, payload) => {
    const message = encodeWire({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message);
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new VipError('bad_input', `Port ${options.port} is already in use`) : err),
    );
    server.listen(options.port, '127.0.0.1', () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    ...securityHeaders,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(text + '\n');
}
