/**
 * A training time estimate from this machine's own history: seconds per image-epoch of the latest trained version
 * (its recorded timing and training-set size), scaled to the planned epochs and images. No history, no estimate.
 */
import type { ModelVersionInfo } from '@shared/contract';

export interface Estimate {
  seconds: number;
  basis: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);

function field(o: unknown, key: string): unknown {
  return o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;
}

export function estimateTraining(
  versions: readonly ModelVersionInfo[] | null,
  plan: { epochs: number; trainImages: number; views: number },
): Estimate | null {
  if (!versions || plan.trainImages <= 0) return null;
  for (const v of [...versions].sort((a, b) => b.id - a.id)) {
    const perEpoch = num(field(field(v.metrics, 'timing'), 'secondsPerEpoch'));
    const train = num(field(field(v.metrics, 'counts'), 'train'));
    if (perEpoch === null || train === null) continue;
    const perImageEpoch = perEpoch / train;
    return {
      seconds: perImageEpoch * plan.trainImages * plan.epochs * Math.max(1, plan.views),
      basis: `version #${v.id}: ${perEpoch.toFixed(1)} s per epoch for ${train} training images`,
    };
  }
  return null;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
