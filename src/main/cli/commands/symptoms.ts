/**
 * `vip symptoms import|list|show|export|edit|approve|generate`: symptom sets and their versions in the store, the
 * visual symptom generator (LLM, two stages) and a clinician's edits and approval. Generated and edited versions are
 * never approved by the command that made them.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SymptomGenerateParams, type KnowledgeReport, type SymptomSetVersionDetail } from '@shared/contract';
import { describeZodError } from '@shared/protocol';
import {
  importSymptomSetVersion,
  listSymptomSetVersions,
  type SymptomSetVersionRow,
} from '../../engine/store/symptom-set-repo';
import type { GenerationRecord } from '../../engine/symptoms/generator';
import {
  approveVersion,
  detail,
  ensureBuiltinSymptomSets,
  requireVersion,
  saveEditedVersion,
} from '../../engine/symptoms/symptom-service';
import { classNames, parseSymptomSetText } from '../../engine/vip/symptom-set';
import { symptomSetText } from '../../engine/vip/symptom-set-text';
import { action, CliExit, userError, type CliContext } from '../frame';

// The generator and CLIP matching (onnxruntime, sharp, ...) load when a command needs them, not at CLI start.
const closeAllClipSessions = async (): Promise<void> =>
  (await import('../../engine/model/onnx-session')).closeAllClipSessions();

interface SymptomSetListing {
  id: number;
  name: string;
  task: string;
  version: number;
  classes: string[];
  symptoms: Record<string, string[]>;
  approved: boolean;
  approvedBy: string | null;
  approvedAt: string | null;
  createdAt: string;
  provenance: Record<string, unknown> | null;
}

function listing(row: SymptomSetVersionRow): SymptomSetListing {
  const set = parseSymptomSetText(row.classesJson, { label: `symptom set ${row.name} v${row.version}` });
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    version: row.version,
    classes: classNames(set),
    // Class order is `classes`; a JSON object may list integer-like names first.
    symptoms: Object.fromEntries(set.classes.map((c) => [c.name, c.symptoms])),
    approved: row.approved,
    approvedBy: row.approvedBy,
    approvedAt: row.approvedAt,
    createdAt: row.createdAt,
    provenance: row.provenance,
  };
}

function table(result: { symptomSets: SymptomSetListing[] }): string {
  if (result.symptomSets.length === 0)
    return 'No symptom sets yet. Import one with `vip symptoms import FILE --name NAME`.';
  return result.symptomSets
    .map(
      (s) =>
        `${String(s.id).padEnd(5)} ${s.name} v${s.version} (task ${s.task}) ${s.approved ? `approved by ${s.approvedBy ?? '?'}` : 'NOT approved'}: ${s.classes.join(', ')}`,
    )
    .join('\n');
}

/** A version as `show` prints it for people: the symptoms, who approved it, where it came from, what was dropped. */
function describeVersion(d: SymptomSetVersionDetail): string {
  const lines = [
    `${d.name} v${d.version} (id ${d.id}, task ${d.task}): ${d.origin}${d.createdBy ? ` by ${d.createdBy}` : ''}, ${d.createdAt}`,
    d.approved ? `Approved by ${d.approvedBy ?? '?'} at ${d.approvedAt ?? '?'}` : 'NOT approved: training refuses it',
  ];
  if (d.partial) lines.push('PARTIAL: the generator found fewer valid symptoms than asked for');
  for (const c of d.classes) {
    lines.push(`  ${c.name}`);
    c.symptoms.forEach((s, i) => lines.push(`    ${i + 1}. ${s}`));
  }
  const generation = d.provenance?.['generation'] as GenerationRecord | null | undefined;
  if (generation) {
    lines.push(
      `Generated with ${generation.model} at ${generation.endpoint} (${generation.calls.length} LLM calls, ${generation.options.stages} stage${generation.options.stages === 1 ? '' : 's'}), ${generation.startedAt}`,
    );
  }
  if (d.dropped.length > 0) {
    lines.push('Dropped:');
    for (const x of d.dropped) lines.push(`  ${x.className}: "${x.text}": ${x.reason}`);
  }
  const edits = d.provenance?.['edits'];
  if (Array.isArray(edits) && edits.length > 0) {
    lines.push('Edits:');
    for (const e of edits as { at: string; by: string; fromVersionId: number; note: string | null }[]) {
      lines.push(`  ${e.at} by ${e.by} (from version id ${e.fromVersionId})${e.note ? `: ${e.note}` : ''}`);
    }
  }
  for (const w of d.warnings) lines.push(`warning: ${w}`);
  if (d.usedBy.length > 0)
    lines.push(`Used by model versions: ${d.usedBy.map((v) => `${v.id} (${v.name})`).join(', ')}`);
  return lines.join('\n');
}

