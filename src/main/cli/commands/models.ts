/** `vip models list|create-demo|import|fetch|remove`: the installed CLIP packages. */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DemoPreset, type ModelBuildProgress, type ModelBuildStep, type ModelPackageInfo } from '@shared/contract';
import { fetchFromHub, type FetchProgress } from '../../engine/model/fetch';
import { importHuggingFaceFolder } from '../../engine/model/import';
import { createDemoPackage, type PackageFile } from '../../engine/model/package';
import { defaultPackageId, describeModel, describePackage, listModels, removeModel } from '../../engine/model/registry';
import { action, type CliContext } from '../frame';

function seedArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  }
  return n;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

const cell = (v: string | number | null, width: number): string =>
  String(v ?? '-')
    .slice(0, width)
    .padEnd(width);

function packageTable(result: { packages: ModelPackageInfo[]; defaultId: string }): string {
  if (result.packages.length === 0) return 'No model packages. Create the demo with `vip models create-demo`.';
  const head = `  ${cell('ID', 24)} ${cell('SOURCE', 40)} ${cell('WEIGHTS', 8)} ${cell('SIZE', 10)} ARCHITECTURE`;
  const rows = result.packages.map((p) => {
    const mark = p.id === result.defaultId ? '*' : ' ';
    if (!p.ok) return `${mark} ${cell(p.id, 24)} DAMAGED: ${p.error ?? ''}`;
    const source = `${p.sourceKind ?? ''} ${p.sourceRef ?? ''}`.trim();
    const weights = p.randomWeights ? 'random' : 'trained';
    return `${mark} ${cell(p.id, 24)} ${cell(source, 40)} ${cell(weights, 8)} ${cell(megabytes(p.sizeBytes), 10)} ${p.architecture ?? ''}`;
  });
  const notes = ['* default package'];
  if (result.packages.some((p) => p.randomWeights))
    notes.push('random weights: for trying the app, not for clinical use');
  return [head, ...rows, '', ...notes].join('\n');
}

function packageText(p: ModelPackageInfo): string {
  const lines = [
    `Model package "${p.id}"`,
    `  name          ${p.name ?? '-'}`,
    `  source        ${p.sourceKind ?? '-'} ${p.sourceRef ?? ''}${p.revision ? ` @ ${p.revision}` : ''}`,
    `  architecture  ${p.architecture ?? '-'}`,
    `  size          ${megabytes(p.sizeBytes)}`,
  ];
  if (p.warning) lines.push(`  WARNING       ${p.warning}`);
  return lines.join('\n');
}

/** Reports each package file as it is written (building a big model's ONNX towers takes a while). */
function fileReporter(ctx: CliContext): (name: PackageFile) => void {
  return (name) => ctx.info(`  wrote ${name}`);
}

/** Download progress on stderr: one line per file start and end, and every few seconds in between. */
function progressReporter(ctx: CliContext): (p: FetchProgress) => void {
  let last = { file: '', at: 0 };
  const finished = new Set<string>();
  return (p) => {
    const now = Date.now();
    const done = p.totalBytes !== null && p.bytes >= p.totalBytes;
    if (finished.has(p.file) || (p.file === last.file && !done && now - last.at < 3000)) return;
    if (done) finished.add(p.file);
    const total = p.totalBytes === null ? '' : ` of ${megabytes(p.totalBytes)}`;
    const percent = p.totalBytes ? ` (${Math.floor((100 * p.bytes) / p.totalBytes)}%)` : '';
    ctx.info(`[${p.fileIndex}/${p.fileCount}] ${p.file}: ${megabytes(p.bytes)}${total}${percent}`);
    last = { file: p.file, at: now };
  };
}

const stepNames: Record<ModelBuildStep, string> = {
  tokenizer: 'config and tokenizer',
  'text-weights': 'text tower weights',
  'text-tower': 'text tower graphs',
  'image-weights': 'image tower weights',
  'image-tower': 'image tower graph',
  checksums: 'checksums',
};

/** The package build's steps on stderr: a line as each begins, and every few seconds within a long one. */
function buildReporter(ctx: CliContext): (p: ModelBuildProgress) => void {
  let last = { step: '', at: 0 };
  return (p) => {
    const now = Date.now();
    if (p.step === last.step && now - last.at < 3000) return;
    last = { step: p.step, at: now };
    ctx.info(
      `  step ${p.stepIndex}/${p.stepCount}: ${stepNames[p.step]} (${Math.floor(100 * p.fraction)}% of the build)`,
    );
  };
}

