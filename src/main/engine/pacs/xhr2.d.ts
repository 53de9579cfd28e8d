/**
 * xhr2 ships no types. What the engine uses of it: the standard XMLHttpRequest members, and the internal hooks that
 * node-xhr.ts overrides to learn why a request failed at the socket level.
 */
declare module 'xhr2' {
  class XMLHttpRequestNode {
    timeout: number;
    status: number;
    open(method: string, url: string, async?: boolean): void;
    abort(): void;
    addEventListener(type: string, listener: (event: unknown) => void): void;
    readonly readyState: number;
    get onreadystatechange(): (() => void) | null;
    set onreadystatechange(fn: (() => void) | null);
    /** Internal: the parsed URL (Node's url.parse); `path` is what the request asks for. */
    _url: { path?: string | null } | null;
    /** Internal: called with Node's error when the HTTP request fails (refused, reset, unknown host...). */
    _onHttpRequestError(request: unknown, error: Error): void;
    /** Internal: called when the connection closes before the response ended. */
    _onHttpResponseClose(response: unknown): void;
  }
  export default XMLHttpRequestNode;
}
