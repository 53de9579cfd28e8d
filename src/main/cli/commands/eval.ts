/** `vip eval`: accuracy, macro-F1, per-class metrics, confusion matrix and ROC AUC of one dataset split. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { EvalMetrics } from '../../engine/training/metrics';
import { splitNames, type SplitName } from '../../engine/training/option-names';
import { predictModes } from '../../engine/vip/text-side';
import { action } from '../frame';
import { wholeNumber } from '../options';

// The evaluation engine (onnxruntime, sharp, ...) loads when `vip eval` runs, not at CLI start.
const evalEngine = () =>
  Promise.all([
    import('../../engine/model/onnx-session'),
    import('../../engine/training/evaluate'),
    import('../../engine/vip/text-side-choice'),
  ]);

interface EvalFlags {
  model?: string;
  dataset: string;
  splitFile?: string;
  split: SplitName;
  symptoms?: string;
  prompt?: string;
  version?: number;
  mode?: string;
  template?: string;
}

function metricsText(m: EvalMetrics): string {
  const names = Object.keys(m.per_class);
  const width = Math.max(12, ...names.map((n) => n.length + 2));
  const lines = [
    `n ${m.n}  accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macro_f1.toFixed(4)}  AUROC ${m.auroc === null ? '-' : m.auroc.toFixed(4)}`,
    '',
    `${'class'.padEnd(width)} precision  recall     f1         support`,
    ...names.map((n) => {
      const c = m.per_class[n];
      return c
        ? `${n.padEnd(width)} ${c.precision.toFixed(4).padEnd(10)} ${c.recall.toFixed(4).padEnd(10)} ${c.f1.toFixed(4).padEnd(10)} ${c.support}`
        : n;
    }),
    '',
    'confusion matrix (rows: true class, columns: predicted)',
    ...m.confusion_matrix.map(
      (row, i) => `${(names[i] ?? '').padEnd(width)} ${row.map((v) => String(v).padStart(6)).join(' ')}`,
    ),
  ];
  return lines.join('\n');
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('evaluate a trained prompt or a zero-shot baseline on a dataset split')
    .option('--model <id>', "model package (default: the version's, else the first with real weights, else the demo)")
    .requiredOption(
      '--dataset <dir>',
      'dataset root: <dir>/<split>/<class>/<images>, or the root of --split-file paths',
    )
    .option('--split-file <file>', "the authors' split JSON")
    .addOption(new Option('--split <split>', 'which split').choices(splitNames).default('test'))
    .option('--symptoms <file>', "symptom set JSON (default with --version: the version's)")
    .option('--prompt <file>', 'a prompt.safetensors')
    .option('--version <id>', 'a model version', wholeNumber(1, Number.MAX_SAFE_INTEGER))
    .addOption(
      new Option('--mode <mode>', 'vip (default with a prompt), or a zero-shot baseline').choices(predictModes),
    )
    .option('--template <text>', 'zero-shot class-name template', undefined)
    .action(
      action(async (ctx, flags: EvalFlags) => {
        const [{ closeAllClipSessions }, { evaluateSplit }, { chooseTextSide, checkTextSideFlags }] =
          await evalEngine();
        checkTextSideFlags(flags);
        const engine = ctx.engine();
        try {
          const chosen = await chooseTextSide({ paths: engine.paths, store: () => engine.store }, flags);
          ctx.info(
            `evaluating ${flags.split} with ${chosen.mode}${chosen.versionId ? ` (version ${chosen.versionId})` : ''} on "${chosen.pkg.manifest.id}"`,
          );
          const result = await evaluateSplit(chosen.pkg, chosen.sessions, chosen.prepared, {
            root: resolve(flags.dataset),
            ...(flags.splitFile !== undefined ? { splitFile: resolve(flags.splitFile) } : {}),
            split: flags.split,
            featuresDir: engine.paths.features,
          });
          for (const w of result.warnings) ctx.info(`warning: ${w}`);
          if (result.skipped > 0) ctx.info(`${result.skipped} image(s) skipped`);
          ctx.print(result.metrics, metricsText);
        } finally {
          await closeAllClipSessions();
        }
      }),
    );
}
