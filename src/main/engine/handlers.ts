/**
 * The engine's implementation of the contract: one handler per method, grouped by concern. A group's module (and
 * the libraries behind it: tfjs, pdf-lib, onnxruntime, ...) loads on the first call of one of its methods, so a
 * host or CLI command pays only for what it uses.
 *
 * Adding a method: implement it in a group, then name that group for it in `methodGroups` (a compile error until
 * you do; a contract section served by one group is listed whole with `allTo`). Adding a group: one loader in
 * `groups`.
 */
import {
  exportMethods,
  pacsMethods,
  reviewMethods,
  symptomMethods,
  type MethodName,
  type ParsedParams,
  type Result,
} from '@shared/contract';
import type { EngineContext } from './context';

export type Handler<M extends MethodName> = (
  params: ParsedParams<M>,
  ctx: EngineContext,
) => Promise<Result<M>> | Result<M>;
export type Handlers = { [M in MethodName]: Handler<M> };
export type HandlerGroup<K extends MethodName> = { [M in K]: Handler<M> };

/** Each handler group, imported on first use (bundled as its own chunk). */
const groups = {
  app: () => import('./app-handlers').then((m) => m.appHandlers),
  cases: () => import('./store/case-handlers').then((m) => m.caseHandlers),
  models: () => import('./model/model-handlers').then((m) => m.modelHandlers),
  vip: () => import('./vip/vip-handlers').then((m) => m.vipHandlers),
  training: () => import('./training/training-handlers').then((m) => m.trainingHandlers),
  review: () => import('./review/review-handlers').then((m) => m.reviewHandlers),
  symptoms: () => import('./symptoms/symptom-handlers').then((m) => m.symptomHandlers),
  export: () => import('./export/export-handlers').then((m) => m.exportHandlers),
  bench: () => import('./bench/bench-handlers').then((m) => m.benchHandlers),
  pacs: () => import('./pacs/pacs-handlers').then((m) => m.pacsHandlers),
};

export type GroupName = keyof typeof groups;
type GroupHandlers<G extends GroupName> = Awaited<ReturnType<(typeof groups)[G]>>;
/** The groups whose handlers include method M (never when none does: then no entry type-checks). */
type GroupsImplementing<M extends MethodName> = {
  [G in GroupName]: M extends keyof GroupHandlers<G> ? G : never;
}[GroupName];

/** Every method of a contract section, sent to one group (which must implement them all: else a compile error). */
function allTo<K extends MethodName, G extends GroupName>(section: Record<K, unknown>, group: G): { [M in K]: G } {
  return Object.fromEntries(Object.keys(section).map((m) => [m, group])) as { [M in K]: G };
}

/** Which group implements each method. Every method must be listed, each with a group that implements it. */
export const methodGroups: { readonly [M in MethodName]: GroupsImplementing<M> } = {
  'app.info': 'app',
  'engine.status': 'app',
  'cases.list': 'cases',
  'cases.get': 'cases',
  'cases.importPaths': 'cases',
  'cases.importFiles': 'cases',
  'cases.updateNotes': 'cases',
  'images.render': 'cases',
  'settings.get': 'cases',
  'settings.update': 'cases',
  'audit.list': 'cases',
  'models.list': 'models',
  'models.remove': 'models',
  'models.createDemo': 'models',
  'models.import': 'models',
  'models.fetch': 'models',
  'models.jobCancel': 'models',
  'models.jobs': 'models',
  'bench.latest': 'bench',
  'versions.list': 'vip',
  'versions.activate': 'vip',
  'cases.predict': 'vip',
  'training.start': 'training',
  'training.cancel': 'training',
  ...allTo(reviewMethods, 'review'),
  ...allTo(symptomMethods, 'symptoms'),
  ...allTo(exportMethods, 'export'),
  ...allTo(pacsMethods, 'pacs'),
};

const loaded = new Map<GroupName, Promise<Partial<Handlers>>>();

function loadGroup(group: GroupName): Promise<Partial<Handlers>> {
  let pending = loaded.get(group);
  if (!pending) {
    pending = groups[group]();
    // A failed import (a broken install) is retried on the next call rather than remembered.
    pending.catch(() => loaded.delete(group));
    loaded.set(group, pending);
  }
  return pending;
}

/** The handler of a method, loading its group on first use. */
export async function handlerFor<M extends MethodName>(method: M): Promise<Handler<M>> {
  const handler = (await loadGroup(methodGroups[method]))[method];
  if (!handler) throw new Error(`No handler for ${method} in group ${methodGroups[method]}`);
  return handler as Handler<M>;
}

/** Loads every group (interactive hosts warm up with it once they are idle; tests check the table with it). */
export async function loadAllHandlerGroups(): Promise<void> {
  await Promise.all((Object.keys(groups) as GroupName[]).map(loadGroup));
}
