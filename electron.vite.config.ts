import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// One build for all three processes. The main bundle has two entries that share the engine:
// the Electron bootstrap and the `vip` CLI (plain Node, never loads electron).
export default defineConfig({
  main: {
    resolve: { alias: { '@shared': resolve('src/shared') } },
    build: {
      outDir: 'out/main',
      target: 'node20',
      // zod is bundled: its ESM build is some 230 files, and loading them one by one costs every CLI command about
      // 0.15 s of start-up; bundled it is one chunk. The other dependencies stay external (native or large).
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/main.ts'),
          // The training worker thread, located at run time next to the calling bundle (engine/worker/client.ts).
          worker: resolve('src/main/engine/worker/entry.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias: { '@shared': resolve('src/shared') } },
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        // Sandboxed preload scripts must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    resolve: { alias: { '@shared': resolve('src/shared') } },
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
});
