/** Handlers of the export/audit contract methods: export.run, export.cancel, audit.query, audit.export. */
import { randomUUID } from 'node:crypto';
import { badInput, VipError } from '@shared/errors';
import type { HandlerGroup } from '../handlers';
import { exportAuditCsv, queryAudit } from './audit-log';
import { ExportCancellation, runExport } from './run-export';

type ExportMethods = 'export.run' | 'export.cancel' | 'audit.query' | 'audit.export';

/** The exports running in this process, by id: export.cancel reaches them here. */
const running = new Map<string, ExportCancellation>();

export const exportHandlers: HandlerGroup<ExportMethods> = {
  'export.run': async (params, ctx) => {
    if (params.caseIds && params.filter) throw badInput('Give either caseIds or filter, not both');
    if (!params.caseIds && !params.filter)
      throw badInput('Give caseIds or a filter (an empty filter exports every case)');
    const exportId = params.exportId ?? randomUUID();
    // Two exports under one id could not be told apart in their events or cancelled one at a time.
    if (running.has(exportId)) throw new VipError('conflict', `An export with id ${exportId} is already running`);
    const cancellation = new ExportCancellation();
    running.set(exportId, cancellation);
    try {
      return await runExport(
        { store: ctx.store, actor: ctx.actor() },
        {
          out: params.out,
          pdf: params.pdf,
          dicomSr: params.dicomSr,
          identified: params.identified,
          exportId,
          ...(params.caseIds ? { caseIds: params.caseIds } : {}),
          ...(params.filter ? { filter: params.filter } : {}),
        },
        { onProgress: (p) => ctx.events.emit('export.progress', p), cancellation },
      );
    } finally {
      running.delete(exportId);
    }
  },

  'export.cancel': ({ exportId }) => ({ cancelled: running.get(exportId)?.cancel() ?? false }),

  'audit.query': (params, ctx) => queryAudit(ctx.store.db, params),

  'audit.export': async (params, ctx) => {
    const { out, ...filter } = params;
    const entries = await exportAuditCsv(ctx.store, out, filter, ctx.actor());
    return { path: out, entries };
  },
};
