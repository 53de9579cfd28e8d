/**
 * Runs at most `concurrency` tasks at a time. A queued task whose signal aborts before it starts never runs, so
 * rows scrolled past quickly in the worklist do not cost a thumbnail render each.
 */
export interface Limiter {
  run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T>;
}

export function createLimiter(concurrency: number): Limiter {
  let active = 0;
  const queue: Array<() => void> = [];
  const next = (): void => {
    while (active < concurrency && queue.length > 0) queue.shift()?.();
  };
  return {
    run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = (): void => {
          if (signal.aborted) {
            reject(new DOMException('aborted', 'AbortError'));
            return;
          }
          active++;
          task()
            .then(resolve, reject)
            .finally(() => {
              active--;
              next();
            });
        };
        queue.push(start);
        next();
      });
    },
  };
}
