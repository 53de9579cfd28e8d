import type { HandlerGroup } from '../handlers';
import { cancelFetch, startFetch } from './fetch-jobs';
import { importHuggingFaceFolder } from './import';
import { createDemoPackage } from './package';
import { defaultPackageId, describeModel, describePackage, listModels, removeModel } from './registry';

export const modelHandlers: HandlerGroup<
  'models.list' | 'models.remove' | 'models.createDemo' | 'models.import' | 'models.fetch' | 'models.fetchCancel'
> = {
  'models.fetch': (params, ctx) => startFetch(params, ctx),
  'models.fetchCancel': ({ jobId }) => ({ cancelled: cancelFetch(jobId) }),
  'models.list': async (_params, ctx) => ({
    packages: (await listModels(ctx.paths.models)).map(describePackage),
    defaultId: await defaultPackageId(ctx.paths.models),
  }),
  'models.remove': async ({ id }, ctx) => {
    await removeModel(ctx.paths.models, id);
    return { removed: id };
  },
  'models.createDemo': async ({ id, preset, seed }, ctx) => {
    await createDemoPackage(ctx.paths.models, { id, preset, seed });
    return describeModel(ctx.paths.models, id);
  },
  'models.import': async ({ folder, id }, ctx) => {
    await importHuggingFaceFolder(folder, ctx.paths.models, { id });
    return describeModel(ctx.paths.models, id);
  },
};
