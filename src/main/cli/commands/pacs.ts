/**
 * `vip pacs add|update|list|remove|test|query|retrieve|send`: PACS nodes over DICOMweb from the terminal. A node's password or
 * token comes from the environment (VIP_PACS_<NAME>_PASSWORD for basic auth, VIP_PACS_<NAME>_TOKEN for bearer; NAME
 * upper-cased with "-" as "_"): the CLI keeps no secret between runs.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { PacsNodeInfo, PacsProgress, PacsQueryResult, PacsRow } from '@shared/contract';
import { VipError } from '@shared/errors';
import { action } from '../frame';

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

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

const cell = (v: string | number | null | undefined, width: number): string =>
  String(v ?? '-')
    .slice(0, width)
    .padEnd(width);

function nodeLine(n: PacsNodeInfo): string {
  const auth = n.auth === 'basic' ? `basic (${n.username ?? '?'})` : n.auth;
  const secret =
    n.auth === 'none'
      ? ''
      : n.hasSecret
        ? ` secret: ${n.secretSource === 'environment' ? n.secretEnvVar : 'stored'}`
        : ` secret: missing (set ${n.secretEnvVar})`;
  return `${cell(n.name, 16)} ${cell(n.url, 48)} ${cell(auth, 20)} timeout ${n.timeoutSeconds}s${secret}`;
}

function rowLine(level: PacsQueryResult['level'], r: PacsRow): string {
  if (level === 'study')
    return `${cell(r.StudyDate, 8)} ${cell(r.PatientID, 12)} ${cell(r.PatientName, 20)} ${cell(r.ModalitiesInStudy.join('\\'), 6)} ${cell(r.AccessionNumber, 12)} ${cell(r.NumberOfStudyRelatedInstances, 5)} ${cell(r.StudyDescription, 24)} ${r.StudyInstanceUID ?? ''}`;
  if (level === 'series')
    return `${cell(r.SeriesNumber, 6)} ${cell(r.Modality, 4)} ${cell(r.NumberOfSeriesRelatedInstances, 5)} ${cell(r.SeriesDescription, 28)} ${r.SeriesInstanceUID ?? ''}`;
  return `${cell(r.InstanceNumber, 6)} ${cell(r.SOPClassUID, 30)} ${r.SOPInstanceUID ?? ''}`;
}

function queryTable(result: PacsQueryResult): string {
  const head = {
    study: `${cell('DATE', 8)} ${cell('PATIENT ID', 12)} ${cell('NAME', 20)} ${cell('MOD', 6)} ${cell('ACCESSION', 12)} ${cell('INST', 5)} ${cell('DESCRIPTION', 24)} STUDY UID`,
    series: `${cell('NUMBER', 6)} ${cell('MOD', 4)} ${cell('INST', 5)} ${cell('DESCRIPTION', 28)} SERIES UID`,
    instance: `${cell('NUMBER', 6)} ${cell('SOP CLASS', 30)} SOP INSTANCE UID`,
  }[result.level];
  const more = result.more ? ` (more: --offset ${result.offset + result.rows.length})` : '';
  return [
    head,
    ...result.rows.map((r) => rowLine(result.level, r)),
    `${result.rows.length} ${result.level} row(s)${more}`,
  ].join('\n');
}

interface QueryOptions {
  patientId?: string;
  patientName?: string;
  from?: string;
  to?: string;
  modality?: string;
  accession?: string;
  study?: string;
  series?: string;
  limit: number;
  offset: number;
}

export function registerPacsCommands(program: Command): void {
  const pacs = program
    .command('pacs')
    .description('PACS over DICOMweb: nodes, query (QIDO-RS), retrieve (WADO-RS), send SR (STOW-RS)');

  pacs
    .command('add')
    .description('add a PACS node (its secret comes from VIP_PACS_<NAME>_PASSWORD or _TOKEN)')
    .argument('<name>', 'a short name: letters, digits, "-" or "_"')
    .argument('<url>', 'the DICOMweb service root, e.g. http://pacs:8042/dicom-web')
    .addOption(new Option('--auth <kind>', 'authentication').choices(['none', 'basic', 'bearer']).default('none'))
    .option('--user <name>', 'the user for basic auth')
    .option('--timeout <seconds>', 'seconds one request may take', positiveSeconds, 30)
    .action(
      action(
        async (
          ctx,
          name: string,
          url: string,
          opts: { auth: 'none' | 'basic' | 'bearer'; user?: string; timeout: number },
        ) => {
          const node = await ctx.engine().call('pacs.add', {
            name,
            url,
            auth: opts.auth,
            timeoutSeconds: opts.timeout,
            ...(opts.user !== undefined ? { username: opts.user } : {}),
          });
          ctx.print(node, nodeLine);
          if (node.secretEnvVar && !node.hasSecret)
            ctx.info(`vip: set ${node.secretEnvVar} when you run vip pacs commands`);
        },
      ),
    );

  pacs
    .command('update')
    .description("change a PACS node's URL, authentication, user or timeout")
    .argument('<name>')
    .option('--url <url>', 'the DICOMweb service root')
    .addOption(new Option('--auth <kind>', 'authentication').choices(['none', 'basic', 'bearer']))
    .option('--user <name>', 'the user for basic auth')
    .option('--timeout <seconds>', 'seconds one request may take', positiveSeconds)
    .action(
      action(
        async (
          ctx,
          name: string,
          opts: { url?: string; auth?: 'none' | 'basic' | 'bearer'; user?: string; timeout?: number },
        ) => {
          const changes = {
            url: opts.url,
            auth: opts.auth,
            username: opts.user,
            timeoutSeconds: opts.timeout,
          };
          const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
          if (Object.keys(given).length === 0)
            throw new VipError('bad_input', 'nothing to change: give --url, --auth, --user or --timeout');
          const node = await ctx.engine().call('pacs.update', { name, ...given });
          ctx.print(node, nodeLine);
        },
      ),
    );

  pacs
    .command('list')
    .description('list the PACS nodes')
    .action(
      action(async (ctx) => {
        const result = await ctx.engine().call('pacs.list', {});
        ctx.print(result, (r: typeof result) =>
          r.nodes.length ? r.nodes.map(nodeLine).join('\n') : 'no PACS nodes (vip pacs add NAME URL)',
        );
      }),
    );

  pacs
    .command('remove')
    .description('remove a PACS node')
    .argument('<name>')
    .action(
      action(async (ctx, name: string) => {
        const result = await ctx.engine().call('pacs.remove', { name });
        ctx.print(result, (r: typeof result) => `removed ${r.removed}`);
      }),
    );

  pacs
    .command('test')
    .description('check that a PACS answers (one small study query)')
    .argument('<name>')
    .action(
      action(async (ctx, name: string) => {
        const result = await ctx.engine().call('pacs.test', { name });
        ctx.print(result, (r: typeof result) => `${r.ok ? 'ok' : 'FAILED'}: ${r.message} (${r.elapsedMs} ms)`);
        if (!result.ok) throw new VipError('unavailable', result.message);
      }),
    );

  pacs
    .command('query')
    .description('search studies; with --study its series; with --study and --series its instances')
    .argument('<name>')
    .option('--patient-id <id>', 'Patient ID')
    .option('--patient-name <name>', 'Patient Name, DICOM wildcards * and ? (e.g. "DOE^*")')
    .option('--from <date>', 'study date from (YYYY-MM-DD)')
    .option('--to <date>', 'study date to (YYYY-MM-DD)')
    .option('--modality <code>', 'modality, e.g. CR, DX')
    .option('--accession <number>', 'Accession Number')
    .option('--study <uid>', 'list the series of this study')
    .option('--series <uid>', 'list the instances of this series (with --study)')
    .option('--limit <n>', 'at most this many rows (max 1000)', positiveInt, 50)
    .option('--offset <n>', 'skip this many rows', nonNegativeInt, 0)
    .action(
      action(async (ctx, name: string, o: QueryOptions) => {
        const level = o.series ? 'instance' : o.study ? 'series' : 'study';
        const optional = {
          studyInstanceUID: o.study,
          seriesInstanceUID: o.series,
          patientId: o.patientId,
          patientName: o.patientName,
          dateFrom: o.from,
          dateTo: o.to,
          modality: o.modality,
          accessionNumber: o.accession,
        };
        const filters = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
        const result = await ctx
          .engine()
          .call('pacs.query', { name, level, limit: o.limit, offset: o.offset, ...filters });
        ctx.print(result, queryTable);
      }),
    );

  pacs
    .command('retrieve')
    .description('download a study (or one series) into the case store; instances already stored are skipped')
    .argument('<name>')
    .requiredOption('--study <uid>', 'Study Instance UID')
    .option('--series <uid>', 'only this series')
    .action(
      action(async (ctx, name: string, o: { study: string; series?: string }) => {
        const engine = ctx.engine();
        let jobId: number | null = null;
        const early: PacsProgress[] = [];
        let resolveFinal: (p: PacsProgress) => void = () => undefined;
        const final = new Promise<PacsProgress>((r) => (resolveFinal = r));
        const onProgress = (p: PacsProgress): void => {
          if (p.phase === 'finished') resolveFinal(p);
          else if (p.phase === 'retrieving' && p.total > 0)
            ctx.info(`[${p.done}/${p.total}] ${p.imported} new, ${p.alreadyStored} already stored`);
        };
        const stop = engine.events.on('pacs.progress', (p) => {
          if (jobId === null) early.push(p);
          else if (p.jobId === jobId) onProgress(p);
        });
        try {
          jobId = (
            await engine.call('pacs.retrieve', {
              name,
              studyInstanceUID: o.study,
              ...(o.series !== undefined ? { seriesInstanceUID: o.series } : {}),
            })
          ).jobId;
          for (const p of early) if (p.jobId === jobId) onProgress(p);
          const result = await final;
          ctx.print(result, (r: PacsProgress) =>
            [
              `${r.status ?? '?'}: ${r.imported} instance(s) retrieved, ${r.alreadyStored} already in the store, of ${r.total}`,
              `cases: ${r.caseIds.join(', ') || '-'}`,
            ].join('\n'),
          );
          if (result.status !== 'complete') {
            const landed = result.landed?.length ? ` landed: ${result.landed.join(' ')}` : '';
            throw new VipError(
              'unavailable',
              `retrieve ${result.status ?? 'failed'}: ${result.error ?? 'unknown error'}${landed}`,
            );
          }
        } finally {
          stop();
        }
      }),
    );

  pacs
    .command('send')
    .description("send a case's DICOM SR (its latest prediction) to the PACS, into the study of its images")
    .argument('<name>')
    .requiredOption('--case <id>', 'case id', positiveInt)
    .action(
      action(async (ctx, name: string, o: { case: number }) => {
        const result = await ctx.engine().call('pacs.send', { name, caseId: o.case });
        ctx.print(
          result,
          (r: typeof result) =>
            `sent ${r.sopInstanceUIDs.length} SR(s) of case ${r.caseId} to ${r.name}: study ${r.studyInstanceUID}, SR ${r.sopInstanceUIDs.join(' ')}`,
        );
      }),
    );
}
