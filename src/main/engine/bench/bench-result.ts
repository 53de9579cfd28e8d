/**
 * What `vip bench` reports and saves: one JSON document per run under `<data>/benchmarks/`, named by its start time
 * (`bench-<preset>-<time>.json`), written whole (temporary file, then rename). `latestBench` reads the newest valid
 * one for the models screen. Every figure says what it measured; extrapolated figures say so in their name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const benchPresets = ['tiny', 'vit-b16'] as const;

/** The phases every run measures, in order (phases.ts). */
export const phaseNames = [
  'decode',
  'imageEmbedding',
  'textSide',
  'trainingStep',
  'epoch',
  'featureExtraction',
] as const;
export type PhaseName = (typeof phaseNames)[number];
export type BenchPreset = (typeof benchPresets)[number];

const seconds = z.number().nonnegative();
const bytes = z.number().int().nonnegative();

/** Peak resident set size of the process that ran a phase (`whole-run`: of one process that ran every phase). */
const rss = { peakRssBytes: bytes, rssScope: z.enum(['phase-process', 'whole-run']) };

export const decodePhaseSchema = z.object({
  image: z.string(),
  images: z.number().int().positive(),
  decodeSecondsPerImage: seconds,
  preprocessSecondsPerImage: seconds,
  secondsPerImage: seconds,
  ...rss,
});

/**
 * CPU seconds are those of the whole process, every thread: on an otherwise idle machine the wall time is about
 * that divided by the cores that work in parallel; on a busy one they show what the work itself costs.
 */
export const imagePhaseSchema = z.object({
  batch1SecondsPerImage: seconds,
  batch8SecondsPerImage: seconds,
  batch8CpuSecondsPerImage: seconds,
  runs: z.object({ batch1: z.number().int(), batch8: z.number().int() }),
  ...rss,
});

export const textPhaseSchema = z.object({
  classes: z.number().int(),
  symptomsPerClass: z.number().int(),
  nCtx: z.number().int(),
  /** Symptom features and MeP of a model version, through text-embeds.onnx (what a version computes once). */
  seconds,
  runs: z.number().int(),
  ...rss,
});

const stepEngineSchema = z.object({ secondsPerStep: seconds, cpuSecondsPerStep: seconds, steps: z.number().int() });
export const stepPhaseSchema = z.object({
  batch: z.number().int(),
  prompts: z.number().int(),
  promptLength: z.number().int(),
  nCtx: z.number().int(),
  engines: z.object({ 'onnx-vjp': stepEngineSchema.nullable(), tfjs: stepEngineSchema.nullable() }),
  /** What `auto` picks on this machine and the probe it based that on. */
  auto: z.object({ name: z.string(), reason: z.string() }),
  secondsPerStep: seconds,
  ...rss,
});

const epochRunSchema = z.object({
  schedule: z.string(),
  engine: z.string(),
  contextEvery: z.number().int(),
  epochSeconds: z.array(seconds),
  rssAfterEpochBytes: z.array(bytes),
  /** tfjs tensors alive after each epoch: a tensor leaked per step shows here exactly, whatever the allocator does. */
  tensorsAfterEpoch: z.array(z.number().int()).default([]),
});
export const epochPhaseSchema = z.object({
  images: z.number().int(),
  valImages: z.number().int(),
  batch: z.number().int(),
  stepsPerEpoch: z.number().int(),
  exact: epochRunSchema,
  fast: epochRunSchema,
  /** 50 epochs at the measured per-epoch time (the measured epochs, extrapolated), minutes. */
  exactScheduleMinutesExtrapolated: seconds,
  fastScheduleMinutesExtrapolated: seconds,
  ...rss,
});

export const extractPhaseSchema = z.object({
  image: z.string(),
  images: z.number().int(),
  batch: z.number().int(),
  seconds,
  imagesPerSecond: seconds,
  ...rss,
});

