/** Entry point of the `vip` CLI (bundled to out/main/cli.js; bin/vip.js loads it). */
import { buildProgram } from './program';
import { runCli } from './frame';

const code = await runCli(buildProgram(), process.argv.slice(2));
process.exitCode = code;
