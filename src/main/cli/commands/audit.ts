/** `vip audit list|export`: the audit trail (who did what, when) from the terminal, and as CSV. */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { AuditEntry } from '@shared/contract';
import { action } from '../frame';

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

interface FilterFlags {
  action?: string;
  actor?: string;
  entity?: string;
  entityId?: string;
}

const filterOf = (f: FilterFlags): FilterFlags => ({
  ...(f.action !== undefined ? { action: f.action } : {}),
  ...(f.actor !== undefined ? { actor: f.actor } : {}),
  ...(f.entity !== undefined ? { entity: f.entity } : {}),
  ...(f.entityId !== undefined ? { entityId: f.entityId } : {}),
});

function withFilters(cmd: Command): Command {
  return cmd
    .option('--action <name>', 'only this action (a prefix ending in ".", e.g. "cases.", matches a family)')
    .option('--actor <name>', 'only entries by this person')
    .option('--entity <kind>', 'only entries about this kind of thing (case, export, model_version, ...)')
    .option('--entity-id <id>', 'only entries about this one (with --entity)');
}

const cell = (v: string, width: number): string => (v.length > width ? `${v.slice(0, width - 1)}…` : v.padEnd(width));

function auditTable(r: { total: number; entries: AuditEntry[] }, offset: number): string {
  const head = `${cell('ID', 7)} ${cell('AT (UTC)', 20)} ${cell('ACTOR', 18)} ${cell('ACTION', 24)} ${cell('ENTITY', 22)} DETAIL`;
  const rows = r.entries.map((e) => {
    const entity = e.entity ? `${e.entity}${e.entityId ? ` ${e.entityId}` : ''}` : '';
    const detail = e.detail ? JSON.stringify(e.detail) : '';
    return `${cell(String(e.id), 7)} ${cell(e.at.replace('T', ' ').slice(0, 19), 20)} ${cell(e.actor, 18)} ${cell(e.action, 24)} ${cell(entity, 22)} ${detail.length > 80 ? `${detail.slice(0, 79)}…` : detail}`;
  });
  const shown = r.entries.length ? `${offset + 1}-${offset + r.entries.length}` : '0';
  return [head, ...rows, `${shown} of ${r.total} entr${r.total === 1 ? 'y' : 'ies'}, newest first`].join('\n');
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit trail: list it, export it as CSV');

  withFilters(
    audit
      .command('list')
      .description('list audit entries, newest first')
      .option('--offset <n>', 'skip this many entries', wholeNumber(0, Number.MAX_SAFE_INTEGER), 0)
      .option('--limit <n>', 'at most this many entries (max 1000)', wholeNumber(1, 1000), 50),
  ).action(
    action(async (ctx, flags: FilterFlags & { offset: number; limit: number }) => {
      const result = await ctx
        .engine()
        .call('audit.query', { offset: flags.offset, limit: flags.limit, ...filterOf(flags) });
      ctx.print(result, (r: typeof result) => auditTable(r, flags.offset));
    }),
  );

  withFilters(
    audit
      .command('export')
      .description('write the audit trail (or the filtered part) as CSV, oldest first')
      .requiredOption('--out <file.csv>', 'the CSV file to create'),
  ).action(
    action(async (ctx, flags: FilterFlags & { out: string }) => {
      const result = await ctx.engine().call('audit.export', { out: resolve(flags.out), ...filterOf(flags) });
      ctx.print(
        result,
        (r: typeof result) => `Wrote ${r.entries} audit entr${r.entries === 1 ? 'y' : 'ies'} to ${r.path}`,
      );
    }),
  );
}
