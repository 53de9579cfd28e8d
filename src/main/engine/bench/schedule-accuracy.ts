/**
 * The synthetic benchmark behind the `fast` schedule: the same training data (4,710 cached features and 522 for
 * validation, the sizes of the authors' Pneumonia split; overlapping classes so accuracy is well below 100 %), the
 * same seeds and the authors' settings otherwise, trained to the end with `exact` and with `fast`; the best epoch on
 * validation is scored on test, as the authors do. The test set is 10,000 features rather than 624, so that a point
 * of difference is not test-sampling noise (its standard error is about 0.4 points here, 1.6 with 624). Runs on the tiny bench model: a full 50-epoch exact
 * run on ViT-B/16 would take the hour the fast schedule is there to save.
 */
import * as tf from '@tensorflow/tfjs-core';
import { scheduleOptions, type ScheduleName } from '../training/schedules';
import { chooseTextEngine } from '../training/text-backprop-choice';
import { trainHead } from '../training/trainer';
import type { ModelPackage } from '../model/package';
import { defaultHeadConfig } from '../vip/config';
import { ViPHead } from '../vip/head';
import { benchFeatures, type BenchFeatures } from './bench-data';
import type { BenchPhases } from './bench-result';
import { trainingSetup } from './phases';

export interface ScheduleAccuracyOptions {
  seeds?: readonly number[];
  epochs?: number;
  log?: (line: string) => void;
}

/** The class separation of the benchmark's features: accuracy around 90 %, so a point of difference shows. */
export const SCHEDULE_BENCH_SEPARATION = 0.55;

function accuracyOf(head: ViPHead, data: BenchFeatures): number {
  const d = head.embedDim;
  const predicted = tf.tidy(() => {
    const x = tf.tensor2d(data.features, [data.labels.length, d]);
    return tf.argMax(head.forward(x), 1).dataSync() as Int32Array;
  });
  let hits = 0;
  for (let i = 0; i < data.labels.length; i++) if (predicted[i] === data.labels[i]) hits++;
  return hits / data.labels.length;
}

export async function scheduleAccuracy(
  pkg: ModelPackage,
  options: ScheduleAccuracyOptions = {},
): Promise<BenchPhases['schedules'] & object> {
  const seeds = options.seeds ?? [1, 2, 3];
  const epochs = options.epochs ?? 50;
  const log = options.log ?? (() => undefined);
  const setup = await trainingSetup(pkg);
  try {
    const d = setup.head.embedDim;
    const c = setup.head.classes.length;
    const train = benchFeatures(4710, d, c, 'schedules-train', SCHEDULE_BENCH_SEPARATION);
    const val = benchFeatures(522, d, c, 'schedules-val', SCHEDULE_BENCH_SEPARATION);
    const test = benchFeatures(10_000, d, c, 'schedules-test', SCHEDULE_BENCH_SEPARATION);
    const runs: Record<ScheduleName, { accuracy: number[]; seconds: number[] }> = {
      exact: { accuracy: [], seconds: [] },
      fast: { accuracy: [], seconds: [] },
    };
    for (const seed of seeds) {
      for (const schedule of ['exact', 'fast'] as const) {
        const contextEvery = scheduleOptions(schedule).contextEvery ?? 1;
        const head = new ViPHead({
          tower: setup.tower,
          prompts: setup.head.promptBatch,
          classes: setup.head.classes,
          config: defaultHeadConfig,
          seed,
        });
        const engine = await chooseTextEngine({
          choice: 'onnx-vjp',
          head,
          tower: setup.tower,
          config: pkg.manifest.architecture,
          weights: setup.weights,
          contextEvery,
        });
        try {
          const start = performance.now();
          const result = await trainHead({
            head,
            train: { features: train.features, views: 1, labels: train.labels },
            val,
            options: { epochs, seed, contextEvery },
            text: engine.text,
          });
          const seconds = (performance.now() - start) / 1000;
          const best = new ViPHead({
            tower: setup.tower,
            prompts: setup.head.promptBatch,
            classes: setup.head.classes,
            config: defaultHeadConfig,
            init: result.best,
          });
          const accuracy = accuracyOf(best, test);
          best.dispose();
          runs[schedule].accuracy.push(accuracy);
          runs[schedule].seconds.push(seconds);
          log(
            `schedule ${schedule}, seed ${seed}: test accuracy ${(100 * accuracy).toFixed(2)} % (${seconds.toFixed(0)} s)`,
          );
        } finally {
          head.dispose();
          await engine.text?.dispose();
        }
      }
    }
    const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const summary = (s: ScheduleName) => ({ ...runs[s], meanAccuracy: mean(runs[s].accuracy) });
    return {
      benchmark: `synthetic cached features (${c} classes, overlapping), tiny bench model text tower, authors' settings`,
      seeds: [...seeds],
      epochs,
      trainImages: train.labels.length,
      testImages: test.labels.length,
      exact: summary('exact'),
      fast: summary('fast'),
      differencePoints: 100 * (mean(runs.fast.accuracy) - mean(runs.exact.accuracy)),
    };
  } finally {
    setup.dispose();
  }
}
