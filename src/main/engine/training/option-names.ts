/**
 * Names and defaults of the training options without the trainer behind them (no tfjs, no sharp), so command
 * lines and forms can offer them at start-up.
 */
import type { TrainOptions } from './trainer';

export const optimizerNames = ['sgd', 'adam'] as const;
export type OptimizerName = (typeof optimizerNames)[number];

export const splitNames = ['train', 'val', 'test'] as const;
export type SplitName = (typeof splitNames)[number];

/** The authors' settings (VIP_METHOD.md §3). */
export const defaultTrainOptions: TrainOptions = {
  epochs: 50,
  batchSize: 32,
  lr: 0.002,
  optimizer: 'sgd',
  weightDecay: 5e-4,
  momentum: 0.9,
  warmupEpochs: 1,
  warmupLr: 1e-5,
  seed: 1,
};
