/**
 * `window.vip` for a browser pointed at `vip serve`: the same VipApi the Electron preload gives, carried over one
 * WebSocket at /api?token=... with the envelopes of src/shared/protocol.ts and the byte encoding of wire.ts.
 *
 * Everything that arrives is validated against the contract before anyone sees it; a message that fails is reported
 * through onProblem and dropped (or, when it answers a pending call, turned into a rejected call), never trusted.
 */
import { events, type EventName, type EventPayload, type MethodName, type Params, type Result } from '@shared/contract';
import {
  describeZodError,
  EventEnvelope,
  parseResult,
  RemoteError,
  ResponseEnvelope,
  type VipApi,
} from '@shared/protocol';
import { VipError } from '@shared/errors';
import { decodeWire, encodeWire } from '@shared/wire';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryAt: number; reason: string }
  | { kind: 'no-token' }
  | { kind: 'closed' };

/** Something the server sent that failed validation; shown to the user, logged, and otherwise ignored. */
export interface ProtocolProblem {
  message: string;
  detail: string;
}

/** What the client needs of a WebSocket; the browser's WebSocket and the `ws` package both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface WsClientOptions {
  /** null when the page has no access token: the client then stays in 'no-token' and sends nothing. */
  url: string | null;
  /** The browser passes its WebSocket; tests pass the `ws` package's. Kept out of here so this module needs no DOM. */
  openSocket: (url: string) => SocketLike;
  /** Reconnect delays grow from minDelayMs, doubling, up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

const OPEN = 1;

interface PendingCall {
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** The encoded request; kept until the socket opens for calls made while connecting. */
  frame: string | null;
}

type AnyHandler = (payload: unknown) => void;

/** Close codes a server uses to refuse the token; no amount of retrying fixes those. */
const REFUSED_CODES = new Set([1008, 4001, 4003, 4401, 4403]);

export class WsVipClient implements VipApi {
  readonly transport = 'http' as const;

