/** Seeded permutations, shared by the trainer (batch order) and the dataset (validation split). */
import type { Prng } from '../model/prng';

/** 0..n-1 in a seeded random order (Fisher-Yates). */
export function shuffled(n: number, rng: Prng): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1);
    const t = a[i] ?? 0;
    a[i] = a[j] ?? 0;
    a[j] = t;
  }
  return a;
}
