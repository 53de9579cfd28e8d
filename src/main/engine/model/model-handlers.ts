import type { HandlerGroup } from '../handlers';
import { cancelModelJob, listModelJobs, startCreateDemo, startFetch, startImport } from './model-jobs';
import { defaultPackageId, describePackage, listModels, removeModel } from './registry';

export const modelHandlers: HandlerGroup<
  | 'models.list'
  | 'models.remove'
  | 'models.createDemo'
  | 'models.import'
  | 'models.fetch'
  | 'models.jobCancel'
  | 'models.jobs'
> = {
  'models.fetch': (params, ctx) => startFetch(params, ctx),
  'models.createDemo': (params, ctx) => startCreateDemo(params, ctx),
  'models.import': (params, ctx) => startImport(params, ctx),
  'models.jobCancel': ({ jobId }, ctx) => ({ cancelled: cancelModelJob(jobId, ctx) }),
  'models.jobs': (_params, ctx) => ({ jobs: listModelJobs(ctx) }),
  'models.list': async (_params, ctx) => ({
    packages: (await listModels(ctx.paths.models)).map(describePackage),
    defaultId: await defaultPackageId(ctx.paths.models),
  }),
  'models.remove': async ({ id }, ctx) => {
    await removeModel(ctx.paths.models, id);
    return { removed: id };
  },
};
