/**
 * `vip export`: cases to a folder or a zip, de-identified unless --identified. One of --case (ids), --filter
 * (worklist filters, KEY=VALUE) or --all chooses the cases; --out ending in .zip writes a zip, anything else a folder.
 * Ctrl-C cancels the export: nothing is left at the destination and the command ends as any refused request (exit 2).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { ExportFilter, ExportResult } from '@shared/contract';
import { action, userError } from '../frame';

const FILTER_KEYS: Record<string, keyof ExportFilter> = {
  search: 'search',
  review: 'reviewStatus',
  'review-status': 'reviewStatus',
  modality: 'modality',
  class: 'predictedClass',
  'predicted-class': 'predictedClass',
  disagreement: 'disagreement',
  from: 'dateFrom',
  to: 'dateTo',
};

function caseIds(value: string, previous: number[] = []): number[] {
  const ids = value.split(',').map((part) => {
    const t = part.trim();
    const n = Number(t);
    if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n < 1)
      throw new InvalidArgumentError(`"${part}" is not a case id (a positive whole number)`);
    return n;
  });
  return [...previous, ...ids];
}

function filterTerm(value: string, previous: ExportFilter = {}): ExportFilter {
  const eq = value.indexOf('=');
  const key = eq > 0 ? FILTER_KEYS[value.slice(0, eq).trim().toLowerCase()] : undefined;
  if (!key) {
    throw new InvalidArgumentError(
      `"${value}" is not KEY=VALUE with KEY one of search, review, disagreement, modality, class, from, to (e.g. --filter review=reviewed)`,
    );
  }
  const v = value.slice(eq + 1).trim();
  if (key === 'reviewStatus') {
    if (v !== 'reviewed' && v !== 'unreviewed')
      throw new InvalidArgumentError(`review must be reviewed or unreviewed, not "${v}"`);
    return { ...previous, reviewStatus: v };
  }
  if (key === 'disagreement') {
    if (v !== 'true' && v !== 'yes') throw new InvalidArgumentError(`disagreement takes true, not "${v}"`);
    return { ...previous, disagreement: true };
  }
  if ((key === 'dateFrom' || key === 'dateTo') && !/^\d{4}-\d{2}-\d{2}$/.test(v))
    throw new InvalidArgumentError(`${key === 'dateFrom' ? 'from' : 'to'} takes a date like 2025-01-31, not "${v}"`);
  return { ...previous, [key]: v };
}

const size = (bytes: number): string =>
  bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function exportText(r: ExportResult): string {
  const extras = [
    r.pdfReports ? `${r.pdfReports} PDF report(s)` : null,
    r.structuredReports ? `${r.structuredReports} DICOM SR(s)` : null,
  ].filter(Boolean);
  return [
    `Exported ${r.cases} case(s), ${r.images} image(s) to ${r.path}`,
    `  ${r.format}, ${r.files} files, ${size(r.bytes)}${extras.length ? `; ${extras.join(', ')}` : ''}`,
    `  ${r.identified ? 'IDENTIFIED (patient names, IDs and birth dates included)' : 'de-identified (DICOM PS3.15 Basic Profile)'}`,
    `  export id ${r.exportId}`,
  ].join('\n');
}

/** The same warning for many cases once, with the cases it concerns. */
function groupedWarnings(warnings: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const w of warnings) {
    const m = /^Case (\d+): (.*)$/.exec(w);
    const text = m?.[2] ?? w;
    if (/has no predictions/.test(text)) continue;
    groups.set(text, [...(groups.get(text) ?? []), ...(m?.[1] ? [m[1]] : [])]);
  }
  return [...groups].map(([text, ids]) =>
    ids.length === 0
      ? text
      : `${text} (case${ids.length > 1 ? 's' : ''} ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', ...' : ''})`,
  );
}

interface ExportFlags {
  case?: number[];
  filter?: ExportFilter;
  all?: boolean;
  out?: string;
  pdf?: boolean;
  dicomSr?: boolean;
  identified?: boolean;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export cases (JSON, CSV, evidence PNGs, optional PDF reports and DICOM SR) to a folder or a .zip')
    .option('--case <ids>', 'case id(s), repeatable or comma separated', caseIds)
    .option(
      '--filter <KEY=VALUE>',
      'export the worklist matching a filter (repeatable): search=TEXT, review=reviewed|unreviewed, disagreement=true, modality=CR, class=NAME, from=YYYY-MM-DD, to=YYYY-MM-DD (case date)',
      filterTerm,
    )
    .option('--all', 'export every case')
    .option('--out <path>', 'a folder to create (or an empty one), or a file ending in .zip')
    .option('--pdf', 'add a PDF report per case')
    .option('--dicom-sr', 'add a DICOM Comprehensive SR per analysed DICOM image')
    .option('--identified', 'keep patient names, IDs, birth dates, dates and UIDs (recorded in the audit log)')
    .action(
      action(async (ctx, flags: ExportFlags) => {
        const chosen = [flags.case !== undefined, flags.filter !== undefined, flags.all === true].filter(Boolean);
        if (chosen.length !== 1) throw userError('choose the cases with exactly one of --case, --filter or --all');
        if (!flags.out) throw userError('give --out DIR or --out FILE.zip');
        const engine = ctx.engine();
        if (flags.identified)
          ctx.info(
            'vip: IDENTIFIED export: patient names, IDs and birth dates are included (recorded in the audit log)',
          );
        let last = 0;
        const stop = engine.events.on('export.progress', (p) => {
          // A line per case is noise for thousands; one every 2 s and the last one say enough.
          const now = Date.now();
          if (p.total > 1 && p.done > 0 && (p.done === p.total || now - last > 2000)) {
            last = now;
            ctx.info(`[${p.done}/${p.total}] cases written`);
          }
        });
        const exportId = randomUUID();
        // The engine stops at its next file and removes what it staged; a second Ctrl-C is Node's own (exit now).
        const onInterrupt = (): void => void engine.call('export.cancel', { exportId }).catch(() => undefined);
        process.once('SIGINT', onInterrupt);
        let result: ExportResult;
        try {
          result = await engine.call('export.run', {
            exportId,
            out: resolve(flags.out),
            pdf: flags.pdf === true,
            dicomSr: flags.dicomSr === true,
            identified: flags.identified === true,
            ...(flags.case ? { caseIds: flags.case } : {}),
            ...(flags.filter ? { filter: flags.filter } : {}),
            ...(flags.all ? { filter: {} } : {}),
          });
        } finally {
          process.off('SIGINT', onInterrupt);
          stop();
        }
        for (const id of result.casesWithoutPredictions)
          ctx.info(`vip: case ${id} has no predictions; exported with what it has`);
        for (const line of groupedWarnings(result.warnings)) ctx.info(`vip: ${line}`);
        ctx.print(result, exportText);
      }),
    );
}
