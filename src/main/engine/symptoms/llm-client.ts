/**
 * A client for the OpenAI-compatible chat completions API (hosted models and local servers such as Ollama, llama.cpp
 * server or vLLM). Each attempt has a timeout; 429 and 5xx answers and dropped connections are retried with
 * exponential backoff, honouring Retry-After; an AbortSignal cancels at once, sleeps included. Failures become one
 * line a person can act on, never with the API key in it.
 */
import { VipError, badInput } from '@shared/errors';
import { redact } from './secret-store';

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface ChatEndpoint {
  /** E.g. http://127.0.0.1:11434/v1 ("/chat/completions" is appended unless the URL already ends with it). */
  baseUrl: string;
  model: string;
  apiKey?: string | null;
}

export interface RetryInfo {
  attempt: number;
  waitMs: number;
  reason: string;
}

export interface ChatClientOptions {
  /** Per attempt, headers and body together. Default 120 s. */
  timeoutMs?: number;
  /** Attempts after the first one. Default 4. */
  maxRetries?: number;
  /** First backoff; doubles each retry up to maxBackoffMs. Default 1 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A Retry-After longer than this fails at once instead of waiting. Default 120 s. */
  maxRetryAfterMs?: number;
  /** Injected in tests. */
  fetch?: typeof fetch;
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface ChatAnswer {
  content: string;
  /** The model the server says answered (may differ from the one asked for). */
  model: string;
  finishReason: string | null;
  attempts: number;
  ms: number;
}

export interface ChatClient {
  readonly endpoint: { url: string; model: string };
  complete(request: CompletionRequest): Promise<ChatAnswer>;
}

const RETRY_STATUS = (status: number): boolean => status === 429 || status === 408 || status >= 500;

/** The URL of the chat completions resource for a base URL; a bad URL is the user's to fix. */
export function completionsUrl(baseUrl: string): string {
  const trimmed = baseUrl.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw badInput(`LLM base URL "${baseUrl}" is not a URL (expected e.g. http://127.0.0.1:11434/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badInput(`LLM base URL "${baseUrl}" must start with http:// or https://`);
  }
  if (url.username || url.password) throw badInput('LLM base URL must not carry a user name or password');
  return trimmed.endsWith('/chat/completions') ? trimmed : `${trimmed}/chat/completions`;
}

export function createChatClient(endpoint: ChatEndpoint, options: ChatClientOptions = {}): ChatClient {
  const url = completionsUrl(endpoint.baseUrl);
  const model = endpoint.model.trim();
  if (model === '') throw badInput('no LLM model name given (the model the endpoint should use, e.g. llama3.2-vision)');
  const apiKey = endpoint.apiKey?.trim() || null;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxRetries = options.maxRetries ?? 4;
  const initialBackoff = options.initialBackoffMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 120_000;
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? Math.random;
  const host = safeHost(url);
  const clean = (text: string): string => redact(text, apiKey);

  async function attempt(body: string, signal: AbortSignal | undefined): Promise<AttemptOutcome> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (apiKey) headers['authorization'] = `Bearer ${apiKey}`;
    try {
      const response = await doFetch(url, { method: 'POST', headers, body, signal: combined });
      const text = await response.text();
      return {
        kind: 'response',
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        text,
      };
    } catch (err) {
      if (signal?.aborted) throw new VipError('cancelled', 'the LLM request was cancelled');
      if (timeout.aborted) {
        throw new VipError(
          'unavailable',
          `the LLM at ${host} did not answer within ${duration(timeoutMs)} (a slow model may need a longer timeout)`,
        );
      }
      return { kind: 'network', code: networkCode(err), message: clean(errorMessage(err)) };
    }
  }

