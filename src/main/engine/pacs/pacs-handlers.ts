/**
 * The contract's `pacs.*` methods: PACS node settings, QIDO-RS query, WADO-RS retrieve jobs (progress as `pacs.progress`
 * events) and STOW-RS send of a case's DICOM SR.
 */
import type { pacsMethods, PacsTestResult } from '@shared/contract';
import { VipError } from '@shared/errors';
import type { HandlerGroup } from '../handlers';
import { pacsNodeRepo } from './node-repo';
import { addNode, nodeInfo, removeNode, requireNode, updateNode } from './node-service';
import { pacsClient } from './pacs-client';
import { listRetrieves } from './job-progress';
import { runQuery } from './query';

// Retrieve (the importer, image probing) and send (the export's SR writer, dcmjs) load on their first use, so listing
// nodes or querying does not pay for them.
const retrieveJobs = () => import('./retrieve-jobs');
const sendSr = () => import('./send-sr');

type PacsMethods = keyof typeof pacsMethods;

export const pacsHandlers: HandlerGroup<PacsMethods> = {
  'pacs.list': (_params, ctx) => ({ nodes: pacsNodeRepo(ctx.store.db).list().map(nodeInfo) }),

  'pacs.add': (params, ctx) => {
    const node = addNode(ctx.store.db, params);
    ctx.store.audit.record({
      actor: ctx.actor(),
      action: 'pacs.add',
      entity: 'pacs',
      entityId: node.name,
      detail: { url: node.url, auth: node.auth, username: node.username },
    });
    return nodeInfo(node);
  },

  'pacs.update': (params, ctx) => {
    const node = updateNode(ctx.store.db, params);
    ctx.store.audit.record({
      actor: ctx.actor(),
      action: 'pacs.update',
      entity: 'pacs',
      entityId: node.name,
      detail: { url: node.url, auth: node.auth, username: node.username, secretChanged: params.secret !== undefined },
    });
    return nodeInfo(node);
  },

  'pacs.remove': (params, ctx) => {
    const removed = removeNode(ctx.store.db, params.name);
    ctx.store.audit.record({ actor: ctx.actor(), action: 'pacs.remove', entity: 'pacs', entityId: removed });
    return { removed };
  },

  'pacs.test': async (params, ctx) => {
    const node = requireNode(ctx.store.db, params.name);
    const started = Date.now();
    const result = (ok: boolean, message: string): PacsTestResult => ({
      name: node.name,
      ok,
      message,
      elapsedMs: Date.now() - started,
    });
    try {
      const rows = await pacsClient(node).searchForStudies({ limit: 1 });
      return result(
        true,
        `PACS "${node.name}" answered a study query (${rows.length ? 'studies found' : 'no studies'})`,
      );
    } catch (err) {
      if (err instanceof VipError) return result(false, err.message);
      throw err;
    }
  },

  'pacs.query': (params, ctx) => runQuery(pacsClient(requireNode(ctx.store.db, params.name)), params),

  'pacs.retrieve': async (params, ctx) => ({ jobId: (await retrieveJobs()).startRetrieve(ctx, params) }),

  'pacs.cancel': async (params) => ({ cancelled: (await retrieveJobs()).cancelRetrieve(params.jobId) }),

  'pacs.jobs': () => ({ jobs: listRetrieves() }),

  'pacs.send': async (params, ctx) => {
    const client = pacsClient(requireNode(ctx.store.db, params.name));
    return (await sendSr()).sendCaseReports(ctx.store, client, params.caseId, ctx.actor());
  },
};
