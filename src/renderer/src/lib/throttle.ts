/**
 * Calls fn at most once per `ms`, always once more after the last request: a burst of cases.changed events during a
 * long import turns into a steady refresh rather than hundreds of reloads, and the final state is always shown.
 */
export interface Throttled {
  (): void;
  cancel(): void;
}

export function throttleTrailing(fn: () => void, ms: number): Throttled {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const fire = (): void => {
    timer = null;
    last = Date.now();
    fn();
  };
  const throttled = (): void => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(fire, wait);
  };
  throttled.cancel = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return throttled;
}
