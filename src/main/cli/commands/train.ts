/** `vip train`: learn a ViP (or CoOp) prompt on a labelled dataset and record it as a model version. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { DatasetSpec, JobProgress } from '../../engine/training/job-spec';
import { defaultTrainOptions, optimizerNames, type OptimizerName } from '../../engine/training/option-names';
import type { TrainingOutcome } from '../../engine/training/run-training';
import { DEFAULT_SCHEDULE, scheduleNames, scheduleOptions, type ScheduleName } from '../../engine/training/schedules';
import { textBackendChoices, type TextBackendChoice } from '../../engine/training/text-backprop';
import { aggregates, methods, type Aggregate, type Method } from '../../engine/vip/config';
import { action, userError, type CliContext } from '../frame';
import { nonNegativeNumber, positiveNumber, wholeNumber } from '../options';

// The training engine (tfjs, onnxruntime, sharp, ...) loads when `vip train` runs, not at CLI start.
const trainingEngine = () =>
  Promise.all([
    import('../../engine/model/onnx-session'),
    import('../../engine/store/reviewed-images'),
    import('../../engine/training/run-training'),
    import('../../engine/vip/model-choice'),
    import('../../engine/vip/prompt-file'),
    import('../../engine/vip/symptom-set'),
  ]);

interface TrainFlags {
  model?: string;
  dataset?: string;
  splitFile?: string;
  fromReviews?: boolean;
  symptoms: string;
  symptomsName?: string;
  task?: string;
  out: string;
  name?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  weightDecay: number;
  momentum: number;
  warmupEpochs: number;
  warmupLr: number;
  nCtx: number;
  classSpecific?: boolean;
  aggregate: Aggregate;
  cop: boolean;
  method: Method;
  views: number;
  seed: number;
  valFraction: number;
  test: boolean;
  inProcess?: boolean;
  schedule: ScheduleName;
  textBackend: TextBackendChoice;
}

/** Progress lines on stderr: each phase change and epoch, and training steps at most every two seconds. */
function progressPrinter(ctx: CliContext): (p: JobProgress) => void {
  let lastStep = 0;
  let lastFeatures = '';
  return (p) => {
    switch (p.phase) {
      case 'ready':
        ctx.info(
          `classes ${p.classes.map((c) => `"${c}"`).join(', ')}: ${p.counts.train} train, ${p.counts.val} val (${p.valSource}), ${p.counts.test} test, ${p.counts.skipped} skipped; tfjs ${p.tfjsBackend}, onnx ${p.executionProvider}`,
        );
        return;
      case 'warning':
        ctx.info(`warning: ${p.message}`);
        return;
      case 'features': {
        const key = `${p.split}:${p.done === p.total ? 'end' : Math.floor((10 * p.done) / Math.max(1, p.total))}`;
        if (key === lastFeatures) return;
        lastFeatures = key;
        ctx.info(
          `features ${p.split}: ${p.done}/${p.total} images (${p.cached} cached, ${p.extractedViews} views computed)`,
        );
        return;
      }
      case 'step': {
        const now = Date.now();
        if (now - lastStep < 2000) return;
        lastStep = now;
        ctx.info(
          `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(3)} lr ${p.lr.toExponential(2)} ETA ${Math.ceil(p.etaSeconds)}s`,
        );
        return;
      }
      case 'epoch': {
        const val =
          p.valAccuracy === null ? '' : ` val acc ${p.valAccuracy.toFixed(3)} F1 ${(p.valMacroF1 ?? 0).toFixed(3)}`;
        ctx.info(
          `epoch ${p.epoch}/${p.epochs} loss ${p.trainLoss.toFixed(4)} train acc ${p.trainAccuracy.toFixed(3)}${val} lr ${p.lr.toExponential(2)} (${p.seconds.toFixed(1)}s)`,
        );
        return;
      }
      case 'evaluate':
        ctx.info(`evaluating the best epoch on ${p.split}`);
        return;
    }
  };
}

