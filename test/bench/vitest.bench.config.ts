/**
 * The speed targets (issue 9), kept out of the unit tests: `npx vitest run --config test/bench/vitest.bench.config.ts`.
 * They run `vip bench --preset vit-b16` (minutes, a 1 GB demo package) and fail for every target this machine misses.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@shared': resolve('src/shared') } },
  test: {
    include: ['test/bench/**/*.bench-test.ts'],
    environment: 'node',
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