  private socket: SocketLike | null = null;
  private state: ConnectionState = { kind: 'connecting', attempt: 1 };
  private attempt = 0;
  private nextId = 1;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly pending = new Map<number, PendingCall>();
  private readonly handlers = new Map<EventName, Set<AnyHandler>>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private readonly problemListeners = new Set<(p: ProtocolProblem) => void>();
  private readonly openSocket: (url: string) => SocketLike;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: WsClientOptions) {
    this.openSocket = options.openSocket;
    this.minDelayMs = options.minDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    if (options.url === null) this.state = { kind: 'no-token' };
    else this.connect();
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.state.kind !== 'open' && this.state.kind !== 'connecting') {
      return Promise.reject(
        new RemoteError({
          code: 'unavailable',
          message: `Not connected to the ViP server, so ${method} was not sent. ${this.describeOffline()}`,
        }),
      );
    }
    const id = this.nextId++;
    const frame = encodeWire({ id, method, params });
    return new Promise<Result<M>>((resolve, reject) => {
      const entry: PendingCall = { method, resolve: resolve as (v: unknown) => void, reject, frame };
      this.pending.set(id, entry);
      if (this.socket && this.socket.readyState === OPEN) this.flush(id, entry);
    });
  }

  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    const h = handler as AnyHandler;
    set.add(h);
    return () => set.delete(h);
  }

  get connection(): ConnectionState {
    return this.state;
  }

  onConnectionChange(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onProblem(listener: (p: ProtocolProblem) => void): () => void {
    this.problemListeners.add(listener);
    return () => this.problemListeners.delete(listener);
  }

  /** Skip the remaining backoff and try at once (the header's "Reconnect now"). */
  reconnectNow(): void {
    if (this.stopped || this.state.kind !== 'waiting') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  /** Close for good: pending calls are rejected and no reconnect follows. */
  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'client closed');
    }
    this.rejectAll('The connection to the ViP server was closed');
    this.setState({ kind: 'closed' });
  }

  // ------------------------------------------------------------------ connection lifecycle

  private connect(): void {
    const url = this.options.url;
    if (url === null || this.stopped) return;
    this.attempt += 1;
    this.setState({ kind: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.openSocket(url);
    } catch (err) {
      this.scheduleRetry(`could not open a WebSocket: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.attempt = 0;
      this.setState({ kind: 'open' });
      for (const [id, entry] of this.pending) this.flush(id, entry);
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    // The close event always follows an error event and carries the code; handle everything there.
    socket.onerror = () => undefined;
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // Browsers hide why an upgrade failed (a refused token and a stopped server both read as 1006).
      const reason = REFUSED_CODES.has(ev.code)
        ? 'the server refused the access token; open the address `vip serve` printed'
        : !opened
          ? 'cannot reach the server; is `vip serve` running? After a restart, open the new address it printed'
          : ev.reason
            ? `the connection closed (${ev.code}: ${ev.reason})`
            : `the connection closed (code ${ev.code})`;
      this.rejectAll(`Lost the connection to the ViP server (${reason}) before it answered`);
      this.scheduleRetry(reason);
    };
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped) return;
    const delay = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** Math.max(0, this.attempt - 1));
    // Jitter keeps several tabs from hammering a restarting server in lockstep.
    const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
    this.setState({ kind: 'waiting', attempt: this.attempt, retryAt: Date.now() + wait, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, wait);
  }

  private flush(id: number, entry: PendingCall): void {
    if (entry.frame === null || !this.socket) return;
    const frame = entry.frame;
    entry.frame = null;
    try {
      this.socket.send(frame);
    } catch (err) {
      this.pending.delete(id);
      entry.reject(
        new RemoteError({
          code: 'unavailable',
          message: `Could not send ${entry.method} to the ViP server`,
          detail: err instanceof Error ? err.message : String(err),
        }),
      );
    }
  }

  private rejectAll(prefix: string): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const entry of calls) {
      const sent = entry.frame === null;
      entry.reject(
        new RemoteError({
          code: 'unavailable',
          message: sent
            ? `${prefix}: ${entry.method} may or may not have completed.`
            : `${prefix}: ${entry.method} was not sent.`,
        }),
      );
    }
  }

  private describeOffline(): string {
    if (this.state.kind === 'no-token') return 'Open the address `vip serve` printed (it carries ?token=...).';
    if (this.state.kind === 'waiting') {
      const s = Math.max(0, Math.ceil((this.state.retryAt - Date.now()) / 1000));
      return `Reconnecting in ${s} s (${this.state.reason}).`;
    }
    return 'The connection is closed.';
  }

  private setState(next: ConnectionState): void {
    this.state = next;
    for (const l of [...this.stateListeners]) l(next);
  }

  // ------------------------------------------------------------------ incoming messages

  private problem(message: string, detail: string): void {
    console.warn(`[vip] ${message}: ${detail}`);
    for (const l of [...this.problemListeners]) l({ message, detail });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') {
      this.problem('Ignored a binary message from the server', 'the protocol carries JSON text frames only');
      return;
    }
    let message: unknown;
    try {
      message = decodeWire(data);
    } catch (err) {
      this.problem('Ignored a message that is not valid JSON', `${err instanceof Error ? err.message : err}`);
      return;
    }
    if (message !== null && typeof message === 'object' && 'event' in message) this.receiveEvent(message);
    else this.receiveResponse(message);
  }

  private receiveEvent(message: object): void {
    const env = EventEnvelope.safeParse(message);
    if (!env.success) {
      this.problem('Ignored a malformed event', describeZodError(env.error));
      return;
    }
    const name = env.data.event;
    if (!Object.prototype.hasOwnProperty.call(events, name)) {
      this.problem('Ignored an unknown event', name.slice(0, 100));
      return;
    }
    const eventName = name as EventName;
    const payload = events[eventName].safeParse(env.data.payload);
    if (!payload.success) {
      this.problem(`Ignored an invalid ${eventName} event`, describeZodError(payload.error));
      return;
    }
    for (const handler of [...(this.handlers.get(eventName) ?? [])]) {
      try {
        handler(payload.data);
      } catch (err) {
        // One failing listener must not starve the others.
        console.error(`[vip] a ${eventName} listener failed`, err);
      }
    }
  }

  private receiveResponse(message: unknown): void {
    const env = ResponseEnvelope.safeParse(message);
    if (!env.success) {
      const id = message !== null && typeof message === 'object' && 'id' in message ? message.id : undefined;
      const entry = typeof id === 'number' ? this.pending.get(id) : undefined;
      this.problem('Ignored a malformed response', describeZodError(env.error));
      if (entry && typeof id === 'number') {
        this.pending.delete(id);
        entry.reject(
          new RemoteError({
            code: 'validation',
            message: `The server sent a malformed answer to ${entry.method}`,
            detail: describeZodError(env.error),
          }),
        );
      }
      return;
    }
    const entry = this.pending.get(env.data.id);
    if (!entry) {
      this.problem('Ignored a response to no pending request', `id ${env.data.id}`);
      return;
    }
    this.pending.delete(env.data.id);
    if (!env.data.ok) {
      entry.reject(new RemoteError(env.data.error));
      return;
    }
    try {
      entry.resolve(parseResult(entry.method, env.data.result));
    } catch (err) {
      const detail = err instanceof VipError ? err.message : String(err);
      this.problem(`Rejected an invalid ${entry.method} result`, detail);
      entry.reject(
        new RemoteError({ code: 'validation', message: `The server sent an invalid ${entry.method} result`, detail }),
      );
    }
  }
}