function summary(out: string): (r: ReturnType<typeof trainJson>) => string {
  return (r) => {
    const line = (name: string, m: { accuracy: number; macro_f1: number; n: number } | null): string =>
      m
        ? `  ${name.padEnd(5)} accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macro_f1.toFixed(4)}  (n = ${m.n})`
        : `  ${name.padEnd(5)} -`;
    return [
      `Model version ${r.versionId} (run ${r.runId}), best epoch ${r.bestEpoch} of ${r.epochs.length}`,
      line('val', r.val),
      line('test', r.test),
      `Prompt written to ${out}`,
      `Activate it with: vip versions activate ${r.versionId}`,
    ].join('\n');
  };
}

function trainJson(o: TrainingOutcome, out: string) {
  const r = o.result;
  return {
    versionId: o.version.id,
    runId: o.runId,
    out,
    packageId: o.version.modelPackageId,
    symptomSetVersionId: o.symptomSetVersion.id,
    classes: r.classes,
    bestEpoch: r.bestEpoch,
    initial: r.initial,
    val: r.val,
    test: r.test,
    epochs: r.epochs,
    counts: r.counts,
    warnings: r.warnings,
    timing: r.timing,
    runner: o.runner,
    tfjsBackend: r.tfjsBackend,
    executionProvider: r.executionProvider,
    textBackend: r.textBackend ?? null,
    peakRssBytes: r.peakRssBytes,
  };
}

/** Ctrl-C cancels the run at its next step (the run is recorded as cancelled). */
function cancelOnInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSignal) };
}

