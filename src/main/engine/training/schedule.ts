/**
 * The authors' learning-rate schedule (Dassl's ConstantWarmupScheduler wrapping CosineAnnealingLR, stepped once per
 * epoch): the warm-up epochs run at a constant small rate, then the cosine starts from the base rate. Dassl's
 * `max_epoch` counts the warm-up epochs too and the cosine's period is the whole `max_epoch`, so the last epoch never
 * reaches zero: with E epochs and one warm-up epoch, epoch e (0-based, e >= 1) runs at
 * `lr · (1 + cos(π (e − 1) / E)) / 2`.
 */
export interface LrSchedule {
  /** Base learning rate (the authors' ViP config: 0.002). */
  lr: number;
  /** Total epochs, warm-up included (the authors: 50). */
  epochs: number;
  /** Epochs at the constant warm-up rate (the authors: 1). */
  warmupEpochs: number;
  /** The warm-up rate (the authors: 1e-5). */
  warmupLr: number;
}

export function learningRateAt(epoch: number, s: LrSchedule): number {
  if (epoch < s.warmupEpochs) return s.warmupLr;
  const t = epoch - s.warmupEpochs;
  return (s.lr * (1 + Math.cos((Math.PI * t) / s.epochs))) / 2;
}
