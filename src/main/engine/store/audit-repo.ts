/** The append-only audit log: who did what, when (import, prediction, review, training, activation, export). */
import type Database from 'better-sqlite3';
import type { AuditEntry } from '@shared/contract';
import { nowIso } from './clock';
import { objectFromJsonColumn, toJsonColumn } from './json-column';

export interface AuditRecord {
  actor: string;
  action: string;
  entity?: string | null;
  entityId?: string | number | null;
  detail?: Record<string, unknown> | null;
}

export interface AuditRepo {
  /** Append one entry; call inside the transaction of the change it describes where there is one. */
  record(entry: AuditRecord): number;
  list(offset: number, limit: number): { total: number; entries: AuditEntry[] };
  /** Entries about one entity, newest first. */
  forEntity(entity: string, entityId: string | number): AuditEntry[];
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

export function auditRepo(db: Database.Database): AuditRepo {
  const insert = db.prepare<[string, string, string, string | null, string | null, string | null]>(
    'INSERT INTO audit_log (at, actor, action, entity, entity_id, detail_json) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log');
  const page = db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?');
  const byEntity = db.prepare<[string, string], AuditRow>(
    'SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id DESC',
  );
  return {
    record(e) {
      const entityId = e.entityId === undefined || e.entityId === null ? null : String(e.entityId);
      return Number(
        insert.run(nowIso(), e.actor, e.action, e.entity ?? null, entityId, toJsonColumn(e.detail)).lastInsertRowid,
      );
    },
    list(offset, limit) {
      return { total: count.get()?.n ?? 0, entries: page.all(limit, offset).map(toEntry) };
    },
    forEntity(entity, entityId) {
      return byEntity.all(entity, String(entityId)).map(toEntry);
    },
  };
}