function describeKnowledge(r: KnowledgeReport): string {
  const lines = [
    `Model ${r.modelPackageId} on the ${r.source} (${r.classes.map((c, i) => `${r.imagesPerClass[i] ?? 0} ${c}`).join(', ')})`,
    `Zero-shot accuracy with these symptoms: ${(100 * r.zeroShotAccuracy).toFixed(1)} %`,
    'AUC    verdict         class: symptom',
  ];
  for (const s of r.symptoms) {
    lines.push(`${s.auc === null ? '  -  ' : s.auc.toFixed(3)}  ${s.verdict.padEnd(14)}  ${s.className}: ${s.symptom}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** Writes next to the target first, then renames: a reader never sees half a file. */
function writeAtomically(path: string, text: string): void {
  const target = resolve(path);
  try {
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    try {
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  } catch (err) {
    throw userError(`cannot write ${target} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function versionId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a symptom set version id (see `vip symptoms list`)');
  }
  return n;
}

function unitInterval(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
}

function whole(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** "CLASS=TEXT" of --add and --remove. */
function classAndText(flag: string, value: string): { cls: string; text: string } {
  const at = value.indexOf('=');
  const cls = value.slice(0, at).trim();
  const text = value.slice(at + 1).trim();
  if (at < 0 || cls === '' || text === '') throw userError(`${flag} "${value}": expected CLASS=TEXT`);
  return { cls, text };
}

interface GenerateFlags {
  classes: string;
  modality: string;
  name?: string;
  task?: string;
  images?: string;
  fromReviews?: boolean;
  k: number;
  grids: number;
  out?: string;
  llmUrl?: string;
  llmModel?: string;
  timeout: number;
  clipMatch: 'auto' | 'on' | 'off';
  clipThreshold?: number;
  similarityThreshold?: number;
}

interface GenerateReport {
  status: GenerationRecord['status'];
  stored: boolean;
  versionId: number | null;
  name: string;
  version: number | null;
  created: boolean;
  approved: false;
  model: string;
  endpoint: string;
  classes: string[];
  symptoms: Record<string, string[]>;
  dropped: { className: string; text: string; reason: string }[];
  warnings: string[];
  error: string | null;
  out: string | null;
}

function generateSummary(r: GenerateReport): string {
  const lines = [
    r.stored
      ? `${r.created ? 'Stored' : 'Same symptoms as'} ${r.name} v${r.version} (id ${r.versionId}), NOT approved: review it and run \`vip symptoms approve ${r.versionId}\``
      : 'Nothing stored',
    `Status: ${r.status} (${r.model} at ${r.endpoint})`,
  ];
  for (const [cls, list] of Object.entries(r.symptoms)) {
    lines.push(`  ${cls}`);
    list.forEach((s, i) => lines.push(`    ${i + 1}. ${s}`));
  }
  if (r.dropped.length > 0) lines.push(`${r.dropped.length} candidates dropped (see --json or \`vip symptoms show\`)`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.out) lines.push(`Written to ${r.out}`);
  return lines.join('\n');
}

/** Ctrl-C cancels the run (nothing is stored). */
function cancelOnInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSignal) };
}

