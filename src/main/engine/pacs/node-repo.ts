/** The configured PACS nodes in SQLite (table pacs_nodes): address, auth kind, user and timeout; never a secret. */
import type Database from 'better-sqlite3';
import type { PacsAuth } from '@shared/contract';
import { nowIso } from '../store/clock';

export interface PacsNode {
  name: string;
  url: string;
  auth: PacsAuth;
  username: string | null;
  timeoutSeconds: number;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  name: string;
  url: string;
  auth: string;
  username: string | null;
  timeout_seconds: number;
  created_at: string;
  updated_at: string;
}

export interface PacsNodeRepo {
  list(): PacsNode[];
  /** By name, case-insensitively (the column collates NOCASE). */
  get(name: string): PacsNode | null;
  /** False when a node of that name exists already. */
  insert(node: Omit<PacsNode, 'createdAt' | 'updatedAt'>): boolean;
  update(name: string, patch: Partial<Pick<PacsNode, 'url' | 'auth' | 'username' | 'timeoutSeconds'>>): void;
  remove(name: string): boolean;
}

const fromRow = (r: Row): PacsNode => ({
  name: r.name,
  url: r.url,
  auth: r.auth as PacsAuth,
  username: r.username,
  timeoutSeconds: r.timeout_seconds,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function pacsNodeRepo(db: Database.Database): PacsNodeRepo {
  const selectAll = db.prepare<[], Row>('SELECT * FROM pacs_nodes ORDER BY name COLLATE NOCASE');
  const selectOne = db.prepare<[string], Row>('SELECT * FROM pacs_nodes WHERE name = ?');
  const insert = db.prepare<[string, string, string, string | null, number, string, string]>(
    `INSERT INTO pacs_nodes (name, url, auth, username, timeout_seconds, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
  );
  const updateRow = db.prepare<[string, string, string | null, number, string, string]>(
    `UPDATE pacs_nodes SET url = ?, auth = ?, username = ?, timeout_seconds = ?, updated_at = ? WHERE name = ?`,
  );
  const remove = db.prepare<[string]>('DELETE FROM pacs_nodes WHERE name = ?');

  const get = (name: string): PacsNode | null => {
    const row = selectOne.get(name);
    return row ? fromRow(row) : null;
  };
  return {
    list: () => selectAll.all().map(fromRow),
    get,
    insert: (n) => {
      const now = nowIso();
      return insert.run(n.name, n.url, n.auth, n.username, n.timeoutSeconds, now, now).changes === 1;
    },
    update: (name, patch) => {
      const current = get(name);
      if (!current) return;
      const next = { ...current, ...patch };
      updateRow.run(next.url, next.auth, next.username, next.timeoutSeconds, nowIso(), current.name);
    },
    remove: (name) => remove.run(name).changes === 1,
  };
}