  return {
    endpoint: { url, model },
    async complete(request) {
      const body = JSON.stringify({
        model,
        messages: request.messages,
        temperature: request.temperature ?? 0.2,
        ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
        stream: false,
      });
      const started = Date.now();
      for (let n = 0; ; n++) {
        if (request.signal?.aborted) throw new VipError('cancelled', 'the LLM request was cancelled');
        const outcome = await attempt(body, request.signal);
        let retryReason: string;
        let waitMs: number;
        const backoff = Math.min(maxBackoff, initialBackoff * 2 ** n) * (0.5 + random() / 2);
        if (outcome.kind === 'network') {
          if (!TRANSIENT_NETWORK.has(outcome.code)) {
            throw new VipError(
              'unavailable',
              `cannot reach the LLM at ${host} (${describeNetwork(outcome.code, outcome.message)})`,
            );
          }
          retryReason = `connection problem (${outcome.code})`;
          waitMs = backoff;
        } else if (outcome.status >= 200 && outcome.status < 300) {
          return { ...parseCompletion(outcome.text, host, clean), attempts: n + 1, ms: Date.now() - started };
        } else if (RETRY_STATUS(outcome.status)) {
          retryReason = `${outcome.status} ${outcome.statusText || statusWord(outcome.status)}`.trim();
          const asked = retryAfterMs(outcome.headers.get('retry-after'));
          if (asked !== null && asked > maxRetryAfter) {
            throw new VipError(
              'unavailable',
              `the LLM at ${host} answered ${retryReason} and asks to wait ${Math.ceil(asked / 1000)} s; try again later`,
            );
          }
          waitMs = asked ?? backoff;
        } else {
          throw clientError(outcome, host, clean);
        }
        if (n >= maxRetries) {
          throw new VipError(
            'unavailable',
            `the LLM at ${host} kept failing: ${retryReason} after ${n + 1} attempts; try again later`,
          );
        }
        options.onRetry?.({ attempt: n + 1, waitMs, reason: retryReason });
        await sleep(waitMs, request.signal);
      }
    },
  };
}

type AttemptOutcome =
  | { kind: 'response'; status: number; statusText: string; headers: Headers; text: string }
  | { kind: 'network'; code: string; message: string };

/** Connection failures worth another try; a refused connection or an unknown host is not going to change in seconds. */
const TRANSIENT_NETWORK = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

function networkCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return 'network error';
}

function errorMessage(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  const inner = cause instanceof Error ? cause.message : '';
  return inner || (err instanceof Error ? err.message : String(err));
}

function describeNetwork(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: is the server running?';
    case 'ENOTFOUND':
      return 'unknown host';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return `${code}: ${message}`.slice(0, 200);
  }
}

function statusWord(status: number): string {
  const words: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    408: 'Request Timeout',
    413: 'Payload Too Large',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return words[status] ?? '';
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** Retry-After as milliseconds: delta seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new VipError('cancelled', 'the LLM request was cancelled'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new VipError('cancelled', 'the LLM request was cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The server's own error message, when it sent the usual `{"error": {"message": ...}}`. */
function serverMessage(text: string): string | null {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      const error = (body as { error?: unknown }).error;
      if (typeof error === 'string') return error;
      if (error && typeof error === 'object') {
        const message = (error as { message?: unknown }).message;
        if (typeof message === 'string') return message;
      }
      const message = (body as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const raw = text.replace(/\s+/g, ' ').trim();
  return raw === '' || raw.startsWith('<') ? null : raw;
}

function clientError(
  outcome: Extract<AttemptOutcome, { kind: 'response' }>,
  host: string,
  clean: (t: string) => string,
): VipError {
  const status = `${outcome.status} ${outcome.statusText || statusWord(outcome.status)}`.trim();
  const said = serverMessage(outcome.text);
  const detail = said ? `: ${clean(said).slice(0, 200)}` : '';
  if (outcome.status === 401 || outcome.status === 403) {
    return badInput(
      `the LLM at ${host} refused the request (${status})${detail}; check the API key (VIP_LLM_API_KEY, or the key on the Symptoms screen)`,
    );
  }
  if (outcome.status === 404) {
    return badInput(
      `the LLM at ${host} has no chat completions endpoint there or no such model (${status})${detail}; the base URL usually ends in /v1`,
    );
  }
  return badInput(`the LLM at ${host} refused the request (${status})${detail}`);
}

function parseCompletion(
  text: string,
  host: string,
  clean: (t: string) => string,
): Omit<ChatAnswer, 'attempts' | 'ms'> {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new VipError(
      'unavailable',
      `the LLM at ${host} answered with something that is not JSON: "${clean(text).replace(/\s+/g, ' ').slice(0, 80)}"`,
    );
  }
  const choices = (body as { choices?: unknown } | null)?.choices;
  const first = Array.isArray(choices) ? (choices[0] as unknown) : undefined;
  const message = (first as { message?: unknown } | undefined)?.message;
  const content = (message as { content?: unknown } | undefined)?.content;
  const joined =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content
            .map((p: unknown) => (p && typeof p === 'object' ? (p as { text?: unknown }).text : undefined))
            .filter((t): t is string => typeof t === 'string')
            .join('\n')
        : null;
  if (joined === null) {
    throw new VipError('unavailable', `the LLM at ${host} answered without a message (not a chat completion)`);
  }
  const model = (body as { model?: unknown }).model;
  const finish = (first as { finish_reason?: unknown }).finish_reason;
  return {
    content: joined,
    model: typeof model === 'string' ? model : '',
    finishReason: typeof finish === 'string' ? finish : null,
  };
}

/** The host part of a URL, for messages (never the path's query, which might carry a token). */
function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the LLM endpoint';
  }
}
