/** Handlers of the export/audit contract methods: export.run, audit.query, audit.export. */
import { badInput } from '@shared/errors';
import type { HandlerGroup } from '../handlers';
import { exportAuditCsv, queryAudit } from './audit-log';
import { runExport } from './run-export';

type ExportMethods = 'export.run' | 'audit.query' | 'audit.export';

export const exportHandlers: HandlerGroup<ExportMethods> = {
  'export.run': async (params, ctx) => {
    if (params.caseIds && params.filter) throw badInput('Give either caseIds or filter, not both');
    if (!params.caseIds && !params.filter)
      throw badInput('Give caseIds or a filter (an empty filter exports every case)');
    return runExport(
      { store: ctx.store, actor: ctx.actor() },
      {
        out: params.out,
        pdf: params.pdf,
        dicomSr: params.dicomSr,
        identified: params.identified,
        ...(params.caseIds ? { caseIds: params.caseIds } : {}),
        ...(params.filter ? { filter: params.filter } : {}),
      },
      { onProgress: (p) => ctx.events.emit('export.progress', p) },
    );
  },

  'audit.query': (params, ctx) => queryAudit(ctx.store.db, params),

  'audit.export': async (params, ctx) => {
    const { out, ...filter } = params;
    const entries = await exportAuditCsv(ctx.store, out, filter, ctx.actor());
    return { path: out, entries };
  },
};
