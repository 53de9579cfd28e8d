#!/usr/bin/env node
// Thin launcher: the CLI is bundled with the engine by `npm run build` (electron-vite) into out/main/cli.js.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('vip: the CLI is not built yet; run `npm run build` first\n');
  process.exit(2);
}
await import(bundle);
