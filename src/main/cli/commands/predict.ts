/** `vip predict`: class probabilities of images with the per-symptom explanation of each logit. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { SymptomEvidence } from '../../engine/vip/inference';
import { predictModes } from '../../engine/vip/text-side';
import { action, userError } from '../frame';
import { wholeNumber } from '../options';

// The engine modules of a prediction (onnxruntime, sharp, ...) load when the command runs, not at CLI start.
const predictEngine = () =>
  Promise.all([
    import('../../engine/model/onnx-session'),
    import('../../engine/vip/predictor'),
    import('../../engine/vip/text-side-choice'),
  ]);

interface PredictFlags {
  model?: string;
  symptoms?: string;
  image: string[];
  prompt?: string;
  version?: number;
  mode?: string;
  template?: string;
}

interface ImageResult {
  image: string;
  logits: number[];
  probabilities: number[];
  predicted: string;
  prototype_contribution: Record<string, number>;
  symptoms: Record<string, SymptomEvidence[]>;
}

interface PredictOutput {
  classes: string[];
  mode: string;
  model: string;
  version: number | null;
  results: ImageResult[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function predictText(out: PredictOutput): string {
  const lines: string[] = [];
  for (const r of out.results) {
    const p = r.probabilities.map((v, i) => `${out.classes[i] ?? i} ${(100 * v).toFixed(1)}%`).join(', ');
    lines.push(`${r.image}: ${r.predicted} (${p})`);
    const evidence = r.symptoms[r.predicted] ?? [];
    for (const s of [...evidence].sort((a, b) => b.contribution - a.contribution)) {
      lines.push(
        `    ${s.contribution >= 0 ? '+' : ''}${s.contribution.toFixed(3)}  ${s.text} (weight ${s.weight.toFixed(3)}, similarity ${s.similarity.toFixed(3)})`,
      );
    }
  }
  lines.push('(use --json for every class and value)');
  return lines.join('\n');
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('predict images with a trained prompt or a zero-shot baseline, with per-symptom evidence')
    .option('--model <id>', "model package (default: the version's, else the first with real weights, else the demo)")
    .option('--symptoms <file>', "symptom set JSON (default with --version: the version's)")
    .option('--image <file>', 'an image file (repeatable)', collect, [])
    .option('--prompt <file>', 'a prompt.safetensors')
    .option('--version <id>', 'a model version', wholeNumber(1, Number.MAX_SAFE_INTEGER))
    .addOption(
      new Option('--mode <mode>', 'vip (default with a prompt), or a zero-shot baseline').choices(predictModes),
    )
    .option('--template <text>', 'zero-shot class-name template (default "a photo of a {}.")')
    .action(
      action(async (ctx, flags: PredictFlags) => {
        if (flags.image.length === 0) throw userError('give at least one --image FILE');
        const [{ closeAllClipSessions }, { predictImages }, { chooseTextSide, checkTextSideFlags }] =
          await predictEngine();
        checkTextSideFlags(flags);
        // Every image must be readable before any model runs.
        const images = flags.image.map((path) => {
          let bytes: Buffer;
          try {
            bytes = readFileSync(resolve(path));
          } catch (err) {
            throw userError(`cannot read image ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
          }
          return { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
        });
        const engine = ctx.engine();
        try {
          const chosen = await chooseTextSide({ paths: engine.paths, store: () => engine.store }, flags);
          if (chosen.pkg.manifest.randomWeights)
            ctx.info(`note: model package "${chosen.pkg.manifest.id}" has random weights: not for clinical use`);
          const { predictions, failures } = await predictImages(
            chosen.pkg,
            chosen.sessions,
            engine.paths.features,
            chosen.prepared,
            images.map((img) => ({
              sha256: img.sha256,
              name: img.path,
              read: () => Promise.resolve(new Uint8Array(img.bytes)),
            })),
          );
          const failed = failures[0];
          if (failed)
            throw userError(failed.reason.startsWith(failed.name) ? failed.reason : `${failed.name}: ${failed.reason}`);
          const output: PredictOutput = {
            classes: chosen.prepared.classes,
            mode: chosen.mode,
            model: chosen.pkg.manifest.id,
            version: chosen.versionId,
            results: predictions.map((p) => ({
              image: images[p.index]?.path ?? '',
              logits: p.logits,
              probabilities: p.probabilities,
              predicted: p.predicted,
              prototype_contribution: p.prototype_contribution,
              symptoms: p.symptoms,
            })),
          };
          ctx.print(output, predictText);
        } finally {
          await closeAllClipSessions();
        }
      }),
    );
}
