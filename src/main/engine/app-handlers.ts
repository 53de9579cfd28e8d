import { cpus, platform } from 'node:os';
import { computeStatus } from './compute-status';
import type { HandlerGroup } from './handlers';
import { APP_VERSION } from './version';

export const appHandlers: HandlerGroup<'app.info' | 'engine.status'> = {
  'engine.status': (_params, ctx) => computeStatus(ctx),
  'app.info': (_params, ctx) => ({
    version: APP_VERSION,
    dataDir: ctx.paths.root,
    transport: ctx.transport,
    schemaVersion: ctx.store.schemaVersion,
    platform: platform(),
    cpuCount: cpus().length,
  }),
};
