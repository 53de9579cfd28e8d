/** `vip versions list|activate`: the trained model versions and which one the workstation predicts with. */
import type { Command } from 'commander';
import { activateVersion, listVersions, type VersionInfo } from '../../engine/vip/versions';
import { action } from '../frame';
import { wholeNumber } from '../options';

const cell = (v: string | number | null, width: number): string =>
  String(v ?? '-')
    .slice(0, width)
    .padEnd(width);

const percent = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);

function versionTable(result: { versions: VersionInfo[] }): string {
  if (result.versions.length === 0) return 'No model versions yet. Train one with `vip train`.';
  const head = `  ${cell('ID', 5)} ${cell('TASK', 16)} ${cell('PACKAGE', 14)} ${cell('SYMPTOMS', 18)} ${cell('ACC', 7)} ${cell('F1', 7)} ${cell('CREATED', 20)} NAME`;
  const rows = result.versions.map((v) => {
    const symptoms = v.symptomSetName
      ? `${v.symptomSetName} v${v.symptomSetVersion ?? '?'}`
      : String(v.symptomSetVersionId);
    return `${v.active ? '*' : ' '} ${cell(v.id, 5)} ${cell(v.task, 16)} ${cell(v.modelPackageId, 14)} ${cell(symptoms, 18)} ${cell(percent(v.accuracy), 7)} ${cell(percent(v.macroF1), 7)} ${cell(v.createdAt.slice(0, 19), 20)} ${v.name}`;
  });
  return [
    head,
    ...rows,
    '',
    '* active for its task; ACC and F1 on the test split (validation when there was none)',
  ].join('\n');
}

export function registerVersionCommands(program: Command): void {
  const versions = program.command('versions').description('trained model versions: list, activate');

  versions
    .command('list')
    .description('list model versions (* marks the active one of each task)')
    .action(
      action((ctx) => {
        ctx.print({ versions: listVersions(ctx.engine().store) }, versionTable);
      }),
    );

  versions
    .command('activate')
    .description('make a version the one its task predicts with')
    .argument('<id>', 'model version id', wholeNumber(1, Number.MAX_SAFE_INTEGER))
    .action(
      action((ctx, id: number) => {
        const engine = ctx.engine();
        const info = activateVersion(engine.store, id, engine.actor());
        ctx.print(info, (v: VersionInfo) => `Model version ${v.id} is now active for task "${v.task}"`);
      }),
    );
}