function checkOutPath(out: string): string {
  const path = resolve(out);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw userError(`--out: folder ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw userError(`--out: ${path} is a folder`);
  return path;
}

export function registerTrainCommand(program: Command): void {
  const d = defaultTrainOptions;
  program
    .command('train')
    .description('train a ViP prompt (CoP + MeP) on a labelled dataset; records a model version')
    .option('--model <id>', 'model package (default: the first with real weights, else the demo)')
    .option('--dataset <dir>', 'dataset root: <dir>/<split>/<class>/<images>, or the root of --split-file paths')
    .option('--split-file <file>', 'the authors\' split JSON {"train"|"val"|"test": [[path, label, class], ...]}')
    .option(
      '--from-reviews',
      'train on the reviewed cases of the data folder (label = the review label); with --dataset, both together',
    )
    .requiredOption('--symptoms <file>', 'symptom set JSON {"class": ["symptom", ...], ...}')
    .option('--symptoms-name <name>', 'name of the symptom set in the store (default: the file name)')
    .option('--task <task>', 'task the version serves (default: the symptom set name)')
    .requiredOption('--out <file>', 'where to write prompt.safetensors')
    .option('--name <name>', 'model version name')
    .option('--epochs <n>', 'epochs, warm-up included', wholeNumber(1, 10_000), d.epochs)
    .option('--batch-size <n>', 'batch size', wholeNumber(1, 65_536), d.batchSize)
    .option('--lr <x>', 'learning rate', positiveNumber, d.lr)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(optimizerNames).default(d.optimizer))
    .option('--weight-decay <x>', 'weight decay (L2, as torch)', nonNegativeNumber, d.weightDecay)
    .option('--momentum <x>', 'SGD momentum', nonNegativeNumber, d.momentum)
    .option('--warmup-epochs <n>', 'epochs at the constant warm-up rate', wholeNumber(0, 10_000), d.warmupEpochs)
    .option('--warmup-lr <x>', 'warm-up learning rate', positiveNumber, d.warmupLr)
    .option('--n-ctx <M>', 'CoP context vectors', wholeNumber(1, 32), 4)
    .option('--class-specific', 'one context per class instead of one shared')
    .addOption(new Option('--aggregate <how>', 'merge of the symptom features').choices(aggregates).default('mep'))
    .option('--no-cop', 'no learned context (the prompts are the symptoms alone)')
    .addOption(
      new Option('--method <method>', 'vip, or the CoOp baseline (context + class name)')
        .choices(methods)
        .default('vip'),
    )
    .option('--views <K>', 'cached views per training image (1 = no augmentation)', wholeNumber(1, 64), 1)
    .option('--seed <n>', 'random seed', wholeNumber(0, 2 ** 31 - 1), d.seed)
    .option('--val-fraction <x>', 'held out from train when there is no val split', nonNegativeNumber, 0.1)
    .option('--no-test', 'do not evaluate the test split')
    .addOption(
      new Option(
        '--schedule <name>',
        "fast: the context updated every 8 steps, within 0.1 point of exact at a fifth of the time; exact: the authors' (see README)",
      )
        .choices(scheduleNames)
        .default(DEFAULT_SCHEDULE),
    )
    .addOption(
      new Option('--text-backend <name>', 'what runs the frozen text tower while training (auto: the faster here)')
        .choices(textBackendChoices)
        .default('auto'),
    )
    .addOption(new Option('--in-process', 'train on the calling thread instead of a worker thread').hideHelp())
    .action(
      action(async (ctx, flags: TrainFlags) => {
        if (flags.dataset === undefined && flags.fromReviews !== true) {
          throw userError('give --dataset DIR, --from-reviews, or both (the folder and the reviewed cases together)');
        }
        if (flags.splitFile !== undefined && flags.dataset === undefined)
          throw userError('--split-file needs --dataset');
        if (flags.valFraction > 0.5) throw userError('--val-fraction must be at most 0.5');
        const out = checkOutPath(flags.out);
        const [
          { closeAllClipSessions },
          { listReviewedImages },
          { runTraining },
          { openModelOrDefault },
          { writePromptFile },
          { readSymptomSetFile },
        ] = await trainingEngine();
        const symptoms = readSymptomSetFile(flags.symptoms);
        const engine = ctx.engine();
        const pkg = await openModelOrDefault(engine.paths.models, flags.model);
        if (pkg.manifest.randomWeights)
          ctx.info(`note: model package "${pkg.manifest.id}" has random weights (${pkg.manifest.warning ?? 'demo'})`);
        const folder =
          flags.dataset !== undefined
            ? { root: resolve(flags.dataset), ...(flags.splitFile ? { splitFile: resolve(flags.splitFile) } : {}) }
            : null;
        const dataset: DatasetSpec = !folder
          ? { kind: 'reviewed', images: listReviewedImages(engine.store) }
          : flags.fromReviews
            ? { kind: 'combined', ...folder, images: listReviewedImages(engine.store) }
            : { kind: 'folder', ...folder };
        const cancel = cancelOnInterrupt();
        try {
          const outcome = await runTraining(
            { paths: engine.paths, store: engine.store, actor: engine.actor() },
            {
              pkg,
              symptoms,
              symptomSetName: flags.symptomsName ?? basename(flags.symptoms, extname(flags.symptoms)),
              ...(flags.task !== undefined ? { task: flags.task } : {}),
              approvedBy: engine.actor(),
              symptomsSource: resolve(flags.symptoms),
              dataset,
              head: {
                method: flags.method,
                aggregate: flags.aggregate,
                nCtx: flags.cop ? flags.nCtx : 0,
                classSpecific: flags.classSpecific === true,
              },
              train: {
                epochs: flags.epochs,
                batchSize: flags.batchSize,
                lr: flags.lr,
                optimizer: flags.optimizer,
                weightDecay: flags.weightDecay,
                momentum: flags.momentum,
                warmupEpochs: flags.warmupEpochs,
                warmupLr: flags.warmupLr,
                seed: flags.seed,
                ...scheduleOptions(flags.schedule),
                textBackend: flags.textBackend,
              },
              views: flags.views,
              valFraction: flags.valFraction,
              evaluateTest: flags.test,
              ...(flags.name !== undefined ? { versionName: flags.name } : {}),
            },
            {
              signal: cancel.signal,
              onProgress: progressPrinter(ctx),
              ...(flags.inProcess ? { runner: 'in-process' as const } : {}),
              onRunCreated: (runId) => ctx.info(`training run ${runId} started`),
            },
          );
          ctx.info(`trained ${outcome.runner === 'worker' ? 'in a worker thread' : 'in-process'}`);
          writePromptFile(out, outcome.result.weights, {
            symptom_set_version: String(outcome.symptomSetVersion.id),
            model_package: pkg.manifest.id,
            model_version: String(outcome.version.id),
          });
          ctx.print({ ...trainJson(outcome, out), schedule: flags.schedule }, summary(out));
        } finally {
          cancel.dispose();
          await closeAllClipSessions();
        }
      }),
    );
}
