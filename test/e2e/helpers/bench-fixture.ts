/** A complete, schema-valid `vip bench` result with made-up figures, for screens that show the latest benchmark. */
import { saveBench, type BenchPhases, type BenchResult } from '../../../src/main/engine/bench/bench-result';
import { evaluateTargets } from '../../../src/main/engine/bench/run-bench';

const MB = 2 ** 20;
const rss = (mb: number) => ({ peakRssBytes: mb * MB, rssScope: 'phase-process' as const });
const epochRun = (schedule: string, contextEvery: number, seconds: number) => ({
  schedule,
  engine: 'onnx-vjp',
  contextEvery,
  epochSeconds: [seconds, seconds, seconds],
  rssAfterEpochBytes: [900 * MB, 902 * MB, 902 * MB],
  tensorsAfterEpoch: [41, 41, 41],
});

export function sampleBench(): BenchResult {
  const phases: BenchPhases = {
    decode: {
      image: '2048x2048 16-bit DX',
      images: 4,
      decodeSecondsPerImage: 0.1,
      preprocessSecondsPerImage: 0.05,
      secondsPerImage: 0.15,
      ...rss(300),
    },
    imageEmbedding: {
      batch1SecondsPerImage: 0.137,
      batch8SecondsPerImage: 0.127,
      batch8CpuSecondsPerImage: 0.27,
      runs: { batch1: 4, batch8: 2 },
      ...rss(800),
    },
    textSide: { classes: 2, symptomsPerClass: 4, nCtx: 4, seconds: 0.06, runs: 3, ...rss(600) },
    trainingStep: {
      batch: 32,
      prompts: 8,
      promptLength: 20,
      nCtx: 4,
      engines: {
        'onnx-vjp': { secondsPerStep: 0.18, cpuSecondsPerStep: 0.31, steps: 5 },
        tfjs: { secondsPerStep: 1.21, cpuSecondsPerStep: 1.2, steps: 3 },
      },
      auto: { name: 'onnx-vjp', reason: 'auto: onnx-vjp 0.18 s, tfjs 1.21 s' },
      secondsPerStep: 0.18,
      ...rss(2000),
    },
    epoch: {
      images: 4710,
      valImages: 522,
      batch: 32,
      stepsPerEpoch: 147,
      exact: epochRun('exact', 1, 24.2),
      fast: epochRun('fast', 8, 4.8),
      exactScheduleMinutesExtrapolated: 20.2,
      fastScheduleMinutesExtrapolated: 4.0,
      ...rss(2600),
    },
    featureExtraction: {
      image: '2048x2048 16-bit DX',
      images: 16,
      batch: 16,
      seconds: 4.4,
      imagesPerSecond: 3.6,
      ...rss(900),
    },
    cliPredict: null,
    schedules: null,
  };
  return {
    format: 1,
    preset: 'vit-b16',
    startedAt: '2026-11-20T10:00:00.000Z',
    finishedAt: '2026-11-20T10:20:00.000Z',
    isolation: 'child-process',
    machine: {
      cores: 2,
      cpuModel: 'Test CPU',
      totalMemoryBytes: 8 * 2 ** 30,
      platform: 'linux',
      arch: 'x64',
      node: 'v20',
      loadAverageStart: [1, 1, 1],
      loadAverageEnd: [1, 1, 1],
    },
    backends: {
      onnxruntime: 'onnxruntime-node 1.30.0',
      onnxExecutionProvider: 'cpu',
      tfjsBackend: 'wasm',
      tfjsSimd: true,
      trainingTextEngine: 'onnx-vjp',
    },
    package: { id: 'bench-vit-b16', reused: true, seconds: 0 },
    phases,
    targets: evaluateTargets('vit-b16', phases),
  };
}

export const writeSampleBench = (benchmarksDir: string): Promise<string> => saveBench(benchmarksDir, sampleBench());
