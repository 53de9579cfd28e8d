/**
 * The benchmark's phases, each a plain async function over the bench package. Every phase warms up first (sessions
 * opened, kernels compiled) and times only the steady state; each reports the peak RSS of the process it ran in, so
 * run alone in a child process (run-bench.ts) that is the phase's own peak.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { VipError } from '@shared/errors';
import { openClipSessions, type ExecutionProvider } from '../model/onnx-session';
import type { ModelPackage } from '../model/package';
import { packageTokenizer } from '../model/embed';
import { Prng } from '../model/prng';
import { readSafetensors } from '../model/safetensors';
import { TfjsTextTower } from '../model/text-tower-tfjs';
import { initTfjs } from '../model/tfjs-backend';
import { centerView, decodeForModel } from '../training/augment';
import { FeatureCache, extractFeatures, viewPreprocessing, type FeatureSource } from '../training/feature-cache';
import { scheduleOptions } from '../training/schedules';
import { chooseTextEngine } from '../training/text-backprop-choice';
import { createOnnxTextBackprop } from '../training/text-backprop-onnx';
import type { TextBackprop } from '../training/text-backprop';
import { trainHead, type TrainOptions } from '../training/trainer';
import { defaultHeadConfig } from '../vip/config';
import { ViPHead } from '../vip/head';
import { computePackageTextSide } from '../vip/predictor';
import { symptomPrompts } from '../vip/prompts';
import { classNames } from '../vip/symptom-set';
import { initPromptWeights } from '../vip/weights';
import { benchFeatures, benchSymptoms } from './bench-data';
import type { BenchPhases, PhaseName } from './bench-result';
import { syntheticRadiographDicom } from './synthetic-radiograph';

export { phaseNames, type PhaseName } from './bench-result';

type Measured<K extends PhaseName> = Omit<BenchPhases[K], 'peakRssBytes' | 'rssScope'>;

export interface PhaseContext {
  pkg: ModelPackage;
  /** A scratch folder on the data volume, removed by the caller. */
  scratch: string;
  /** Heavy presets repeat less. */
  heavy: boolean;
  log: (line: string) => void;
}

const RADIOGRAPH = '2048x2048 16-bit MONOCHROME2 DICOM (synthetic chest, Explicit VR Little Endian)';

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await f();
  return { value, seconds: (performance.now() - start) / 1000 };
}

/** DICOM decode (display pixels through the file's window) and CLIP preprocessing of one radiograph. */
export async function decodePhase(ctx: PhaseContext): Promise<Measured<'decode'>> {
  const bytes = syntheticRadiographDicom({ seed: 1 });
  const preprocessing = viewPreprocessing(ctx.pkg);
  const runs = 3;
  await centerView(await decodeForModel(bytes, 'radiograph'), preprocessing, 'radiograph');
  const decode: number[] = [];
  const prep: number[] = [];
  for (let i = 0; i < runs; i++) {
    const d = await timed(() => decodeForModel(bytes, 'radiograph'));
    const p = await timed(() => centerView(d.value, preprocessing, 'radiograph'));
    decode.push(d.seconds);
    prep.push(p.seconds);
  }
  const decodeSeconds = median(decode);
  const preprocessSeconds = median(prep);
  return {
    image: RADIOGRAPH,
    images: runs,
    decodeSecondsPerImage: decodeSeconds,
    preprocessSecondsPerImage: preprocessSeconds,
    secondsPerImage: decodeSeconds + preprocessSeconds,
  };
}

/** The image tower on preprocessed pixels, one image per run and eight per run. */
export async function imagePhase(ctx: PhaseContext): Promise<Measured<'imageEmbedding'>> {
  const sessions = await openClipSessions(ctx.pkg);
  const s = ctx.pkg.manifest.architecture.vision.imageSize;
  const per = 3 * s * s;
  const pixels = new Prng('bench:pixels').fillNormal(new Float32Array(8 * per));
  const one = pixels.subarray(0, per);
  await sessions.embedImages(one, 1);
  await sessions.embedImages(pixels, 8);
  const runs = { batch1: ctx.heavy ? 5 : 20, batch8: ctx.heavy ? 3 : 10 };
  const b1: number[] = [];
  for (let i = 0; i < runs.batch1; i++) b1.push((await timed(() => sessions.embedImages(one, 1))).seconds);
  const b8: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs.batch8; i++) b8.push((await timed(() => sessions.embedImages(pixels, 8))).seconds / 8);
  const cpu = process.cpuUsage(cpu0);
  return {
    batch1SecondsPerImage: median(b1),
    batch8SecondsPerImage: median(b8),
    batch8CpuSecondsPerImage: (cpu.user + cpu.system) / 1e6 / (8 * runs.batch8),
    runs,
  };
}

