/**
 * A small HTTP proxy in front of Orthanc that misbehaves on purpose: it drops the connection in the middle of an
 * instance download, never answers, or runs a hook (delete the study) after the first instance went through.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ProxyBehaviour {
  /** Instance downloads (WADO-RS GET .../instances/<uid>) forwarded before `drop` starts applying. */
  dropAfter?: number;
  /** 'once': cut one download, then behave; 'always': cut every download after dropAfter. */
  drop?: 'once' | 'always';
  /** Accept connections and never answer. */
  hang?: boolean;
  /** Runs (and is awaited) before forwarding instance download number `afterInstances` + 1. */
  hook?: { afterInstances: number; run: () => Promise<void> };
}

export interface Proxy {
  readonly url: string;
  /** Instance downloads seen (including cut ones). */
  instanceRequests(): number;
  close(): Promise<void>;
}

const isInstanceDownload = (req: IncomingMessage): boolean =>
  req.method === 'GET' && /\/studies\/[^/]+\/series\/[^/]+\/instances\/[^/?]+$/.test(req.url ?? '');

export async function startProxy(target: string, behaviour: ProxyBehaviour): Promise<Proxy> {
  const targetUrl = new URL(target);
  let instances = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, cut: boolean): void => {
    const upstream = request(
      {
        hostname: targetUrl.hostname,
        port: targetUrl.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        if (!cut) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        // Send the headers and part of the body, then cut the connection.
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.once('data', (chunk: Buffer) => {
          res.write(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))), () => {
            res.socket?.destroy();
            up.destroy();
          });
        });
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    if (behaviour.hang) return; // never answers
    if (!isInstanceDownload(req)) {
      forward(req, res, false);
      return;
    }
    instances++;
    const n = instances;
    const hook = behaviour.hook;
    const run = async (): Promise<void> => {
      if (hook && n === hook.afterInstances + 1) await hook.run();
      const past = n > (behaviour.dropAfter ?? Infinity);
      const cut = !!behaviour.drop && past && (behaviour.drop === 'always' || dropped === 0);
      if (cut) dropped++;
      forward(req, res, cut);
    };
    void run();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${targetUrl.pathname.replace(/\/$/, '')}`,
    instanceRequests: () => instances,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
