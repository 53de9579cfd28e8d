/**
 * The engine's implementation of the contract: one handler per method, grouped by concern.
 * The mapped type makes a missing or mistyped handler a compile error.
 */
import type { MethodName, ParsedParams, Result } from '@shared/contract';
import type { EngineContext } from './context';
import { appHandlers } from './app-handlers';
import { caseHandlers } from './store/case-handlers';
import { modelHandlers } from './model/model-handlers';
import { vipHandlers } from './vip/vip-handlers';
import { trainingHandlers } from './training/training-handlers';
import { reviewHandlers } from './review/review-handlers';
import { symptomHandlers } from './symptoms/symptom-handlers';
import { exportHandlers } from './export/export-handlers';
import { benchHandlers } from './bench/bench-handlers';
import { pacsHandlers } from './pacs/pacs-handlers';

export type Handler<M extends MethodName> = (
  params: ParsedParams<M>,
  ctx: EngineContext,
) => Promise<Result<M>> | Result<M>;
export type Handlers = { [M in MethodName]: Handler<M> };
export type HandlerGroup<K extends MethodName> = { [M in K]: Handler<M> };

export const handlers: Handlers = {
  ...appHandlers,
  ...caseHandlers,
  ...modelHandlers,
  ...vipHandlers,
  ...trainingHandlers,
  ...reviewHandlers,
  ...symptomHandlers,
  ...exportHandlers,
  ...benchHandlers,
  ...pacsHandlers,
};
