/**
 * The audit trail through the contract: audit.query pages newest first and filters by action, actor and entity;
 * audit.export writes the log as CSV (oldest first) that parses back to the same entries, refuses to overwrite, and is
 * itself audited.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, type Fixture } from './helpers/fixture';
import { csvRecords } from './helpers/read-export';

let f: Fixture;
let outDir: string;

beforeAll(async () => {
  f = await buildFixture('vip-export-audit-');
  outDir = join(f.root, 'out');
  mkdirSync(outDir);
  const { store } = f.engine;
  // A known run of entries: 30 by two actors, on cases and versions.
  for (let i = 1; i <= 30; i++) {
    store.audit.record({
      actor: i % 3 === 0 ? 'bob' : 'alice',
      action: i % 2 === 0 ? 'case.predict' : 'version.activate',
      entity: i % 2 === 0 ? 'case' : 'model_version',
      entityId: i,
      detail: { n: i, note: 'comma, "quote"\nnewline' },
    });
  }
});
afterAll(async () => f?.cleanup());

describe('audit.query', () => {
  it('pages newest first with the total', async () => {
    const all = f.engine.store.audit.list(0, 10_000);
    const first = await f.engine.call('audit.query', { offset: 0, limit: 10 });
    const second = await f.engine.call('audit.query', { offset: 10, limit: 10 });
    expect(first.total).toBe(all.total);
    expect(first.entries.map((e) => e.id)).toEqual(all.entries.slice(0, 10).map((e) => e.id));
    expect(second.entries.map((e) => e.id)).toEqual(all.entries.slice(10, 20).map((e) => e.id));
    expect(first.actions).toContain('cases.import');
    expect(first.actions).toEqual([...first.actions].sort());
  });

  it('filters by exact action, action family, actor and entity', async () => {
    const predicted = await f.engine.call('audit.query', { action: 'case.predict', limit: 100 });
    expect(predicted.total).toBe(15);
    expect(predicted.entries.every((e) => e.action === 'case.predict')).toBe(true);
    const bobVersions = await f.engine.call('audit.query', { actor: 'bob', entity: 'model_version', limit: 100 });
    expect(bobVersions.entries.map((e) => e.entityId)).toEqual(['27', '21', '15', '9', '3']);
    const one = await f.engine.call('audit.query', { entity: 'case', entityId: '12' });
    expect(one.entries.map((e) => e.detail?.['n'])).toEqual([12]);
    const family = await f.engine.call('audit.query', { action: 'cases.', limit: 100 });
    expect(family.total).toBeGreaterThan(0);
    expect(family.entries.every((e) => e.action.startsWith('cases.'))).toBe(true);
    // A LIKE wildcard in the filter is a literal character.
    expect((await f.engine.call('audit.query', { action: '%.' })).total).toBe(0);
  });
});

describe('audit.export', () => {
  it('writes the log as CSV, oldest first, that parses back to the same entries', async () => {
    const out = join(outDir, 'audit.csv');
    const before = f.engine.store.audit.list(0, 10_000);
    const r = await f.engine.call('audit.export', { out });
    expect(r).toEqual({ path: out, entries: before.total });
    const rows = csvRecords(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(before.total);
    const oldestFirst = [...before.entries].reverse();
    rows.forEach((row, i) => {
      const e = oldestFirst[i]!;
      expect(row['id']).toBe(String(e.id));
      expect(row['at']).toBe(e.at);
      expect(row['actor']).toBe(e.actor);
      expect(row['action']).toBe(e.action);
      expect(row['entity']).toBe(e.entity ?? '');
      expect(row['entity_id']).toBe(e.entityId ?? '');
      expect(row['detail'] === '' ? null : JSON.parse(row['detail']!)).toEqual(e.detail);
    });
    const last = f.engine.store.audit.list(0, 1).entries[0];
    expect(last).toMatchObject({ action: 'audit.export', entity: 'audit_log' });
    expect(last?.detail).toMatchObject({ out, entries: before.total });
  });

  it('exports the filtered part only', async () => {
    const out = join(outDir, 'bob.csv');
    const r = await f.engine.call('audit.export', { out, actor: 'bob' });
    expect(r.entries).toBe(10);
    expect(csvRecords(readFileSync(out, 'utf8')).every((row) => row['actor'] === 'bob')).toBe(true);
  });

  it('refuses an existing file, a missing folder and a relative path, leaving nothing behind', async () => {
    const existing = join(outDir, 'existing.csv');
    writeFileSync(existing, 'keep');
    await expect(f.engine.call('audit.export', { out: existing })).rejects.toThrow(/already exists/);
    expect(readFileSync(existing, 'utf8')).toBe('keep');
    await expect(f.engine.call('audit.export', { out: join(outDir, 'nope', 'a.csv') })).rejects.toThrow(
      /does not exist/,
    );
    await expect(f.engine.call('audit.export', { out: 'a.csv' })).rejects.toThrow(/absolute path/);
    expect(readdirSync(outDir).sort()).toEqual(['audit.csv', 'bob.csv', 'existing.csv']);
  });
});
