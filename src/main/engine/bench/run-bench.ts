/**
 * `vip bench`: the phases of phases.ts on the bench package of a preset, each in its own child process when the
 * caller can start one (so each phase's peak RSS is its own), else one after the other in this process (then the
 * RSS figures are the whole run's peak so far, and say so). Then the CLI predict timing on the tiny package, the
 * optional schedule comparison, the targets, and the JSON saved under `<data>/benchmarks/`.
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { VipError } from '@shared/errors';
import type { DataPaths } from '../paths';
import { openClipSessions } from '../model/onnx-session';
import { initTfjs } from '../model/tfjs-backend';
import { benchPackageId, ensureBenchPackage } from './bench-data';
import {
  benchResultSchema,
  saveBench,
  type BenchPhases,
  type BenchPreset,
  type BenchResult,
  type BenchTarget,
} from './bench-result';
import { phaseNames, phases, type PhaseName } from './phases';
import { writePredictInputs } from './predict-inputs';
import { scheduleAccuracy } from './schedule-accuracy';

/** What one phase hands back (printed as JSON by a phase child process). */
export interface PhaseOutput {
  phase: PhaseName | 'schedules';
  result: unknown;
  peakRssBytes: number;
  executionProvider: string | null;
  tfjs: { backend: string; simd: boolean | null };
}

/** Runs one phase somewhere and returns its output. */
export type PhaseRunner = (phase: PhaseName | 'schedules') => Promise<PhaseOutput>;

export interface BenchOptions {
  paths: DataPaths;
  preset: BenchPreset;
  /** Runs a phase in a child process; absent: in this process. */
  runPhase?: PhaseRunner;
  /**
   * Times `vip predict` of one PNG on the tiny package, one process per PNG in order, with `--data dataDir`
   * (wall seconds per run); absent: not measured.
   */
  predictWall?: (dataDir: string, pngPaths: string[], symptomsPath: string, modelId: string) => Promise<number[]>;
  /** How many `vip predict` processes to time (default 5). */
  predictRuns?: number;
  /** Also compare the exact and fast schedules on the synthetic benchmark (slow). */
  schedules?: boolean;
  log?: (line: string) => void;
}

const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

