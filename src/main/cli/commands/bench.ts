/**
 * `vip bench`: how fast this machine decodes, embeds, computes a text side and trains, with a demo package of the
 * preset's size (random weights). Each phase runs in its own child process (`vip bench --phase NAME`, hidden) so
 * its peak RSS is its own; results are printed and saved under `<data>/benchmarks/`.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { VipError } from '@shared/errors';
import {
  benchPresets,
  phaseNames,
  type BenchPreset,
  type BenchResult,
  type PhaseName,
} from '../../engine/bench/bench-result';
import type { PhaseOutput } from '../../engine/bench/run-bench';
import { dataPaths } from '../../engine/paths';

// The benchmark's engine modules (onnxruntime, tfjs, the trainer) load when `vip bench` runs, not at CLI start.
const benchEngine = () => import('../../engine/bench/run-bench');
const onnxSessions = () => import('../../engine/model/onnx-session');
import { action, userError, type CliContext } from '../frame';
import { wholeNumber } from '../options';

interface BenchFlags {
  preset: BenchPreset;
  schedules?: boolean;
  inProcess?: boolean;
  phase?: PhaseName | 'schedules';
  cliPredict?: boolean;
  runs: number;
}

/** The script this CLI was started from, when it is the vip launcher or bundle (so it can start itself again). */
function cliEntry(): string | null {
  const entry = process.argv[1];
  return entry && /^(vip|vip\.js|cli\.js)$/.test(basename(entry)) ? entry : null;
}

/** Runs `vip <args>` as a child process; resolves with its stdout and wall time. */
function runSelf(entry: string, args: readonly string[]): Promise<{ stdout: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - start) / 1000;
      if (code === 0) resolve({ stdout: Buffer.concat(chunks).toString('utf8'), seconds });
      else reject(new VipError('internal', `vip ${args.slice(2, 4).join(' ')} exited with code ${String(code)}`));
    });
  });
}

