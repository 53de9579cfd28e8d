/**
 * The CLI frame shared by every subcommand: global options, the engine's lifetime, output and exit codes.
 * Exit codes: 0 ok, 2 bad input (one line on stderr, no stack trace), 1 internal error.
 */
import { Command, CommanderError } from 'commander';
import { isUserError, toErrorInfo, VipError } from '@shared/errors';
import { RemoteError } from '@shared/protocol';
import { Engine } from '../engine/engine';
import { resolveDataDir } from '../engine/paths';

export interface GlobalOptions {
  data?: string;
  json?: boolean;
}

export interface CliContext {
  readonly json: boolean;
  readonly dataDir: string;
  /** Opens the engine on first use; closed when the command ends. */
  engine(): Engine;
  /** Print a result: JSON with --json, else the human rendering. */
  print(result: unknown, human?: (result: never) => string): void;
  /** Progress and warnings: always stderr, so --json output stays parseable. */
  info(line: string): void;
}

export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Wrap a subcommand's body: builds the context, closes the engine, leaves errors to `runCli`. */
export function action<A extends unknown[]>(
  body: (ctx: CliContext, ...args: A) => Promise<void> | void,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    let engine: Engine | undefined;
    const dataDir = resolveDataDir(globals.data);
    const ctx: CliContext = {
      json: globals.json === true,
      dataDir,
      engine: () => (engine ??= Engine.open({ dataDir, transport: 'cli' })),
      print: (result, human) => {
        if (globals.json === true || !human) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else process.stdout.write(human(result as never) + '\n');
      },
      info: (line) => process.stderr.write(line + '\n'),
    };
    try {
      await body(ctx, ...(args.slice(0, -1) as A));
    } finally {
      engine?.close();
    }
  };
}

/** Parse argv and run; returns the exit code instead of exiting, so tests can call it. */
export async function runCli(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CliExit) return err.exitCode;
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0; usage errors were already printed.
    return err.exitCode === 0 ? 0 : 2;
  }
  const info =
    err instanceof RemoteError ? { code: err.code, message: err.message, detail: err.detail } : toErrorInfo(err);
  const oneLine = info.message.replace(/\s*\n\s*/g, ' ');
  if (isUserError(info.code)) {
    process.stderr.write(`vip: ${oneLine}\n`);
    return 2;
  }
  process.stderr.write(`vip: internal error: ${oneLine}\n`);
  if (process.env['VIP_DEBUG']) process.stderr.write(`${info.detail ?? ''}\n`);
  else process.stderr.write('vip: set VIP_DEBUG=1 for the stack trace\n');
  return 1;
}

export function userError(message: string): VipError {
  return new VipError('bad_input', message);
}
