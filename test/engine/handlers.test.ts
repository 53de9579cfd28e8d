/**
 * The engine's handler table (engine/handlers.ts): every contract method is named with a group, the group it names
 * implements it (also a compile-time check), and no group implements a method that the table sends elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { methods, type MethodName } from '@shared/contract';
import { handlerFor, loadAllHandlerGroups, methodGroups } from '../../src/main/engine/handlers';

const contractMethods = Object.keys(methods).sort() as MethodName[];

describe('handler table', () => {
  it('names a group for exactly the contract methods', () => {
    expect(Object.keys(methodGroups).sort()).toEqual(contractMethods);
  });

  it('resolves every method to a function of its group', async () => {
    await loadAllHandlerGroups();
    for (const method of contractMethods) {
      const handler = await handlerFor(method);
      expect(typeof handler, method).toBe('function');
    }
  });

  it('sends each method to the only group that implements it', async () => {
    const groups = await Promise.all([
      import('../../src/main/engine/app-handlers').then((m) => ['app', m.appHandlers] as const),
      import('../../src/main/engine/store/case-handlers').then((m) => ['cases', m.caseHandlers] as const),
      import('../../src/main/engine/model/model-handlers').then((m) => ['models', m.modelHandlers] as const),
      import('../../src/main/engine/vip/vip-handlers').then((m) => ['vip', m.vipHandlers] as const),
      import('../../src/main/engine/training/training-handlers').then((m) => ['training', m.trainingHandlers] as const),
      import('../../src/main/engine/review/review-handlers').then((m) => ['review', m.reviewHandlers] as const),
      import('../../src/main/engine/symptoms/symptom-handlers').then((m) => ['symptoms', m.symptomHandlers] as const),
      import('../../src/main/engine/export/export-handlers').then((m) => ['export', m.exportHandlers] as const),
      import('../../src/main/engine/bench/bench-handlers').then((m) => ['bench', m.benchHandlers] as const),
      import('../../src/main/engine/pacs/pacs-handlers').then((m) => ['pacs', m.pacsHandlers] as const),
    ]);
    const implementedBy = new Map<string, string[]>();
    for (const [group, handlers] of groups) {
      for (const method of Object.keys(handlers))
        implementedBy.set(method, [...(implementedBy.get(method) ?? []), group]);
    }
    for (const method of contractMethods) {
      expect(implementedBy.get(method), method).toEqual([methodGroups[method]]);
      expect(await handlerFor(method), method).toBe(
        (groups.find(([g]) => g === methodGroups[method])?.[1] as Record<string, unknown>)[method],
      );
    }
  });
});
