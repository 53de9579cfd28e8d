/**
 * How long training may take on this machine, from its latest `vip bench` (the ViT-B/16 preset when there is one,
 * the real model's size; else the tiny one, and the basis says so). The bench measured epochs of 4,710 cached
 * training features plus validation on 522 at batch 32 with each schedule, and feature extraction in images per
 * second; those are scaled to the images of the dataset at hand. An estimate, not a promise: the load on the
 * machine moves these figures by a factor of two (README, Performance).
 */
import type { TrainingPreview } from '@shared/contract';
import { latestBench } from '../bench/bench-result';

export type TrainingEstimate = NonNullable<TrainingPreview['estimate']>;

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export async function estimateTrainingTime(
  benchmarksDir: string,
  images: { train: number; val: number; test: number },
): Promise<TrainingEstimate | null> {
  const found = (await latestBench(benchmarksDir, 'vit-b16')) ?? (await latestBench(benchmarksDir, 'tiny'));
  if (!found) return null;
  const { preset, finishedAt, phases } = found.result;
  const { epoch, featureExtraction } = phases;
  const benchImages = epoch.images + epoch.valImages;
  if (benchImages <= 0 || featureExtraction.imagesPerSecond <= 0) return null;
  const scale = (images.train + images.val) / benchImages;
  return {
    secondsPerEpoch: {
      exact: mean(epoch.exact.epochSeconds) * scale,
      fast: mean(epoch.fast.epochSeconds) * scale,
    },
    featureSeconds: (images.train + images.val + images.test) / featureExtraction.imagesPerSecond,
    basis:
      preset === 'vit-b16'
        ? `vip bench of ${finishedAt.slice(0, 10)} with a ViT-B/16-sized model`
        : `vip bench of ${finishedAt.slice(0, 10)} with the tiny demo model (a ViT-B/16 model takes far longer; run vip bench --preset vit-b16)`,
  };
}