export const predictPhaseSchema = z.object({
  model: z.string(),
  image: z.string(),
  /** Wall time of `vip predict` processes, start-up included, seconds (the first run reads cold files). */
  wallSeconds: z.array(seconds),
  medianWallSeconds: seconds,
});

const scheduleRunSchema = z.object({
  accuracy: z.array(z.number()),
  meanAccuracy: z.number(),
  seconds: z.array(seconds),
});
export const schedulePhaseSchema = z.object({
  benchmark: z.string(),
  seeds: z.array(z.number().int()),
  epochs: z.number().int(),
  trainImages: z.number().int(),
  valImages: z.number().int(),
  testImages: z.number().int(),
  configs: z.array(
    z.object({
      head: z.string(),
      exact: scheduleRunSchema,
      fast: scheduleRunSchema,
      /** Mean accuracy of fast minus exact, in percentage points. */
      differencePoints: z.number(),
    }),
  ),
  /** The largest |fast − exact| over the heads, points. */
  worstDifferencePoints: z.number(),
});

export const benchTargetSchema = z.object({
  name: z.string(),
  target: z.string(),
  measured: z.string(),
  met: z.boolean().nullable(),
});
export type BenchTarget = z.infer<typeof benchTargetSchema>;

export const benchResultSchema = z.object({
  format: z.literal(1),
  preset: z.enum(benchPresets),
  startedAt: z.string(),
  finishedAt: z.string(),
  isolation: z.enum(['child-process', 'in-process']),
  machine: z.object({
    cores: z.number().int(),
    cpuModel: z.string(),
    totalMemoryBytes: bytes,
    platform: z.string(),
    arch: z.string(),
    node: z.string(),
    /** 1, 5 and 15 minute load averages at the start and the end: other work on the machine inflates timings. */
    loadAverageStart: z.array(z.number()),
    loadAverageEnd: z.array(z.number()),
  }),
  backends: z.object({
    onnxruntime: z.string(),
    onnxExecutionProvider: z.string(),
    tfjsBackend: z.string(),
    tfjsSimd: z.boolean().nullable(),
    /** The text engine `auto` picks for training on this machine. */
    trainingTextEngine: z.string(),
  }),
  package: z.object({ id: z.string(), reused: z.boolean(), seconds }),
  phases: z.object({
    decode: decodePhaseSchema,
    imageEmbedding: imagePhaseSchema,
    textSide: textPhaseSchema,
    trainingStep: stepPhaseSchema,
    epoch: epochPhaseSchema,
    featureExtraction: extractPhaseSchema,
    cliPredict: predictPhaseSchema.nullable(),
    schedules: schedulePhaseSchema.nullable(),
  }),
  targets: z.array(benchTargetSchema),
});
export type BenchResult = z.infer<typeof benchResultSchema>;
export type BenchPhases = BenchResult['phases'];

function stamp(iso: string): string {
  return iso.replace(/[:.]/g, '-');
}

/** Writes the result as `<dir>/bench-<preset>-<start time>.json`; returns the path. */
export async function saveBench(dir: string, result: BenchResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `bench-${result.preset}-${stamp(result.startedAt)}.json`);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(benchResultSchema.parse(result), null, 2) + '\n');
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return path;
}

/** The newest valid result in `dir` (optionally of one preset), or null. Damaged files are skipped. */
export async function latestBench(
  dir: string,
  preset?: BenchPreset,
): Promise<{ path: string; result: BenchResult } | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const candidates = names.filter((n) => /^bench-.*\.json$/.test(n) && (!preset || n.startsWith(`bench-${preset}-`)));
  let best: { path: string; result: BenchResult } | null = null;
  for (const name of candidates) {
    const path = join(dir, name);
    try {
      const parsed = benchResultSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (!parsed.success) continue;
      if (!best || parsed.data.finishedAt > best.result.finishedAt) best = { path, result: parsed.data };
    } catch {
      // unreadable or not JSON: not a result
    }
  }
  return best;
}