/** A model version's text side (symptom features through text-embeds.onnx, MeP), computed from scratch. */
export async function textPhase(ctx: PhaseContext): Promise<Measured<'textSide'>> {
  const sessions = await openClipSessions(ctx.pkg);
  const arch = ctx.pkg.manifest.architecture;
  const symptoms = benchSymptoms();
  const prompt = initPromptWeights({
    classes: classNames(symptoms),
    config: defaultHeadConfig,
    textWidth: arch.text.hiddenSize,
    embedDim: arch.projectionDim,
    seed: 1,
  });
  const compute = () => computePackageTextSide(ctx.pkg, sessions, { mode: 'vip', symptoms, prompt });
  await compute();
  const runs = ctx.heavy ? 3 : 10;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(compute)).seconds);
  return {
    classes: symptoms.classes.length,
    symptomsPerClass: symptoms.classes[0]?.symptoms.length ?? 0,
    nCtx: defaultHeadConfig.nCtx,
    seconds: median(times),
    runs,
  };
}

export interface TrainingSetup {
  /** The provider the image tower opened with: a training job has it open too, and runs the text graphs on it. */
  executionProvider: ExecutionProvider;
  tower: TfjsTextTower;
  weights: ReturnType<typeof readSafetensors>['tensors'];
  head: ViPHead;
  dispose(): void;
}

export async function trainingSetup(pkg: ModelPackage): Promise<TrainingSetup> {
  await initTfjs();
  // As in a training job (job.ts), the image tower's session is open while training: its memory counts.
  const { executionProvider } = await openClipSessions(pkg);
  const arch = pkg.manifest.architecture;
  const weights = readSafetensors(pkg.path('text.safetensors')).tensors;
  const tower = TfjsTextTower.fromClipConfig(arch, weights);
  const symptoms = benchSymptoms();
  const prompts = symptomPrompts(
    packageTokenizer(pkg),
    symptoms,
    defaultHeadConfig.nCtx,
    pkg.manifest.tokenizer.contextLength,
  );
  const head = new ViPHead({ tower, prompts, classes: classNames(symptoms), config: defaultHeadConfig, seed: 1 });
  return {
    executionProvider,
    tower,
    weights,
    head,
    dispose() {
      head.dispose();
      tower.dispose();
    },
  };
}

/**
 * Median seconds per training step, from the trainer's own step events, after `warm` steps (kernels compiled,
 * buffers allocated, the JIT warm).
 */
async function stepSeconds(
  head: ViPHead,
  text: TextBackprop | null,
  steps: number,
  batch: number,
  warm: number,
): Promise<{ seconds: number; cpuSeconds: number }> {
  const d = head.embedDim;
  const data = benchFeatures((steps + warm + 1) * batch, d, head.classes.length, 'steps');
  const stamps: number[] = [];
  let cpuAtWarm: NodeJS.CpuUsage | undefined;
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  await trainHead({
    head,
    train: { features: data.features, views: 1, labels: data.labels },
    options: { epochs: 1, batchSize: batch, warmupEpochs: 0 },
    text,
    onStep: () => {
      stamps.push(performance.now());
      if (stamps.length === warm + 1) cpuAtWarm = process.cpuUsage();
      if (stamps.length === warm + steps + 1) cpuAtEnd = process.cpuUsage(cpuAtWarm);
    },
  });
  const gaps = stamps.slice(warm + 1).map((t, i) => (t - (stamps[i + warm] as number)) / 1000);
  const cpu = cpuAtEnd ? (cpuAtEnd.user + cpuAtEnd.system) / 1e6 : NaN;
  return { seconds: median(gaps), cpuSeconds: cpu / steps };
}

/** One training step (2 x 4 symptoms, M = 4, batch 32 of cached features) with each text engine. */
export async function stepPhase(ctx: PhaseContext): Promise<Measured<'trainingStep'>> {
  const setup = await trainingSetup(ctx.pkg);
  const batch = 32;
  try {
    const { head } = setup;
    const steps = ctx.heavy ? 6 : 40;
    const warm = ctx.heavy ? 2 : 10;
    const onnx = await createOnnxTextBackprop(ctx.pkg.manifest.architecture, setup.weights, {
      executionProvider: setup.executionProvider,
    });
    let onnxSeconds: { seconds: number; cpuSeconds: number };
    try {
      onnxSeconds = await stepSeconds(head, onnx, steps, batch, warm);
    } finally {
      await onnx.dispose();
    }
    const tfjsSteps = ctx.heavy ? 3 : 40;
    const tfjsSeconds = await stepSeconds(head, null, tfjsSteps, batch, ctx.heavy ? 1 : warm);
    const auto = await chooseTextEngine({
      choice: 'auto',
      head,
      tower: setup.tower,
      config: ctx.pkg.manifest.architecture,
      weights: setup.weights,
      contextEvery: 1,
      executionProvider: setup.executionProvider,
    });
    await auto.text?.dispose();
    const layouts = head.promptBatch.layouts;
    return {
      batch,
      prompts: layouts.length,
      promptLength: Math.max(...layouts.map((l) => l.eotIndex)) + 1,
      nCtx: defaultHeadConfig.nCtx,
      engines: {
        'onnx-vjp': { secondsPerStep: onnxSeconds.seconds, cpuSecondsPerStep: onnxSeconds.cpuSeconds, steps },
        tfjs: { secondsPerStep: tfjsSeconds.seconds, cpuSecondsPerStep: tfjsSeconds.cpuSeconds, steps: tfjsSteps },
      },
      auto: { name: auto.name, reason: auto.reason },
      secondsPerStep: auto.name === 'onnx-vjp' ? onnxSeconds.seconds : tfjsSeconds.seconds,
    };
  } finally {
    setup.dispose();
  }
}

