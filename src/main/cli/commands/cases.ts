/** `vip cases import|list|show`: the case store from the terminal. */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  CaseSort,
  IsoDate,
  ReviewStatus,
  type CaseDetail,
  type CaseSummary,
  type ImportOutcome,
  type ImportReport,
} from '@shared/contract';
import { action, CliExit, userError } from '../frame';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function isoDay(value: string): string {
  if (!IsoDate.safeParse(value).success) throw new InvalidArgumentError('expected a date like 2025-01-31');
  return value;
}

function outcomeLine(o: ImportOutcome): string {
  switch (o.status) {
    case 'imported':
      return `imported   ${o.path} -> case ${o.caseId}, image ${o.imageId}`;
    case 'duplicate':
      return `duplicate  ${o.path} (already image ${o.imageId} in case ${o.caseId})`;
    case 'error':
      return `error      ${o.path}: ${o.error}`;
  }
}

const summaryLine = (r: ImportReport): string =>
  `${r.imported} imported, ${r.duplicates} duplicate(s), ${r.errors} error(s) (batch ${r.batchId})`;

const cell = (v: string | number | null, width: number): string =>
  String(v ?? '-')
    .slice(0, width)
    .padEnd(width);

function caseTable(result: { total: number; cases: CaseSummary[] }): string {
  const head = `${cell('ID', 7)} ${cell('CREATED', 20)} ${cell('STUDY', 10)} ${cell('MOD', 4)} ${cell('IMG', 4)} ${cell('REVIEW', 10)} ${cell('PREDICTION', 24)} DESCRIPTION`;
  const rows = result.cases.map((c) => {
    const prediction = c.predictedClass
      ? `${c.predictedClass} ${((c.predictedProbability ?? 0) * 100).toFixed(0)}%`
      : null;
    const review = c.reviewStatus === 'reviewed' ? (c.reviewLabel ?? 'reviewed') : 'unreviewed';
    return `${cell(c.id, 7)} ${cell(c.createdAt.slice(0, 19), 20)} ${cell(c.studyDate, 10)} ${cell(c.modality, 4)} ${cell(c.imageCount, 4)} ${cell(review, 10)} ${cell(prediction, 24)} ${c.description ?? ''}`;
  });
  return [head, ...rows, `${result.cases.length} of ${result.total} case(s)`].join('\n');
}

function caseText(c: CaseDetail): string {
  const lines = [
    `Case ${c.id}`,
    `  created        ${c.createdAt}`,
    `  study date     ${c.studyDate ?? '-'}`,
    `  modality       ${c.modality ?? '-'}`,
    `  body part      ${c.bodyPart ?? '-'}`,
    `  patient key    ${c.patientKey ?? '-'}`,
    `  description    ${c.description ?? '-'}`,
    `  prediction     ${c.predictedClass ? `${c.predictedClass} (${c.predictedProbability ?? '?'})` : '-'}`,
    `  review         ${c.reviewStatus}${c.reviewLabel ? `: ${c.reviewLabel}` : ''}`,
    `  notes          ${c.notes ?? '-'}`,
    `  images         ${c.images.length}`,
    ...c.images.map(
      (i) =>
        `    #${i.id} ${i.originalName} ${i.mediaType} ${i.width}x${i.height}${i.frameCount > 1 ? ` ${i.frameCount} frames` : ''}`,
    ),
  ];
  return lines.join('\n');
}

export function registerCaseCommands(program: Command): void {
  const cases = program.command('cases').description('import, list and show cases');

  cases
    .command('import')
    .description('import image files and folders (PNG, JPEG, TIFF, WebP, DICOM); folders are searched recursively')
    .argument('<paths...>', 'files or folders')
    .option('--case <id>', 'add every image to this existing case', positiveInt)
    .action(
      action(async (ctx, paths: string[], opts: { case?: number }) => {
        const engine = ctx.engine();
        const stop = engine.events.on('import.progress', (p) =>
          ctx.info(`[${p.index + 1}/${p.total}] ${outcomeLine(p.outcome)}`),
        );
        let report: ImportReport;
        try {
          report = await engine.call('cases.importPaths', {
            paths: paths.map((p) => resolve(p)),
            ...(opts.case !== undefined ? { caseId: opts.case } : {}),
          });
        } finally {
          stop();
        }
        if (ctx.json) ctx.print(report);
        else ctx.info(summaryLine(report));
        if (report.imported === 0 && report.duplicates === 0) {
          ctx.info(`vip: no file was imported (${report.errors} error(s))`);
          throw new CliExit(2);
        }
      }),
    );

  cases
    .command('list')
    .description('list cases (the worklist)')
    .option('--search <text>', 'match description, notes, file names, patient key or case id')
    .addOption(new Option('--review-status <status>', 'reviewed or unreviewed').choices(ReviewStatus.options))
    .option('--modality <code>', 'DICOM modality, e.g. CR, DX')
    .option('--predicted-class <name>', 'cases whose latest prediction is this class')
    .option('--from <date>', 'case date (study date, else import day) on or after YYYY-MM-DD', isoDay)
    .option('--to <date>', 'case date on or before YYYY-MM-DD', isoDay)
    .addOption(new Option('--sort <order>', 'sort order').choices(CaseSort.options).default('created_desc'))
    .option('--offset <n>', 'skip this many cases', nonNegativeInt, 0)
    .option('--limit <n>', 'at most this many cases (max 1000)', positiveInt, 200)
    .action(
      action(
        async (
          ctx,
          opts: {
            search?: string;
            reviewStatus?: 'reviewed' | 'unreviewed';
            modality?: string;
            predictedClass?: string;
            from?: string;
            to?: string;
            sort: (typeof CaseSort.options)[number];
            offset: number;
            limit: number;
          },
        ) => {
          const result = await ctx.engine().call('cases.list', {
            sort: opts.sort,
            offset: opts.offset,
            limit: opts.limit,
            ...(opts.search !== undefined ? { search: opts.search } : {}),
            ...(opts.reviewStatus !== undefined ? { reviewStatus: opts.reviewStatus } : {}),
            ...(opts.modality !== undefined ? { modality: opts.modality } : {}),
            ...(opts.predictedClass !== undefined ? { predictedClass: opts.predictedClass } : {}),
            ...(opts.from !== undefined ? { dateFrom: opts.from } : {}),
            ...(opts.to !== undefined ? { dateTo: opts.to } : {}),
          });
          ctx.print(result, caseTable);
        },
      ),
    );

  cases
    .command('show')
    .description('show one case with its images')
    .argument('<id>', 'case id')
    .action(
      action(async (ctx, id: string) => {
        if (!/^\d+$/.test(id) || Number(id) < 1)
          throw userError(`Case id must be a positive whole number, not "${id}"`);
        const detail = await ctx.engine().call('cases.get', { id: Number(id) });
        ctx.print(detail, caseText);
      }),
    );
}
