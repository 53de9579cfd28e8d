/** Entry point of the `vip` CLI (bundled to out/main/cli.js; bin/vip.js loads it). */
import { buildProgram } from './program';
import { runCli } from './frame';

const argv = process.argv.slice(2);
// `vip --version` alone prints the app version; elsewhere `--version <id>` is a model version (predict, eval).
const code = await runCli(buildProgram(), argv.length === 1 && argv[0] === '--version' ? ['-V'] : argv);
process.exitCode = code;
