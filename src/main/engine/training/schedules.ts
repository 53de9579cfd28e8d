/**
 * Named training schedules. `exact` is the authors' (VIP_METHOD.md §3): every step updates the CoP context and MeP.
 * `fast` keeps every setting but updates the context every 8 steps (MeP still every step): its 8 gradients are
 * taken at the same context, summed through one VJP, and the context's optimizer replays the 8 steps with their
 * mean (text-backprop-step.ts). The frozen text tower then runs forward and backward once per 8 steps instead of
 * every step, which is almost all of a step's cost. Its accuracy against `exact` on the synthetic benchmark is measured by
 * `vip bench --schedules` (bench/schedule-accuracy.ts) and reported in the README: within 0.1 point, at about a
 * fifth of the time, so `fast` is the default and `exact` stays one option away.
 */
import { badInput } from '@shared/errors';
import type { TrainOptions } from './trainer';

export const scheduleNames = ['exact', 'fast'] as const;
export type ScheduleName = (typeof scheduleNames)[number];

/** What training uses when no schedule is named (CLI, `training.start`). */
export const DEFAULT_SCHEDULE: ScheduleName = 'fast';

/** The fast schedule's context update interval. */
export const FAST_CONTEXT_EVERY = 8;

/** What a schedule sets on top of the other training options. */
export function scheduleOptions(name: ScheduleName): Pick<TrainOptions, 'contextEvery'> {
  switch (name) {
    case 'exact':
      return { contextEvery: 1 };
    case 'fast':
      return { contextEvery: FAST_CONTEXT_EVERY };
  }
}

/** The schedule a context update interval belongs to (as recorded with a run and its model version). */
export function scheduleOf(contextEvery: number | undefined): ScheduleName | `every ${number} steps` {
  const every = contextEvery ?? 1;
  if (every === 1) return 'exact';
  if (every === FAST_CONTEXT_EVERY) return 'fast';
  return `every ${every} steps`;
}

export function parseScheduleName(value: string): ScheduleName {
  if (!(scheduleNames as readonly string[]).includes(value)) {
    throw badInput(`schedule must be one of ${scheduleNames.join(', ')}, got "${value}"`);
  }
  return value as ScheduleName;
}
