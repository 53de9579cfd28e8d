import type { HandlerGroup } from '../handlers';
import { latestBench } from './bench-result';

export const benchHandlers: HandlerGroup<'bench.latest'> = {
  'bench.latest': async ({ preset }, ctx) => {
    const found = await latestBench(ctx.paths.benchmarks, preset);
    return found ? { path: found.path, result: found.result } : { path: null, result: null };
  },
};