/** Whole epochs over 4,710 cached features (the authors' Pneumonia train split), validation on 522, as trained. */
export async function epochPhase(ctx: PhaseContext): Promise<Measured<'epoch'>> {
  const setup = await trainingSetup(ctx.pkg);
  const images = 4710;
  const valImages = 522;
  const batch = 32;
  try {
    const { head } = setup;
    const d = head.embedDim;
    const train = benchFeatures(images, d, head.classes.length, 'epoch-train');
    const val = benchFeatures(valImages, d, head.classes.length, 'epoch-val');
    const run = async (schedule: 'exact' | 'fast', epochs: number) => {
      const contextEvery = scheduleOptions(schedule).contextEvery ?? 1;
      const engine = await chooseTextEngine({
        choice: 'auto',
        head,
        tower: setup.tower,
        config: ctx.pkg.manifest.architecture,
        weights: setup.weights,
        contextEvery,
        executionProvider: setup.executionProvider,
      });
      const epochSeconds: number[] = [];
      const rssAfterEpochBytes: number[] = [];
      const tensorsAfterEpoch: number[] = [];
      const options: Partial<TrainOptions> = { epochs, batchSize: batch, warmupEpochs: 0, contextEvery };
      try {
        await trainHead({
          head,
          train: { features: train.features, views: 1, labels: train.labels },
          val,
          options,
          text: engine.text,
          onEpoch: (r) => {
            epochSeconds.push(r.seconds);
            rssAfterEpochBytes.push(process.memoryUsage().rss);
            tensorsAfterEpoch.push(tf.memory().numTensors);
            ctx.log(`epoch (${schedule}) ${r.epoch}/${epochs}: ${r.seconds.toFixed(1)} s`);
          },
        });
      } finally {
        await engine.text?.dispose();
      }
      return { schedule, engine: engine.name, contextEvery, epochSeconds, rssAfterEpochBytes, tensorsAfterEpoch };
    };
    // Three exact epochs show whether memory grows from one epoch to the next (the first epoch also pays for
    // allocations made once, so the growth that counts is after it); the fast schedule's cost per epoch is the same
    // every epoch.
    const exact = await run('exact', 3);
    const fast = await run('fast', 1);
    const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    return {
      images,
      valImages,
      batch,
      stepsPerEpoch: Math.floor(images / batch),
      exact,
      fast,
      exactScheduleMinutesExtrapolated: (50 * mean(exact.epochSeconds)) / 60,
      fastScheduleMinutesExtrapolated: (50 * mean(fast.epochSeconds)) / 60,
    };
  } finally {
    setup.dispose();
  }
}

/** The feature cache's extraction of 16 distinct radiographs: decode, preprocess, image tower in a batch, write. */
export async function extractPhase(ctx: PhaseContext): Promise<Measured<'featureExtraction'>> {
  const sessions = await openClipSessions(ctx.pkg);
  const base = syntheticRadiographDicom({ seed: 2 });
  const images = 16;
  const batch = 16;
  // Copies differing in one pixel: distinct content hashes (nothing cached), the same decoding work.
  const files = Array.from({ length: images }, (_, i) => {
    const copy = Uint8Array.from(base);
    copy[copy.length - 2] = i;
    return copy;
  });
  const sources = (tag: string): FeatureSource[] =>
    files.map((bytes, i) => ({
      sha256: createHash('sha256').update(tag).update(bytes).digest('hex'),
      name: `radiograph ${i + 1}`,
      read: () => Promise.resolve(bytes),
    }));
  const dir = await mkdtemp(join(ctx.scratch, 'features-'));
  try {
    const cache = new FeatureCache(dir, ctx.pkg.manifest.architecture.projectionDim);
    const options = { views: 1, augment: null, seed: 0, preprocessing: viewPreprocessing(ctx.pkg), batchSize: batch };
    // Warm-up on other content (the image session and sharp's first use).
    await extractFeatures(cache, sessions.embedImages.bind(sessions), sources('warm-up').slice(0, 2), options);
    const { seconds, value } = await timed(() =>
      extractFeatures(cache, sessions.embedImages.bind(sessions), sources('timed'), options),
    );
    if (value.failures.length > 0 || value.extractedViews !== images) {
      throw new VipError('internal', `feature extraction in the benchmark failed: ${value.failures[0]?.reason ?? ''}`);
    }
    return { image: RADIOGRAPH, images, batch, seconds, imagesPerSecond: images / seconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const phases: { [K in PhaseName]: (ctx: PhaseContext) => Promise<Measured<K>> } = {
  decode: decodePhase,
  imageEmbedding: imagePhase,
  textSide: textPhase,
  trainingStep: stepPhase,
  epoch: epochPhase,
  featureExtraction: extractPhase,
};