/**
 * Ctrl-C cancels cleanly: a download keeps its partial file for the next run to resume, a build removes what it
 * wrote; the command then ends with one line and exit code 2.
 */
function cancelOnInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSignal) };
}

export function registerModelCommands(program: Command): void {
  const models = program
    .command('models')
    .description('CLIP model packages: list, create the demo, import, fetch, remove');

  models
    .command('list')
    .description('list installed model packages (* marks the default)')
    .action(
      action(async (ctx) => {
        const dir = ctx.engine().paths.models;
        const packages = (await listModels(dir)).map(describePackage);
        ctx.print({ packages, defaultId: await defaultPackageId(dir) }, packageTable);
      }),
    );

  models
    .command('create-demo')
    .description('generate the demo CLIP (deterministic random weights: for trying the app, not for clinical use)')
    .option('--id <id>', 'package id', 'demo')
    .addOption(new Option('--preset <preset>', 'model size').choices(DemoPreset.options).default('tiny'))
    .option('--seed <n>', 'random seed', seedArg, 0)
    .action(
      action(async (ctx, opts: { id: string; preset: (typeof DemoPreset.options)[number]; seed: number }) => {
        const dir = ctx.engine().paths.models;
        const cancel = cancelOnInterrupt();
        try {
          ctx.info(`Creating demo package "${opts.id}" (${opts.preset}, seed ${opts.seed})...`);
          await createDemoPackage(dir, {
            id: opts.id,
            preset: opts.preset,
            seed: opts.seed,
            onFile: fileReporter(ctx),
            onProgress: buildReporter(ctx),
            signal: cancel.signal,
          });
        } finally {
          cancel.dispose();
        }
        ctx.print(await describeModel(dir, opts.id), packageText);
      }),
    );

  models
    .command('import')
    .description('import a Hugging Face CLIPModel folder (config.json, model.safetensors, vocab.json, merges.txt)')
    .argument('<folder>', 'the checkpoint folder')
    .requiredOption('--id <id>', 'package id')
    .action(
      action(async (ctx, folder: string, opts: { id: string }) => {
        const dir = ctx.engine().paths.models;
        const cancel = cancelOnInterrupt();
        try {
          ctx.info(`Importing ${resolve(folder)} as "${opts.id}"...`);
          await importHuggingFaceFolder(resolve(folder), dir, {
            id: opts.id,
            onFile: fileReporter(ctx),
            onProgress: buildReporter(ctx),
            signal: cancel.signal,
          });
        } finally {
          cancel.dispose();
        }
        ctx.print(await describeModel(dir, opts.id), packageText);
      }),
    );

  models
    .command('fetch')
    .description('download a CLIP from the Hugging Face Hub ($HF_ENDPOINT, $HF_TOKEN) and import it')
    .argument('<repo>', 'repository id, e.g. openai/clip-vit-base-patch32')
    .option('--id <id>', 'package id (default: the repository name)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--endpoint <url>', 'hub endpoint (default: $HF_ENDPOINT, else https://huggingface.co)')
    .action(
      action(async (ctx, repo: string, opts: { id?: string; revision: string; endpoint?: string }) => {
        const paths = ctx.engine().paths;
        const cancel = cancelOnInterrupt();
        try {
          ctx.info(`Fetching ${repo} @ ${opts.revision}...`);
          const result = await fetchFromHub(repo, {
            revision: opts.revision,
            modelsDir: paths.models,
            tmpDir: paths.tmp,
            signal: cancel.signal,
            onProgress: progressReporter(ctx),
            onFile: fileReporter(ctx),
            onBuild: buildReporter(ctx),
            ...(opts.id !== undefined ? { id: opts.id } : {}),
            ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
          });
          for (const f of result.files) {
            ctx.info(`  ${f.name}: sha256 ${f.sha256}${f.verified ? ' (matches the hub)' : ''}`);
          }
          ctx.print(await describeModel(paths.models, result.package.manifest.id), packageText);
        } finally {
          cancel.dispose();
        }
      }),
    );

  models
    .command('remove')
    .description('delete an installed model package')
    .argument('<id>', 'package id')
    .action(
      action(async (ctx, id: string) => {
        await removeModel(ctx.engine().paths.models, id);
        ctx.print({ removed: id }, () => `Removed model package "${id}"`);
      }),
    );
}
