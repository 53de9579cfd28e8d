/** Retrying a PACS request after a transient failure (dropped connection, refused, 502/503/504), with backoff. */
import { PacsRequestError } from './pacs-client';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the second try; doubled before each further one. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500 };

export async function withRetry<T>(policy: RetryPolicy, isCancelled: () => boolean, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const transient = err instanceof PacsRequestError && err.transient;
      if (!transient || attempt >= policy.attempts || isCancelled()) throw err;
      await new Promise((r) => setTimeout(r, policy.baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
