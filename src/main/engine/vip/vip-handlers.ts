/** Handlers of the ViP methods of the contract: model versions and case predictions. */
import type { ModelVersionInfo } from '@shared/contract';
import type { HandlerGroup } from '../handlers';
import { predictCase } from './case-prediction';
import { activateVersion, listVersions, type VersionInfo } from './versions';

type VipMethods = 'versions.list' | 'versions.activate' | 'cases.predict';

function toContract(v: VersionInfo): ModelVersionInfo {
  const metrics = v.metrics !== null && typeof v.metrics === 'object' ? (v.metrics as Record<string, unknown>) : null;
  return {
    id: v.id,
    name: v.name,
    task: v.task,
    modelPackageId: v.modelPackageId,
    symptomSetVersionId: v.symptomSetVersionId,
    symptomSetName: v.symptomSetName,
    symptomSetVersion: v.symptomSetVersion,
    symptomSetApproved: v.symptomSetApproved,
    trainingRunId: v.trainingRunId,
    classes: v.classes,
    method: v.method,
    aggregate: v.aggregate,
    schedule: v.schedule,
    active: v.active,
    createdAt: v.createdAt,
    accuracy: v.accuracy,
    macroF1: v.macroF1,
    metrics,
  };
}

export const vipHandlers: HandlerGroup<VipMethods> = {
  'versions.list': (_params, ctx) => ({ versions: listVersions(ctx.store).map(toContract) }),
  'versions.activate': (params, ctx) => toContract(activateVersion(ctx.store, params.id, ctx.actor())),
  'cases.predict': (params, ctx) => predictCase(ctx, params),
};
