import { readFileSync, readdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VipError } from '../../src/shared/errors';
import { dataPaths } from '../../src/main/engine/paths';
import {
  assertOrdered,
  LATEST_SCHEMA_VERSION,
  migrate,
  migrations,
  readSchemaVersion,
} from '../../src/main/engine/store/migrations';
import { openStore } from '../../src/main/engine/store/store';
import { openEngine, sha256, tempDir } from './helpers';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

const tables = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );

describe('migrations', () => {
  it('creates every table from an empty folder and records the version', () => {
    const engine = openEngine(dir.path);
    try {
      expect(engine.store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      const db = engine.store.db;
      expect(readSchemaVersion(db)).toBe(migrations.length);
      expect(tables(db)).toEqual(
        expect.arrayContaining([
          'audit_log',
          'cases',
          'images',
          'meta',
          'model_packages',
          'model_versions',
          'predictions',
          'reviews',
          'settings',
          'symptom_set_versions',
          'symptom_sets',
          'training_runs',
        ]),
      );
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      engine.close();
    }
  });

  it('reopening an up-to-date database applies nothing again', () => {
    openEngine(dir.path).close();
    const engine = openEngine(dir.path);
    try {
      expect(migrate(engine.store.db)).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION });
    } finally {
      engine.close();
    }
  });

  it('applies each migration atomically: a failing one leaves the previous version intact', () => {
    const db = new Database(':memory:');
    const list = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER); THIS IS NOT SQL;' },
    ];
    expect(() => migrate(db, list)).toThrow();
    expect(readSchemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['a']);
    db.close();
  });

  it('rejects a migration list with a gap', () => {
    expect(() =>
      assertOrdered([
        { version: 1, name: 'one', sql: '' },
        { version: 3, name: 'three', sql: '' },
      ]),
    ).toThrow(/expected 2/);
    expect(() => assertOrdered(migrations)).not.toThrow();
  });

  it('refuses a database from a newer schema without changing it', () => {
    openEngine(dir.path).close();
    const paths = dataPaths(dir.path);
    const db = new Database(paths.database);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.exec('CREATE TABLE from_the_future (x INTEGER); INSERT INTO from_the_future VALUES (42);');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = sha256(readFileSync(paths.database));
    const filesBefore = readdirSync(dir.path).sort();

    let error: unknown;
    try {
      openStore(paths);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(VipError);
    expect((error as VipError).code).toBe('bad_input');
    expect((error as VipError).message).toContain(
      `created by a newer ViP Workstation (schema ${LATEST_SCHEMA_VERSION + 5}); this version supports up to ${LATEST_SCHEMA_VERSION}`,
    );

    expect(sha256(readFileSync(paths.database))).toBe(before);
    expect(readdirSync(dir.path).sort()).toEqual(filesBefore);
    const check = new Database(paths.database, { readonly: true });
    expect(readSchemaVersion(check)).toBe(LATEST_SCHEMA_VERSION + 5);
    expect(check.prepare('SELECT x FROM from_the_future').get()).toEqual({ x: 42 });
    check.close();
  });

  it('passes nativeBinding through to better-sqlite3', () => {
    const bogus = `${dir.path}/no-such-addon/better_sqlite3.node`;
    expect(() => openStore(dataPaths(dir.path), bogus)).toThrow(/no-such-addon/);
  });

  it('reports a file that is not a database as bad input', async () => {
    const { writeFileSync } = await import('node:fs');
    const paths = dataPaths(dir.path);
    writeFileSync(paths.database, 'this is a text file, not SQLite, and it is long enough to have a header'.repeat(10));
    expect(() => openEngine(dir.path)).toThrow(/not a ViP Workstation database/);
  });
});

describe('transactions', () => {
  it('commits a durable transaction with synchronous FULL and returns to NORMAL', () => {
    const engine = openEngine(dir.path);
    try {
      const { store } = engine;
      let levelInside = -1;
      store.durableTransaction(() => {
        levelInside = store.db.pragma('synchronous', { simple: true }) as number;
        store.audit.record({ actor: 't', action: 'durable' });
      });
      expect(levelInside).toBe(2); // FULL
      expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(store.audit.list(0, 10).entries.map((e) => e.action)).toContain('durable');
      expect(() => store.transaction(() => store.durableTransaction(() => 1))).toThrow(/cannot run inside/);
      expect(() =>
        store.transaction(() => {
          store.audit.record({ actor: 't', action: 'rolled back' });
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(store.audit.list(0, 10).entries.map((e) => e.action)).not.toContain('rolled back');
    } finally {
      engine.close();
    }
  });
});

describe('schema guarantees', () => {
  it('keeps the audit log append-only', () => {
    const engine = openEngine(dir.path);
    try {
      const id = engine.store.audit.record({ actor: 'tester', action: 'test.action', detail: { n: 1 } });
      expect(() => engine.store.db.prepare("UPDATE audit_log SET actor = 'someone else' WHERE id = ?").run(id)).toThrow(
        /append-only/,
      );
      expect(() => engine.store.db.prepare('DELETE FROM audit_log WHERE id = ?').run(id)).toThrow(/append-only/);
    } finally {
      engine.close();
    }
  });

  it('keeps model versions immutable and one active per task', () => {
    const engine = openEngine(dir.path);
    try {
      const db = engine.store.db;
      const at = new Date().toISOString();
      db.prepare(
        "INSERT INTO model_packages (id, name, source, random_weights, manifest_json, installed_at) VALUES ('demo', 'Demo', 'demo', 1, '{}', ?)",
      ).run(at);
      db.prepare("INSERT INTO symptom_sets (id, name, task, created_at) VALUES (1, 'cxr', 'pneumonia', ?)").run(at);
      db.prepare(
        "INSERT INTO symptom_set_versions (id, symptom_set_id, version, classes_json, provenance_json, created_at) VALUES (1, 1, 1, '[]', '{}', ?)",
      ).run(at);
      const insert = db.prepare(
        "INSERT INTO model_versions (name, task, model_package_id, symptom_set_version_id, prompt_path, config_json, active, created_at) VALUES (?, 'pneumonia', 'demo', 1, 'versions/x/prompt.safetensors', '{}', ?, ?)",
      );
      const v1 = Number(insert.run('v1', 1, at).lastInsertRowid);
      expect(() => insert.run('v2', 1, at)).toThrow(/UNIQUE/);
      insert.run('v2', 0, at);
      expect(() => db.prepare('UPDATE model_versions SET config_json = \'{"x":1}\' WHERE id = ?').run(v1)).toThrow(
        /immutable/,
      );
      db.prepare('UPDATE model_versions SET active = 0 WHERE id = ?').run(v1);
      expect(() =>
        db
          .prepare(
            "INSERT INTO predictions (image_id, mode, probabilities_json, predicted_class, probability, created_at) VALUES (999, 'zero-shot', '{}', 'a', 0.5, ?)",
          )
          .run(at),
      ).toThrow(/FOREIGN KEY/);
    } finally {
      engine.close();
    }
  });
});
