/**
 * The chat completions client against a real HTTP server on 127.0.0.1: answers, images as content parts, retries on
 * 429 (honouring Retry-After) and 5xx, a 429 storm, a refused key, a dead endpoint, a timeout, cancellation, and
 * answers that are not chat completions. The API key never appears in an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '../../src/shared/errors';
import {
  completionsUrl,
  createChatClient,
  retryAfterMs,
  type RetryInfo,
} from '../../src/main/engine/symptoms/llm-client';
import { completion, deadEndpoint, imageUrls, startFakeLlm, type FakeLlm } from './helpers/fake-llm';

let llm: FakeLlm;
const KEY = 'sk-test-secret-0123456789';

beforeAll(async () => {
  llm = await startFakeLlm(() => ({ body: completion('1. a') }));
});
afterAll(() => llm.close());

/** Resets the server to `handler` and forgets earlier requests. */
function serve(handler: Parameters<FakeLlm['setHandler']>[0]): void {
  llm.requests.length = 0;
  llm.setHandler(handler);
}

async function failure(p: Promise<unknown>): Promise<VipError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VipError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

const ask = { messages: [{ role: 'user' as const, content: 'hello' }] };

describe('chat completions client', () => {
  it('posts the model, the messages and the key, and returns the answer', async () => {
    serve(() => ({ body: completion('1. white patches\n2. dark fields', 'served-model') }));
    const client = createChatClient({ baseUrl: `${llm.url}/`, model: 'asked-model', apiKey: KEY });
    const answer = await client.complete({
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what do you see?' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
          ],
        },
      ],
    });
    expect(answer.content).toBe('1. white patches\n2. dark fields');
    expect(answer.model).toBe('served-model');
    expect(answer.attempts).toBe(1);
    const req = llm.requests[0];
    expect(req?.path).toBe('/v1/chat/completions');
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.body.model).toBe('asked-model');
    expect(req?.body.messages[0]).toEqual({ role: 'system', content: 'be brief' });
    expect(imageUrls(req!.body)).toEqual(['data:image/jpeg;base64,AAAA']);
  });

  it('sends no authorization header without a key', async () => {
    serve(() => ({ body: completion('ok') }));
    await createChatClient({ baseUrl: llm.url, model: 'm' }).complete(ask);
    expect(llm.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('waits as long as Retry-After says on a 429, then succeeds', async () => {
    serve((_r, i) =>
      i === 0
        ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } }
        : { body: completion('fine') },
    );
    const retries: RetryInfo[] = [];
    // The backoff alone would wait ~10 ms: a 1000 ms wait can only come from the header.
    const client = createChatClient(
      { baseUrl: llm.url, model: 'm' },
      { initialBackoffMs: 10, onRetry: (r) => retries.push(r) },
    );
    const answer = await client.complete(ask);
    expect(answer.content).toBe('fine');
    expect(answer.attempts).toBe(2);
    expect(retries).toEqual([{ attempt: 1, waitMs: 1000, reason: '429 Too Many Requests' }]);
  });

  it('retries 5xx answers and dropped connections with backoff', async () => {
    serve((_r, i) =>
      i === 0 ? { hangUp: true } : i < 3 ? { status: i === 1 ? 503 : 500, body: 'down' } : { body: completion('back') },
    );
    const retries: RetryInfo[] = [];
    const client = createChatClient(
      { baseUrl: llm.url, model: 'm' },
      { initialBackoffMs: 5, random: () => 1, onRetry: (r) => retries.push(r) },
    );
    const answer = await client.complete(ask);
    expect(answer).toMatchObject({ content: 'back', attempts: 4 });
    // Exponential: 5, 10, 20 ms (random() = 1 takes the full step).
    expect(retries.map((r) => [r.reason, r.waitMs])).toEqual([
      ['connection problem (UND_ERR_SOCKET)', 5],
      ['503 Service Unavailable', 10],
      ['500 Internal Server Error', 20],
    ]);
  });

  it('gives up on a 429 storm after the retries, with one clear line', async () => {
    serve(() => ({ status: 429, body: { error: { message: 'rate limited' } } }));
    const client = createChatClient({ baseUrl: llm.url, model: 'm' }, { initialBackoffMs: 1, maxRetries: 2 });
    const err = await failure(client.complete(ask));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/kept failing: 429 Too Many Requests after 3 attempts/);
    expect(llm.requests).toHaveLength(3);
  });

  it('fails at once when Retry-After asks for longer than it will wait', async () => {
    serve(() => ({ status: 503, headers: { 'retry-after': '3600' } }));
    const client = createChatClient({ baseUrl: llm.url, model: 'm' }, { maxRetryAfterMs: 60_000 });
    const err = await failure(client.complete(ask));
    expect(err.message).toMatch(/asks to wait 3600 s/);
    expect(llm.requests).toHaveLength(1);
  });

  it('reports a refused key as bad input, never echoing the key', async () => {
    serve(() => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } }));
    const client = createChatClient({ baseUrl: llm.url, model: 'm', apiKey: KEY });
    const err = await failure(client.complete(ask));
    expect(err.code).toBe('bad_input');
    expect(err.message).toMatch(/refused the request \(401 Unauthorized\).*check the API key/);
    expect(err.message).not.toContain(KEY);
    expect(err.message).toContain('[API key]');
    expect(llm.requests).toHaveLength(1);
  });

  it('reports a dead endpoint at once, without retrying', async () => {
    const url = await deadEndpoint();
    const retries: RetryInfo[] = [];
    const client = createChatClient({ baseUrl: url, model: 'm' }, { onRetry: (r) => retries.push(r) });
    const err = await failure(client.complete(ask));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/^cannot reach the LLM at http:\/\/127\.0\.0\.1:\d+ \(connection refused/);
    expect(err.message).not.toMatch(/\n/);
    expect(retries).toEqual([]);
  });

  it('times out a slow answer', async () => {
    serve(() => ({ delayMs: 10_000, body: completion('too late') }));
    const client = createChatClient({ baseUrl: llm.url, model: 'm' }, { timeoutMs: 300, maxRetries: 0 });
    const err = await failure(client.complete(ask));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/did not answer within 300 ms/);
  });

  it('cancels a request in flight and a retry wait', async () => {
    serve(() => ({ delayMs: 10_000, body: completion('never') }));
    const client = createChatClient({ baseUrl: llm.url, model: 'm' });
    const inFlight = new AbortController();
    const pending = client.complete({ ...ask, signal: inFlight.signal });
    setTimeout(() => inFlight.abort(), 100);
    expect((await failure(pending)).code).toBe('cancelled');

    serve(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    const waiting = new AbortController();
    const slowClient = createChatClient(
      { baseUrl: llm.url, model: 'm' },
      { onRetry: () => setTimeout(() => waiting.abort(), 50) },
    );
    expect((await failure(slowClient.complete({ ...ask, signal: waiting.signal }))).code).toBe('cancelled');
    expect(llm.requests).toHaveLength(1);
  });

  it('refuses answers that are not chat completions', async () => {
    serve(() => ({ body: '<html>proxy error page</html>' }));
    const client = createChatClient({ baseUrl: llm.url, model: 'm' });
    expect((await failure(client.complete(ask))).message).toMatch(/not JSON/);
    serve(() => ({ body: { choices: [] } }));
    expect((await failure(client.complete(ask))).message).toMatch(/without a message/);
  });

  it('joins an answer given as content parts', async () => {
    serve(() => ({
      body: { model: 'm', choices: [{ message: { content: [{ type: 'text', text: '1. a' }, { text: '2. b' }] } }] },
    }));
    expect((await createChatClient({ baseUrl: llm.url, model: 'm' }).complete(ask)).content).toBe('1. a\n2. b');
  });
});

describe('endpoint and header parsing', () => {
  it('appends /chat/completions once and refuses what is not an http(s) URL', () => {
    expect(completionsUrl('http://127.0.0.1:11434/v1/')).toBe('http://127.0.0.1:11434/v1/chat/completions');
    expect(completionsUrl('https://x.test/v1/chat/completions')).toBe('https://x.test/v1/chat/completions');
    expect(() => completionsUrl('localhost:11434')).toThrow(/must start with http/);
    expect(() => completionsUrl('not a url')).toThrow(/is not a URL/);
    expect(() => createChatClient({ baseUrl: 'http://x.test/v1', model: ' ' })).toThrow(/no LLM model/);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('0.5')).toBe(500);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});
