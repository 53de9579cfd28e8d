/**
 * The XMLHttpRequest that dicomweb-client gets in Node: xhr2, extended in three ways (xhr2 is small and unmaintained;
 * these are its internals, pinned by the tests in test/pacs):
 * - it remembers why a request failed: xhr2 reports every socket failure as status 0 and drops Node's error, and the
 *   user deserves "connection refused" or "timed out" instead of "request failed";
 * - a connection dropped after the headers arrived reads as a failure: xhr2 would report the 200 it already saw with
 *   no body, and dicomweb-client would then decode nothing;
 * - a response dicomweb-client cannot decode (a truncated multipart body) rejects its promise instead of throwing out
 *   of a socket event, which would crash the process and leave the promise pending forever.
 * - QIDO-RS wildcards and includefield lists reach the server as written: dicomweb-client percent-encodes every query
 *   value, and Orthanc's DICOMweb plugin matches "DOE%5E%2A" literally instead of as DOE^* and ignores an includefield
 *   list with "%2C" separators. `*`, `?` and `^` are legal in a query as they are; a comma only inside includefield,
 *   since elsewhere a comma means a list of values (PS3.18 8.3.4.3).
 * The instance is handed to dicomweb-client per request (its `request.instance` option), so nothing global changes.
 */
import XMLHttpRequestNode from 'xhr2';

export type NetworkFailure =
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'dropped' }
  | { kind: 'malformed'; message: string }
  | { kind: 'socket'; code: string | null; message: string };

export class RecordingXhr extends XMLHttpRequestNode {
  failure: NetworkFailure | null = null;
  private handler: (() => void) | null = null;

  constructor(timeoutMs: number) {
    super();
    this.timeout = timeoutMs;
    this.addEventListener('timeout', () => {
      this.failure = { kind: 'timeout' };
    });
  }

  override open(method: string, url: string, async?: boolean): void {
    super.open(method, url, async);
    // xhr2 parses the URL with Node's url.parse, which escapes "^" again: set the path it will request afterwards.
    if (this._url && typeof this._url.path === 'string') this._url.path = readableQuery(this._url.path);
  }

  override get onreadystatechange(): (() => void) | null {
    return this.handler ? () => this.runHandler() : null;
  }

  override set onreadystatechange(fn: (() => void) | null) {
    this.handler = fn;
  }

  private runHandler(): void {
    const fn = this.handler;
    if (!fn) return;
    try {
      fn();
    } catch (err) {
      // The handler threw before settling its promise: run it again as a failed request, which rejects it.
      this.failure ??= { kind: 'malformed', message: err instanceof Error ? err.message : String(err) };
      this.status = 0;
      fn();
    }
  }

  override _onHttpRequestError(request: unknown, error: Error): void {
    this.failure ??= { kind: 'socket', code: (error as NodeJS.ErrnoException).code ?? null, message: error.message };
    super._onHttpRequestError(request, error);
  }

  override _onHttpResponseClose(response: unknown): void {
    // Also called after a complete response (readyState DONE), which xhr2 then ignores.
    if (this.readyState !== 4) {
      this.failure ??= { kind: 'dropped' };
      this.status = 0;
    }
    super._onHttpResponseClose(response);
  }

  /** Aborts the request on the caller's behalf (cancel), so the failure reads as such. */
  cancel(): void {
    this.failure = { kind: 'aborted' };
    this.abort();
  }
}

/** The URL with the QIDO-RS characters that servers expect unencoded put back (see the notes above). */
export function readableQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .replace(/%(2A|3F|5E)/gi, (m) => decodeURIComponent(m))
    .replace(
      /(^|&)(includefield=)([^&]*)/gi,
      (_m, lead: string, key: string, list: string) => lead + key + list.replace(/%2C/gi, ','),
    );
  return `${url.slice(0, q)}?${query}`;
}