async function generate(ctx: CliContext, flags: GenerateFlags): Promise<void> {
  const classes = flags.classes
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const parsed = SymptomGenerateParams.safeParse({
    name: flags.name ?? `${flags.modality.trim()} (generated)`,
    ...(flags.task !== undefined ? { task: flags.task } : {}),
    modality: flags.modality,
    classes,
    ...(flags.images !== undefined ? { imagesDir: resolve(flags.images) } : {}),
    fromReviews: flags.fromReviews === true,
    k: flags.k,
    grids: flags.grids,
    ...(flags.llmUrl !== undefined ? { llmBaseUrl: flags.llmUrl } : {}),
    ...(flags.llmModel !== undefined ? { llmModel: flags.llmModel } : {}),
    timeoutSeconds: flags.timeout,
    clipMatching: flags.clipMatch,
    ...(flags.clipThreshold !== undefined ? { clipDuplicateThreshold: flags.clipThreshold } : {}),
    ...(flags.similarityThreshold !== undefined ? { stringDuplicateThreshold: flags.similarityThreshold } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === 'classes') throw userError('--classes: give at least two class names, separated by commas');
    throw userError(describeZodError(parsed.error));
  }
  const [{ keptSymptoms }, { prepareGeneration }] = await Promise.all([
    import('../../engine/symptoms/generator'),
    import('../../engine/symptoms/generation-job'),
  ]);
  const engine = ctx.engine();
  const cancel = cancelOnInterrupt();
  try {
    const run = await prepareGeneration(
      { paths: engine.paths, store: engine.store, actor: engine.actor() },
      parsed.data,
      {
        signal: cancel.signal,
        onProgress: (p) => ctx.info(p.message),
        onRetry: (r) => ctx.info(`the LLM answered ${r.reason}; trying again in ${Math.ceil(r.waitMs / 1000)} s`),
      },
    );
    const { record, stored } = await run();
    const out = flags.out !== undefined ? resolve(flags.out) : null;
    // The kept symptoms go to the file even when partial: the clinician may complete them by hand.
    if (out) {
      writeAtomically(
        out,
        symptomSetText({ classes: record.perClass.map((c) => ({ name: c.name, symptoms: c.kept })) }),
      );
    }
    const report: GenerateReport = {
      status: stored ? record.status : 'failed',
      stored: stored !== null,
      versionId: stored?.version.id ?? null,
      name: stored?.version.name ?? parsed.data.name,
      version: stored?.version.version ?? null,
      created: stored?.created ?? false,
      approved: false,
      model: record.model,
      endpoint: record.endpoint,
      classes: record.classes,
      symptoms: keptSymptoms(record),
      dropped: record.perClass.flatMap((c) => c.dropped.map((d) => ({ className: c.name, ...d }))),
      warnings: record.warnings,
      error: record.error,
      out,
    };
    ctx.print(report, generateSummary);
    if (!stored) {
      const why = record.error ?? record.warnings.find((w) => /no valid symptom/.test(w)) ?? 'no symptoms';
      process.stderr.write(`vip: nothing stored: ${why}\n`);
      throw new CliExit(2);
    }
  } finally {
    cancel.dispose();
    await closeAllClipSessions();
  }
}

export function registerSymptomCommands(program: Command): void {
  const symptoms = program
    .command('symptoms')
    .description('symptom sets: generate with an LLM, import, list, show, edit, approve, export');

  symptoms
    .command('import')
    .description('import a symptom set file as a new version (recorded as approved by you, unless --draft)')
    .argument('<file>', 'symptom set JSON {"class": ["symptom", ...], ...}')
    .requiredOption('--name <name>', 'symptom set name')
    .option('--task <task>', 'task the set is for (default: the name)')
    .option('--draft', 'record it unapproved, for a clinician to review')
    .action(
      action((ctx, file: string, opts: { name: string; task?: string; draft?: boolean }) => {
        const name = opts.name.trim();
        if (name === '') throw userError('--name must not be empty');
        let text: string;
        try {
          text = readFileSync(resolve(file), 'utf8');
        } catch (err) {
          throw userError(`cannot read symptom set ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
        const set = parseSymptomSetText(text, { label: file });
        const engine = ctx.engine();
        const actor = engine.actor();
        const approvedBy = opts.draft ? null : actor;
        const { version, created } = engine.store.durableTransaction(() => {
          const imported = importSymptomSetVersion(engine.store.db, {
            name,
            task: opts.task?.trim() || name,
            classesJson: symptomSetText(set),
            approvedBy,
            provenance: { source: resolve(file), importedBy: actor, kind: 'imported', createdBy: actor },
          });
          engine.store.audit.record({
            actor,
            action: 'symptoms.import',
            entity: 'symptom_set_version',
            entityId: imported.version.id,
            detail: {
              name,
              version: imported.version.version,
              created: imported.created,
              approved: approvedBy !== null,
              source: resolve(file),
            },
          });
          return imported;
        });
        ctx.print({ ...listing(version), created }, (r: SymptomSetListing & { created: boolean }) =>
          r.created
            ? `Imported ${r.name} v${r.version} (id ${r.id})${r.approved ? '' : ', NOT approved'}`
            : `${r.name} v${r.version} (id ${r.id}) already holds these symptoms`,
        );
      }),
    );

  symptoms
    .command('list')
    .description('list symptom set versions (the built-in sets are added on first use)')
    .action(
      action((ctx) => {
        const engine = ctx.engine();
        ensureBuiltinSymptomSets(engine.store, engine.actor());
        ctx.print({ symptomSets: listSymptomSetVersions(engine.store.db).map(listing) }, table);
      }),
    );

  symptoms
    .command('show')
    .description('one version: its symptoms, approval, provenance (prompts, raw answers, model, edits) and drops')
    .argument('<id>', 'symptom set version id', versionId)
    .action(
      action((ctx, id: number) => {
        const engine = ctx.engine();
        ctx.print(detail(engine.store, requireVersion(engine.store, id)), describeVersion);
      }),
    );

  symptoms
    .command('export')
    .description('write a version as a symptom set JSON file (class order kept)')
    .argument('<id>', 'symptom set version id', versionId)
    .requiredOption('--out <file>', 'where to write the JSON')
    .action(
      action((ctx, id: number, opts: { out: string }) => {
        const row = requireVersion(ctx.engine().store, id);
        const set = parseSymptomSetText(row.classesJson, { label: `symptom set ${row.name} v${row.version}` });
        const out = resolve(opts.out);
        writeAtomically(out, symptomSetText(set));
        ctx.print({ id, name: row.name, version: row.version, approved: row.approved, out }, () => `Written to ${out}`);
      }),
    );

  symptoms
    .command('edit')
    .description('save an edited copy of a version as a new, unapproved version')
    .argument('<id>', 'symptom set version id to start from', versionId)
    .option('--from <file>', 'the edited symptom set JSON (same classes, same order)')
    .option('--add <class=text>', 'add a symptom to a class (repeatable)', collect, [])
    .option('--remove <class=text>', 'remove a symptom from a class (repeatable)', collect, [])
    .option('--note <text>', 'why, for the record')
    .action(
      action((ctx, id: number, opts: { from?: string; add: string[]; remove: string[]; note?: string }) => {
        const engine = ctx.engine();
        const base = requireVersion(engine.store, id);
        let classes = parseSymptomSetText(base.classesJson).classes.map((c) => ({ ...c, symptoms: [...c.symptoms] }));
        if (opts.from !== undefined) {
          let text: string;
          try {
            text = readFileSync(resolve(opts.from), 'utf8');
          } catch (err) {
            throw userError(`cannot read ${opts.from} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
          }
          classes = parseSymptomSetText(text, { label: opts.from }).classes;
        }
        const find = (flag: string, cls: string) => {
          const found = classes.find((c) => c.name.toLowerCase() === cls.toLowerCase());
          if (!found)
            throw userError(`${flag}: no class "${cls}" (classes: ${classes.map((c) => `"${c.name}"`).join(', ')})`);
          return found;
        };
        for (const value of opts.remove) {
          const { cls, text } = classAndText('--remove', value);
          const c = find('--remove', cls);
          const i = c.symptoms.findIndex((s) => s.toLowerCase() === text.toLowerCase());
          if (i < 0) throw userError(`--remove: class "${c.name}" has no symptom "${text}"`);
          c.symptoms.splice(i, 1);
        }
        for (const value of opts.add) {
          const { cls, text } = classAndText('--add', value);
          find('--add', cls).symptoms.push(text);
        }
        if (opts.from === undefined && opts.add.length === 0 && opts.remove.length === 0) {
          throw userError('nothing to change: give --from FILE, --add CLASS=TEXT or --remove CLASS=TEXT');
        }
        const saved = saveEditedVersion(engine.store, {
          baseVersionId: id,
          classes,
          note: opts.note,
          actor: engine.actor(),
        });
        const d = detail(engine.store, saved.version);
        ctx.print(
          { created: saved.created, version: d },
          (r: { created: boolean; version: SymptomSetVersionDetail }) =>
            r.version.id === id
              ? 'No change: the symptoms are the same as before'
              : `${r.created ? 'Saved' : 'Same as existing'} ${r.version.name} v${r.version.version} (id ${r.version.id}), NOT approved`,
        );
      }),
    );

  symptoms
    .command('approve')
    .description('approve a version as the clinician named in the settings (or the OS user); training needs it')
    .argument('<id>', 'symptom set version id', versionId)
    .action(
      action((ctx, id: number) => {
        const engine = ctx.engine();
        const row = approveVersion(engine.store, id, engine.actor());
        ctx.print(
          detail(engine.store, row),
          (d: SymptomSetVersionDetail) =>
            `${d.name} v${d.version} (id ${d.id}) approved by ${d.approvedBy ?? '?'} at ${d.approvedAt ?? '?'}`,
        );
      }),
    );

  symptoms
    .command('check')
    .description("knowledge check: how well each symptom's similarity alone separates its class in labelled images")
    .argument('<id>', 'symptom set version id', versionId)
    .option('--dataset <dir>', 'labelled images: <dir>/<split>/<class>/<images>, or the root of --split-file paths')
    .option('--split-file <file>', "the authors' split JSON")
    .addOption(new Option('--split <name>', 'which split').choices(['train', 'val', 'test']).default('test'))
    .option('--from-reviews', 'the reviewed cases of the data folder instead')
    .option('--model <id>', 'model package (default: the first with real weights, else the demo)')
    .action(
      action(
        async (
          ctx,
          id: number,
          opts: {
            dataset?: string;
            splitFile?: string;
            split: 'train' | 'val' | 'test';
            fromReviews?: boolean;
            model?: string;
          },
        ) => {
          if ((opts.dataset === undefined) === (opts.fromReviews !== true))
            throw userError('give --dataset DIR or --from-reviews');
          try {
            const report = await ctx.engine().call('symptoms.check', {
              id,
              ...(opts.dataset !== undefined ? { dataset: resolve(opts.dataset) } : {}),
              ...(opts.splitFile !== undefined ? { splitFile: resolve(opts.splitFile) } : {}),
              split: opts.split,
              fromReviews: opts.fromReviews === true,
              ...(opts.model !== undefined ? { modelId: opts.model } : {}),
            });
            ctx.print(report, describeKnowledge);
          } finally {
            await closeAllClipSessions();
          }
        },
      ),
    );

  symptoms
    .command('generate')
    .description('write visual symptoms with an LLM (stage 1 text; stage 2 with --images); stored unapproved')
    .requiredOption('--classes <list>', 'class names, comma separated, in label order')
    .requiredOption('--modality <text>', 'what the images are, e.g. "chest X-ray" or "dermoscopy"')
    .option('--name <name>', 'symptom set name (default: "<modality> (generated)")')
    .option('--task <task>', 'task the set is for (default: the name)')
    .option('--images <dir>', 'stage 2: a folder with one folder of images per class (or <dir>/train/<class>)')
    .option('--from-reviews', 'stage 2: the reviewed cases of the data folder')
    .option('--k <n>', 'symptoms kept per class', whole(1, 32), 4)
    .option('--grids <n>', 'stage 2: 4x4 grids per class', whole(1, 10), 3)
    .option('--out <file>', 'also write the kept symptoms as a symptom set JSON file')
    .option('--llm-url <url>', 'OpenAI-compatible base URL (default: $VIP_LLM_URL, else the settings)')
    .option('--llm-model <name>', 'model name (default: $VIP_LLM_MODEL, else the settings)')
    .option('--timeout <seconds>', 'per LLM request', whole(1, 3600), 120)
    .addOption(
      new Option('--clip-match <when>', 'near duplicates by CLIP text cosine (auto: unless the model is the demo)')
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option(
      '--clip-threshold <x>',
      'CLIP cosine at which two symptoms are near duplicates (default 0.95)',
      unitInterval,
    )
    .option(
      '--similarity-threshold <x>',
      'word similarity at which two symptoms are near duplicates (default 0.8)',
      unitInterval,
    )
    .addHelpText('after', '\nThe API key, if the endpoint needs one, comes from $VIP_LLM_API_KEY.')
    .action(action((ctx, flags: GenerateFlags) => generate(ctx, flags)));
}
