/**
 * Reading the audit log for people: a filtered, paged query (newest first) for the Audit screen and `vip audit list`,
 * and a CSV export of the whole log or a filtered part (oldest first), written to a temporary file beside the target,
 * fsynced, then renamed, so a failed export leaves nothing behind. Exporting the log is itself audited: its details
 * can name files and cases.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { once } from 'node:events';
import type Database from 'better-sqlite3';
import type { AuditEntry } from '@shared/contract';
import { badInput } from '@shared/errors';
import { objectFromJsonColumn } from '../store/json-column';
import type { Store } from '../store/store';
import { csvLine } from './csv';
import { describeWriteError } from './export-target';

export interface AuditFilter {
  action?: string | undefined;
  actor?: string | undefined;
  entity?: string | undefined;
  entityId?: string | undefined;
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string | null;
  entity_id: string | null;
  detail_json: string | null;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  entity: r.entity,
  entityId: r.entity_id,
  detail: objectFromJsonColumn(r.detail_json),
});

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

function where(f: AuditFilter): { sql: string; params: Record<string, string> } {
  const clauses: string[] = [];
  const params: Record<string, string> = {};
  const action = f.action?.trim();
  if (action) {
    // "cases." matches every cases.* action; anything else is exact.
    if (action.endsWith('.')) {
      params['action'] = `${escapeLike(action)}%`;
      clauses.push("action LIKE @action ESCAPE '\\'");
    } else {
      params['action'] = action;
      clauses.push('action = @action');
    }
  }
  if (f.actor?.trim()) {
    params['actor'] = f.actor.trim();
    clauses.push('actor = @actor');
  }
  if (f.entity?.trim()) {
    params['entity'] = f.entity.trim();
    clauses.push('entity = @entity');
  }
  if (f.entityId?.trim()) {
    params['entityId'] = f.entityId.trim();
    clauses.push('entity_id = @entityId');
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export function queryAudit(
  db: Database.Database,
  f: AuditFilter & { offset: number; limit: number },
): { total: number; entries: AuditEntry[]; actions: string[] } {
  const w = where(f);
  const total = (db.prepare(`SELECT count(*) AS n FROM audit_log ${w.sql}`).get(w.params) as { n: number }).n;
  const rows = db
    .prepare(`SELECT * FROM audit_log ${w.sql} ORDER BY id DESC LIMIT @limit OFFSET @offset`)
    .all({ ...w.params, limit: f.limit, offset: f.offset }) as AuditRow[];
  const actions = (
    db.prepare('SELECT DISTINCT action FROM audit_log ORDER BY action').all() as { action: string }[]
  ).map((r) => r.action);
  return { total, entries: rows.map(toEntry), actions };
}

export const AUDIT_CSV_HEADER = ['id', 'at', 'actor', 'action', 'entity', 'entity_id', 'detail'] as const;

/** Writes the (filtered) log as CSV to `out` (absolute, must not exist); returns how many entries it holds. */
export async function exportAuditCsv(store: Store, out: string, f: AuditFilter, actor: string): Promise<number> {
  if (!isAbsolute(out)) throw badInput(`The audit export destination must be an absolute path, not "${out}"`);
  const parent = dirname(out);
  const parentStat = await stat(parent).catch(() => null);
  if (!parentStat?.isDirectory()) throw badInput(`The folder ${parent} does not exist; create it first`);
  if (await stat(out).catch(() => null))
    throw badInput(`${out} already exists; choose another name or remove it first`);
  const temp = join(parent, `.${basename(out)}.${randomUUID()}.partial`);
  const w = where(f);
  let count = 0;
  try {
    const stream = createWriteStream(temp, { flags: 'wx' });
    const failed = once(stream, 'error').then(([err]: unknown[]) => {
      throw err;
    });
    failed.catch(() => undefined);
    const write = async (text: string): Promise<void> => {
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
    };
    await Promise.race([once(stream, 'open'), failed]);
    await write('\uFEFF' + csvLine(AUDIT_CSV_HEADER));
    const rows = store.db
      .prepare(`SELECT * FROM audit_log ${w.sql} ORDER BY id ASC`)
      .iterate(w.params) as IterableIterator<AuditRow>;
    for (const r of rows) {
      await write(csvLine([r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.detail_json]));
      count++;
    }
    stream.end();
    await Promise.race([once(stream, 'close'), failed]);
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, out);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw describeWriteError(err, parent);
  }
  store.audit.record({
    actor,
    action: 'audit.export',
    entity: 'audit_log',
    detail: { out, entries: count, filter: { ...f } },
  });
  return count;
}
