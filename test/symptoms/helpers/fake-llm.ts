/**
 * A local OpenAI-compatible chat completions server on 127.0.0.1 (real HTTP, node:http) whose answers a test scripts:
 * well-formed, malformed, slow or failing. Every request is recorded with its parsed body and headers.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatBody {
  model: string;
  messages: { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] }[];
  [key: string]: unknown;
}

export interface FakeRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatBody;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON, a string as is. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Drop the connection instead of answering. */
  hangUp?: boolean;
}

export type FakeHandler = (req: FakeRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeLlm {
  /** The base URL to configure (ends in /v1). */
  url: string;
  requests: FakeRequest[];
  setHandler(handler: FakeHandler): void;
  close(): Promise<void>;
}

/** A well-formed chat completion answering `content`. */
export function completion(content: string, model = 'fake-vlm-1'): object {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  };
}

/** The text of the last user message (the text part of a multimodal one). */
export function lastUserText(body: ChatBody): string {
  const user = [...body.messages].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  if (typeof user.content === 'string') return user.content;
  return user.content.map((p) => p.text ?? '').join(' ');
}

/** The image URLs of the request (stage 2). */
export function imageUrls(body: ChatBody): string[] {
  return body.messages.flatMap((m) =>
    typeof m.content === 'string' ? [] : m.content.flatMap((p) => (p.image_url ? [p.image_url.url] : [])),
  );
}

export async function startFakeLlm(handler: FakeHandler): Promise<FakeLlm> {
  let current = handler;
  const requests: FakeRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: ChatBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
      } catch {
        res.writeHead(400).end('{"error":{"message":"bad json"}}');
        return;
      }
      const request: FakeRequest = { path: req.url ?? '', headers: req.headers, body };
      const index = requests.length;
      requests.push(request);
      void Promise.resolve(current(request, index)).then((reply) => {
        const send = (): void => {
          if (res.destroyed) return;
          if (reply.hangUp) {
            req.socket.destroy();
            return;
          }
          const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        };
        if (reply.delayMs) {
          const t = setTimeout(() => {
            timers.delete(t);
            send();
          }, reply.delayMs);
          timers.add(t);
        } else send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setHandler: (h) => {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a server was there a moment ago). */
export async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