/** One phase in this process (also the body of a phase child process). */
export async function runPhaseHere(
  paths: DataPaths,
  preset: BenchPreset,
  phase: PhaseName | 'schedules',
  log: (line: string) => void = () => undefined,
): Promise<PhaseOutput> {
  const tfjs = await initTfjs();
  await mkdir(paths.tmp, { recursive: true });
  const scratch = await mkdtemp(join(paths.tmp, 'bench-'));
  try {
    let result: unknown;
    let executionProvider: string | null = null;
    if (phase === 'schedules') result = await scheduleAccuracy({ log });
    else {
      const { pkg } = await ensureBenchPackage(paths.models, preset);
      result = await phases[phase]({ pkg, scratch, heavy: preset !== 'tiny', log });
      // Cached sessions: asking again costs nothing after the phase opened them.
      if (phase === 'imageEmbedding') executionProvider = (await openClipSessions(pkg)).executionProvider;
    }
    return {
      phase,
      result,
      peakRssBytes: peakRss(),
      executionProvider,
      tfjs: { backend: tfjs.backend, simd: tfjs.simd ?? null },
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Growth after the first epoch, which also pays for what is allocated once (optimizer slots, session arenas). Allocator
 * noise aside (64 MB) the resident set must stay put, and the live tfjs tensors must not change at all.
 */
function epochMemory(run: BenchPhases['epoch']['exact']): { text: string; met: boolean | null } {
  const rss = run.rssAfterEpochBytes;
  if (rss.length < 2) return { text: 'one epoch', met: null };
  const mb = (b: number) => `${b >= 0 ? '+' : ''}${(b / 2 ** 20).toFixed(0)} MB`;
  const first = rss[0] as number;
  const last = rss[rss.length - 1] as number;
  const from = rss.length > 2 ? 2 : 1;
  const afterFirst = last - (rss[from - 1] as number);
  const tensors = run.tensorsAfterEpoch;
  const steadyTensors = tensors.length < 2 || tensors.slice(from - 1).every((n) => n === tensors[from - 1]);
  const parts = [`${mb(afterFirst)} from epoch ${from} to ${rss.length}`];
  if (from > 1) parts.push(`${mb(last - first)} from epoch 1`);
  if (tensors.length > 0) parts.push(`tfjs tensors ${tensors.join(', ')}`);
  return { text: parts.join('; '), met: afterFirst <= 64 * 2 ** 20 && steadyTensors };
}

function gb(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GB`;
}

/** The targets (ViT-B/16 sizes; the CLI predict target is for the tiny model). */
export function evaluateTargets(preset: BenchPreset, p: BenchPhases): BenchTarget[] {
  const b16 = preset === 'vit-b16';
  const judge = (ok: boolean): boolean | null => (b16 ? ok : null);
  const trainingRss = Math.max(p.trainingStep.peakRssBytes, p.epoch.peakRssBytes);
  const memory = epochMemory(p.epoch.exact);
  const targets: BenchTarget[] = [
    {
      name: 'image embedding, batch 8 (ViT-B/16)',
      target: '<= 0.2 s per image',
      measured: `${p.imageEmbedding.batch8SecondsPerImage.toFixed(3)} s per image`,
      met: judge(p.imageEmbedding.batch8SecondsPerImage <= 0.2),
    },
    {
      name: 'training step: text side + MeP + loss, batch 32 of cached features (ViT-B/16)',
      target: '<= 0.5 s',
      measured: `${p.trainingStep.secondsPerStep.toFixed(3)} s (${p.trainingStep.auto.name})`,
      met: judge(p.trainingStep.secondsPerStep <= 0.5),
    },
    {
      name: "authors' exact schedule: 50 epochs x 4,710 cached images, batch 32 (ViT-B/16)",
      target: '<= 60 min',
      measured: `${p.epoch.exactScheduleMinutesExtrapolated.toFixed(1)} min (50 x the measured epoch time)`,
      met: judge(p.epoch.exactScheduleMinutesExtrapolated <= 60),
    },
    {
      name: 'fast schedule, same data (ViT-B/16)',
      target: '<= 15 min',
      measured: `${p.epoch.fastScheduleMinutesExtrapolated.toFixed(1)} min (50 x the measured epoch time)`,
      met: judge(p.epoch.fastScheduleMinutesExtrapolated <= 15),
    },
    {
      name: 'fast schedule accuracy vs exact (synthetic benchmark)',
      target: 'within 1 point',
      measured: p.schedules
        ? p.schedules.configs
            .map((c) => `${c.differencePoints >= 0 ? '+' : ''}${c.differencePoints.toFixed(2)} points (${c.head})`)
            .join(', ') + `, ${p.schedules.seeds.length} seeds`
        : 'not run (vip bench --schedules)',
      met: p.schedules ? p.schedules.worstDifferencePoints <= 1 : null,
    },
    {
      name: 'peak RSS during training (ViT-B/16)',
      target: '<= 3 GB',
      measured: gb(trainingRss),
      met: judge(trainingRss <= 3 * 2 ** 30),
    },
    {
      name: 'RSS growth across training epochs',
      target: 'none',
      measured: memory.text,
      met: memory.met,
    },
    {
      name: 'tiny demo model: `vip predict` of one PNG, start-up included',
      target: '< 1 s wall',
      measured: p.cliPredict ? `${p.cliPredict.medianWallSeconds.toFixed(2)} s (median)` : 'not measured',
      met: p.cliPredict ? p.cliPredict.medianWallSeconds < 1 : null,
    },
  ];
  return targets;
}

/**
 * Times `vip predict` of one PNG on the tiny package through `predictWall` (which starts the processes), `runs`
 * times, each run a different image (no run is answered from the feature cache). The runs use a fresh data folder
 * that links to this one's models: the first run creates its database and computes the symptoms' text side (cold);
 * the later ones find the text side in the cache, as a second prediction with the same symptom set does.
 */
export async function measureCliPredict(
  paths: DataPaths,
  predictWall: NonNullable<BenchOptions['predictWall']>,
  runs: number,
): Promise<NonNullable<BenchPhases['cliPredict']>> {
  const tiny = await ensureBenchPackage(paths.models, 'tiny');
  await mkdir(paths.tmp, { recursive: true });
  const dir = await mkdtemp(join(paths.tmp, 'bench-predict-'));
  try {
    const inputs = await writePredictInputs(dir, runs);
    const data = join(dir, 'data');
    await mkdir(data);
    await symlink(paths.models, join(data, 'models'), 'dir');
    const wall = await predictWall(data, inputs.pngs, inputs.symptoms, tiny.pkg.manifest.id);
    const sorted = [...wall].sort((a, b) => a - b);
    return {
      model: tiny.pkg.manifest.id,
      image: inputs.description,
      wallSeconds: wall,
      medianWallSeconds: sorted[Math.floor(sorted.length / 2)] ?? 0,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runBench(options: BenchOptions): Promise<{ result: BenchResult; path: string }> {
  const { paths, preset } = options;
  const log = options.log ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const loadAverageStart = loadavg();
  log(`bench ${preset}: preparing package ${benchPackageId(preset)}`);
  const prepared = await ensureBenchPackage(paths.models, preset);
  log(
    `package ${prepared.pkg.manifest.id} ${prepared.reused ? 'reused' : 'created'} (${prepared.seconds.toFixed(1)} s)`,
  );

  const run: PhaseRunner = options.runPhase ?? ((phase) => runPhaseHere(paths, preset, phase, log));
  const scope = options.runPhase ? ('phase-process' as const) : ('whole-run' as const);
  const outputs: Partial<Record<PhaseName, PhaseOutput>> = {};
  for (const phase of phaseNames) {
    log(`phase ${phase}`);
    const out = await run(phase);
    if (out.phase !== phase) throw new VipError('internal', `phase ${phase} answered as ${out.phase}`);
    outputs[phase] = out;
  }
  const measured = <K extends PhaseName>(k: K): BenchPhases[K] => {
    const out = outputs[k] as PhaseOutput;
    return { ...(out.result as object), peakRssBytes: out.peakRssBytes, rssScope: scope } as BenchPhases[K];
  };

  let cliPredict: BenchPhases['cliPredict'] = null;
  if (options.predictWall) {
    log('phase cliPredict (tiny package)');
    cliPredict = await measureCliPredict(paths, options.predictWall, options.predictRuns ?? 5);
  }

  let schedules: BenchPhases['schedules'] = null;
  if (options.schedules) {
    log('phase schedules (synthetic benchmark; minutes)');
    schedules = (await run('schedules')).result as BenchPhases['schedules'];
  }

  const phasesOut: BenchPhases = {
    decode: measured('decode'),
    imageEmbedding: measured('imageEmbedding'),
    textSide: measured('textSide'),
    trainingStep: measured('trainingStep'),
    epoch: measured('epoch'),
    featureExtraction: measured('featureExtraction'),
    cliPredict,
    schedules,
  };
  const image = outputs.imageEmbedding as PhaseOutput;
  const result = benchResultSchema.parse({
    format: 1,
    preset,
    startedAt,
    finishedAt: new Date().toISOString(),
    isolation: options.runPhase ? 'child-process' : 'in-process',
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      totalMemoryBytes: totalmem(),
      platform: platform(),
      arch: arch(),
      node: process.version,
      loadAverageStart,
      loadAverageEnd: loadavg(),
    },
    backends: {
      onnxruntime: `onnxruntime-node ${ort.env.versions.node ?? 'unknown'}`,
      onnxExecutionProvider: image.executionProvider ?? 'unknown',
      tfjsBackend: image.tfjs.backend,
      tfjsSimd: image.tfjs.simd,
      trainingTextEngine: phasesOut.trainingStep.auto.name,
    },
    package: { id: prepared.pkg.manifest.id, reused: prepared.reused, seconds: prepared.seconds },
    phases: phasesOut,
    targets: evaluateTargets(preset, phasesOut),
  });
  const path = await saveBench(paths.benchmarks, result);
  return { result, path };
}
