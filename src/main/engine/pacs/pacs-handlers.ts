/**
 * The contract's `pacs.*` methods: PACS node settings, QIDO-RS query, WADO-RS retrieve jobs (progress as `pacs.progress`
 * events) and STOW-RS send of a case's DICOM SR.
 */
import type { pacsMethods } from '@shared/contract';
import { VipError } from '@shared/errors';
import type { HandlerGroup } from '../handlers';
import { pacsNodeRepo } from './node-repo';
import { addNode, nodeInfo, removeNode, updateNode } from './node-service';

type PacsMethods = keyof typeof pacsMethods;

const notYet = (what: string): never => {
  throw new VipError('unavailable', `PACS ${what} is not available in this build yet`);
};

export const pacsHandlers: HandlerGroup<PacsMethods> = {
  'pacs.list': (_params, ctx) => ({ nodes: pacsNodeRepo(ctx.store.db).list().map(nodeInfo) }),
  'pacs.add': (params, ctx) => nodeInfo(addNode(ctx.store.db, params)),
  'pacs.update': (params, ctx) => nodeInfo(updateNode(ctx.store.db, params)),
  'pacs.remove': (params, ctx) => ({ removed: removeNode(ctx.store.db, params.name) }),
  'pacs.test': () => notYet('echo'),
  'pacs.query': () => notYet('query'),
  'pacs.retrieve': () => notYet('retrieve'),
  'pacs.cancel': () => notYet('cancel'),
  'pacs.send': () => notYet('send'),
};
