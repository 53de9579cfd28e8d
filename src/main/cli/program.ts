/** The `vip` command tree. Each concern registers its subcommands from its own module. */
import { Command } from 'commander';
import { APP_VERSION } from '../engine/version';
import { registerCaseCommands } from './commands/cases';
import { registerServeCommand } from './commands/serve';
import { registerModelCommands } from './commands/models';
import { registerEmbedCommand } from './commands/embed';
import { registerImageCommands } from './commands/render';
import { registerTrainCommand } from './commands/train';
import { registerEvalCommand } from './commands/eval';
import { registerPredictCommand } from './commands/predict';
import { registerVersionCommands } from './commands/versions';
import { registerSymptomCommands } from './commands/symptoms';
import { registerBenchCommand } from './commands/bench';
import { registerExportCommand } from './commands/export';
import { registerAuditCommands } from './commands/audit';
import { registerPacsCommands } from './commands/pacs';

export function buildProgram(): Command {
  const program = new Command('vip')
    .description('ViP Workstation: classify medical images with CLIP and visual symptoms, offline')
    // `-V` only: `--version <id>` names a model version in predict and eval; main.ts maps a bare `vip --version`.
    .version(APP_VERSION, '-V')
    .option('--data <dir>', 'data folder (default: $VIP_DATA_DIR, else the per-user app data folder)')
    .option('--json', 'print results as JSON')
    .showHelpAfterError('(run with --help for usage)')
    // Set before any subcommand is added: commander copies these settings to subcommands at creation, so usage
    // errors anywhere reach runCli (exit 2) instead of exiting inside commander.
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCaseCommands(program);
  registerServeCommand(program);
  registerModelCommands(program);
  registerEmbedCommand(program);
  registerImageCommands(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
  registerPredictCommand(program);
  registerVersionCommands(program);
  registerSymptomCommands(program);
  registerBenchCommand(program);
  registerExportCommand(program);
  registerAuditCommands(program);
  registerPacsCommands(program);
  return program;
}
