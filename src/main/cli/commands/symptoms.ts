/** `vip symptoms import|list`: symptom sets and their versions in the store. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  importSymptomSetVersion,
  listSymptomSetVersions,
  type SymptomSetVersionRow,
} from '../../engine/store/symptom-set-repo';
import { classNames, parseSymptomSetText } from '../../engine/vip/symptom-set';
import { symptomSetText } from '../../engine/vip/symptom-set-text';
import { action, userError } from '../frame';

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

export function registerSymptomCommands(program: Command): void {
  const symptoms = program.command('symptoms').description('symptom sets: import, list');

  symptoms
    .command('import')
    .description('import a symptom set file as a new version (recorded as approved by you)')
    .argument('<file>', 'symptom set JSON {"class": ["symptom", ...], ...}')
    .requiredOption('--name <name>', 'symptom set name')
    .option('--task <task>', 'task the set is for (default: the name)')
    .action(
      action((ctx, file: string, opts: { name: string; task?: string }) => {
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
        const { version, created } = engine.store.durableTransaction(() => {
          const imported = importSymptomSetVersion(engine.store.db, {
            name,
            task: opts.task?.trim() || name,
            classesJson: symptomSetText(set),
            approvedBy: actor,
            provenance: { source: resolve(file), importedBy: actor },
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
              approved: true,
              source: resolve(file),
            },
          });
          return imported;
        });
        ctx.print({ ...listing(version), created }, (r: SymptomSetListing & { created: boolean }) =>
          r.created
            ? `Imported ${r.name} v${r.version} (id ${r.id})`
            : `${r.name} v${r.version} (id ${r.id}) already holds these symptoms`,
        );
      }),
    );

  symptoms
    .command('list')
    .description('list symptom set versions')
    .action(
      action((ctx) => {
        ctx.print({ symptomSets: listSymptomSetVersions(ctx.engine().store.db).map(listing) }, table);
      }),
    );
}
