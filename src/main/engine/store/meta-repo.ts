/** Internal values of one data folder (not user settings). */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface MetaRepo {
  get(key: string): string | null;
  /** The value under key, creating it with make() the first time (race-free across processes). */
  getOrCreate(key: string, make: () => string): string;
}

export function metaRepo(db: Database.Database): MetaRepo {
  const select = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const insert = db.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
  );
  const get = (key: string): string | null => select.get(key)?.value ?? null;
  const getOrCreate = db.transaction((key: string, make: () => string): string => {
    insert.run(key, make());
    const value = get(key);
    if (value === null) throw new Error(`meta value ${key} vanished`);
    return value;
  });
  return {
    get,
    getOrCreate: (key, make) => get(key) ?? getOrCreate.immediate(key, make),
  };
}

export const randomSecret = (): string => randomBytes(32).toString('hex');
