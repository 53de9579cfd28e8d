import { cpus, platform } from 'node:os';
import type { HandlerGroup } from './handlers';
import { APP_VERSION } from './version';

export const appHandlers: HandlerGroup<'app.info' | 'engine.status'> = {
  // onnxruntime and tfjs load with the status, not with app.info (which every host asks for at start).
  'engine.status': async (_params, ctx) => (await import('./compute-status')).computeStatus(ctx),
  'app.info': (_params, ctx) => ({
    version: APP_VERSION,
    dataDir: ctx.paths.root,
    transport: ctx.transport,
    schemaVersion: ctx.store.schemaVersion,
    platform: platform(),
    cpuCount: cpus().length,
  }),
};
