/**
 * A local stand-in for the Hugging Face Hub's file endpoint, for fetch tests: serves
 * `/<owner>/<name>/resolve/<revision>/<file>` from memory the way the hub does (LFS files answer 302 to a "CDN"
 * on another port with X-Linked-Etag = sha256 and X-Linked-Size; other files answer 200 with a git-sha1 ETag), honours Range,
 * and injects faults on request (`faults` is read on every request, so a test may change it between fetches).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFaults {
  /** Cut the connection after this many body bytes, on the first `times` requests of the file. */
  dropAfter?: Record<string, { bytes: number; times: number }>;
  /** Announce this sha256 instead of the real one. */
  wrongSha256?: Record<string, string>;
  /** Answer 503 to the first `n` requests of the file. */
  unavailable?: Record<string, number>;
  /** Require `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** Send the file's body in chunks of `chunkBytes`, one every `delayMs` (a slow link, to watch progress or cancel). */
  slow?: Record<string, { chunkBytes: number; delayMs: number }>;
}

export interface HubRequest {
  path: string;
  range: string | null;
  authorization: string | null;
}

export interface HubServer {
  endpoint: string;
  requests: HubRequest[];
  close(): Promise<void>;
}

export const HUB_COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** Serves `files` for `repo` at any revision in `revisions` (default: main). */
export async function startHubServer(
  repo: string,
  files: Record<string, Uint8Array | string>,
  faults: HubFaults = {},
  revisions: string[] = ['main'],
): Promise<HubServer> {
  const requests: HubRequest[] = [];
  const served = new Map<string, number>();
  const bytesOf = (name: string): Buffer | undefined => {
    const f = files[name];
    return f === undefined ? undefined : Buffer.from(f);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    requests.push({ path, range: req.headers.range ?? null, authorization: req.headers.authorization ?? null });

    const cdn = /^\/cdn\/(.+)$/.exec(path);
    if (cdn?.[1]) {
      const body = bytesOf(cdn[1]);
      if (!body) return void res.writeHead(404).end();
      return serveBytes(req, res, cdn[1], body);
    }
    const prefix = `/${repo}/resolve/`;
    if (!path.startsWith(prefix)) {
      res.writeHead(401, { 'x-error-code': 'RepoNotFound' }).end('Repository not found');
      return;
    }
    const rest = path.slice(prefix.length);
    const revision = revisions.find((r) => rest.startsWith(r + '/'));
    if (!revision) return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end('Invalid rev id');
    const name = rest.slice(revision.length + 1);
    if (faults.token && req.headers.authorization !== `Bearer ${faults.token}`) {
      return void res.writeHead(401, { 'x-error-code': 'GatedRepo' }).end('gated');
    }
    const body = bytesOf(name);
    if (!body) return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
    const count = (served.get(name) ?? 0) + 1;
    served.set(name, count);
    if (count <= (faults.unavailable?.[name] ?? 0)) return void res.writeHead(503).end('busy');

    if (name.endsWith('.safetensors')) {
      const sha = faults.wrongSha256?.[name] ?? createHash('sha256').update(body).digest('hex');
      res.writeHead(302, {
        location: `${cdnOrigin}/cdn/${encodeURIComponent(name)}`,
        'x-linked-etag': `"${sha}"`,
        'x-linked-size': String(body.length),
        'x-repo-commit': HUB_COMMIT,
        etag: `"${sha}"`,
      });
      res.end();
      return;
    }
    const sha1 = createHash('sha1').update(body).digest('hex');
    serveBytes(req, res, name, body, { etag: `"${sha1}"`, 'x-repo-commit': HUB_COMMIT });
  };

  const cdnServed = new Map<string, number>();
  const serveBytes = (
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    body: Buffer,
    extra: Record<string, string> = {},
  ): void => {
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
    }
    const slice = body.subarray(start);
    const headers: Record<string, string> = {
      ...extra,
      'content-length': String(slice.length),
      'accept-ranges': 'bytes',
    };
    if (range) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(range ? 206 : 200, headers);
    const count = (cdnServed.get(name) ?? 0) + 1;
    cdnServed.set(name, count);
    const drop = faults.dropAfter?.[name];
    if (drop && count <= drop.times) {
      res.write(slice.subarray(0, drop.bytes), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    const slow = faults.slow?.[name];
    if (slow) {
      let at = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (at >= slice.length) return void res.end();
        res.write(slice.subarray(at, at + slow.chunkBytes));
        at += slow.chunkBytes;
        setTimeout(next, slow.delayMs);
      };
      next();
      return;
    }
    res.end(slice);
  };

  // LFS downloads are redirected to another origin, as the hub sends them to its CDN.
  const server: Server = createServer(handle);
  const cdnServer: Server = createServer(handle);
  const port = await listen(server);
  const cdnOrigin = `http://127.0.0.1:${await listen(cdnServer)}`;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      await stop(server);
      await stop(cdnServer);
    },
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function stop(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** A port with nothing listening (bound, then released). */
export async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A server that accepts connections and never answers. */
export async function silentEndpoint(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