function fmt(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

function humanReport(path: string): (r: BenchResult) => string {
  return (r) => {
    const p = r.phases;
    const lines = [
      `vip bench ${r.preset} (${r.package.id}, random weights) on ${r.machine.cores} cores, ${r.machine.cpuModel}`,
      `backends: ${r.backends.onnxruntime} (${r.backends.onnxExecutionProvider}), tfjs ${r.backends.tfjsBackend}${r.backends.tfjsSimd ? ' (SIMD)' : ''}, training text engine ${r.backends.trainingTextEngine}`,
      `load average ${r.machine.loadAverageStart.map((x) => x.toFixed(2)).join(' ')} at start, ${r.machine.loadAverageEnd.map((x) => x.toFixed(2)).join(' ')} at end`,
      '',
      `DICOM decode + preprocess   ${fmt(p.decode.secondsPerImage)} per image (decode ${fmt(p.decode.decodeSecondsPerImage)}, preprocess ${fmt(p.decode.preprocessSecondsPerImage)})  peak RSS ${mb(p.decode.peakRssBytes)}`,
      `image embedding             ${fmt(p.imageEmbedding.batch1SecondsPerImage)} per image at batch 1, ${fmt(p.imageEmbedding.batch8SecondsPerImage)} at batch 8 (CPU ${fmt(p.imageEmbedding.batch8CpuSecondsPerImage)})  peak RSS ${mb(p.imageEmbedding.peakRssBytes)}`,
      `text side of a version      ${fmt(p.textSide.seconds)} (${p.textSide.classes} x ${p.textSide.symptomsPerClass} symptoms)  peak RSS ${mb(p.textSide.peakRssBytes)}`,
      `training step (batch 32)    ${fmt(p.trainingStep.secondsPerStep)} with ${p.trainingStep.auto.name}; ${(
        ['onnx-vjp', 'tfjs'] as const
      )
        .map((e) => {
          const x = p.trainingStep.engines[e];
          return x ? `${e} ${fmt(x.secondsPerStep)} (CPU ${fmt(x.cpuSecondsPerStep)})` : `${e} -`;
        })
        .join(', ')}  peak RSS ${mb(p.trainingStep.peakRssBytes)}`,
      `epoch, 4,710 cached images  exact ${p.epoch.exact.epochSeconds.map(fmt).join(', ')}; fast ${p.epoch.fast.epochSeconds.map(fmt).join(', ')}  peak RSS ${mb(p.epoch.peakRssBytes)}`,
      `50 epochs (extrapolated)    exact ${p.epoch.exactScheduleMinutesExtrapolated.toFixed(1)} min, fast ${p.epoch.fastScheduleMinutesExtrapolated.toFixed(1)} min`,
      `feature extraction          ${p.featureExtraction.imagesPerSecond.toFixed(2)} images/s (${p.featureExtraction.images} radiographs)  peak RSS ${mb(p.featureExtraction.peakRssBytes)}`,
      p.cliPredict
        ? `vip predict (tiny, 1 PNG)   ${p.cliPredict.wallSeconds.map(fmt).join(', ')} wall`
        : 'vip predict (tiny, 1 PNG)   not measured',
      ...(p.schedules
        ? p.schedules.configs.map(
            (c) =>
              `schedules (synthetic)       ${c.head}: exact ${(100 * c.exact.meanAccuracy).toFixed(2)} %, fast ${(100 * c.fast.meanAccuracy).toFixed(2)} % (${p.schedules?.seeds.length ?? 0} seeds)`,
          )
        : ['schedules (synthetic)       not run (--schedules)']),
      '',
      'targets:',
      ...r.targets.map(
        (t) =>
          `  ${t.met === null ? '  -  ' : t.met ? ' met ' : 'UNMET'}  ${t.name}: ${t.measured} (target ${t.target})`,
      ),
      '',
      `saved ${path}`,
    ];
    return lines.join('\n');
  };
}

/** Starts `vip predict` of one PNG per image, one after the other; wall seconds of each. */
function predictWall(entry: string) {
  return async (dataDir: string, pngs: string[], symptoms: string, model: string): Promise<number[]> => {
    const wall: number[] = [];
    for (const png of pngs) {
      const args = ['--data', dataDir, '--json', 'predict', '--model', model, '--symptoms', symptoms, '--image', png];
      wall.push((await runSelf(entry, args)).seconds);
    }
    return wall;
  };
}

/** `vip bench --cli-predict`: only the start-up-included predict timing (quick; not saved). */
async function runCliPredict(ctx: CliContext, flags: BenchFlags): Promise<void> {
  const entry = cliEntry();
  if (!entry) throw userError('--cli-predict needs the vip launcher (node bin/vip.js bench --cli-predict)');
  const { measureCliPredict } = await benchEngine();
  ctx.info(`vip predict of one PNG with the tiny package, ${flags.runs} runs`);
  const result = await measureCliPredict(dataPaths(ctx.dataDir), predictWall(entry), flags.runs);
  ctx.print(
    result,
    (r: typeof result) =>
      `vip predict (tiny, 1 PNG): median ${fmt(r.medianWallSeconds)} wall; runs ${r.wallSeconds.map(fmt).join(', ')} (the first with a new data folder and the text side computed)`,
  );
}

async function runAll(ctx: CliContext, flags: BenchFlags): Promise<void> {
  const paths = dataPaths(ctx.dataDir);
  const entry = flags.inProcess ? null : cliEntry();
  const common = ['--data', ctx.dataDir];
  const { runBench } = await benchEngine();
  const { result, path } = await runBench({
    paths,
    preset: flags.preset,
    schedules: flags.schedules === true,
    log: (line) => ctx.info(line),
    ...(entry
      ? {
          runPhase: async (phase: PhaseName | 'schedules'): Promise<PhaseOutput> => {
            const { stdout } = await runSelf(entry, [
              ...common,
              '--json',
              'bench',
              '--preset',
              flags.preset,
              '--phase',
              phase,
            ]);
            return JSON.parse(stdout) as PhaseOutput;
          },
          predictWall: predictWall(entry),
          predictRuns: flags.runs,
        }
      : {}),
  });
  ctx.print(result, humanReport(path));
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('measure decoding, embedding, text side and training speed with a demo package of a given size')
    .addOption(new Option('--preset <name>', 'model size').choices(benchPresets).default('tiny'))
    .option('--schedules', 'also compare the exact and fast training schedules on the synthetic benchmark (slow)')
    .option('--in-process', 'run every phase in this process (peak RSS is then the whole run)')
    .option('--cli-predict', 'only time `vip predict` of one PNG with the tiny package, start-up included')
    .option('--runs <n>', 'how many `vip predict` processes to time', wholeNumber(1, 100), 5)
    .addOption(
      new Option('--phase <name>', 'run one phase and print its JSON').choices([...phaseNames, 'schedules']).hideHelp(),
    )
    .action(
      action(async (ctx, flags: BenchFlags) => {
        try {
          if (flags.phase !== undefined) {
            const { runPhaseHere } = await benchEngine();
            const out = await runPhaseHere(dataPaths(ctx.dataDir), flags.preset, flags.phase, (l) => ctx.info(l));
            process.stdout.write(JSON.stringify(out) + '\n');
            return;
          }
          if (flags.cliPredict) await runCliPredict(ctx, flags);
          else await runAll(ctx, flags);
        } finally {
          await (await onnxSessions()).closeAllClipSessions();
        }
      }),
    );
}
