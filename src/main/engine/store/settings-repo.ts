/** User settings, one row per key; unknown or damaged values fall back to the defaults. */
import type Database from 'better-sqlite3';
import { Settings } from '@shared/contract';
import { badInput } from '@shared/errors';
import { describeZodError } from '@shared/protocol';
import { fromJsonColumn } from './json-column';

export const DEFAULT_SETTINGS: Settings = {
  reviewerName: '',
  llmBaseUrl: '',
  llmModel: '',
};

const settingKeys = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

export interface SettingsRepo {
  get(): Settings;
  /** Validates the patch, writes it in one transaction and returns the full settings. */
  update(patch: Partial<Settings>): Settings;
}

export function settingsRepo(db: Database.Database): SettingsRepo {
  const selectAll = db.prepare<[], { key: string; value_json: string }>('SELECT key, value_json FROM settings');
  const upsert = db.prepare<[string, string]>(
    'INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json',
  );

  const get = (): Settings => {
    const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const row of selectAll.all()) {
      if (!(settingKeys as string[]).includes(row.key)) continue;
      const value = fromJsonColumn(row.value_json);
      const single = Settings.shape[row.key as keyof Settings].safeParse(value);
      if (single.success) merged[row.key] = single.data;
    }
    return Settings.parse(merged);
  };

  const write = db.transaction((patch: Partial<Settings>) => {
    for (const key of settingKeys) {
      const value = patch[key];
      if (value !== undefined) upsert.run(key, JSON.stringify(value));
    }
  });

  return {
    get,
    update(patch) {
      const parsed = Settings.partial().strict().safeParse(patch);
      if (!parsed.success) throw badInput(`Invalid settings: ${describeZodError(parsed.error)}`);
      write.immediate(parsed.data);
      return get();
    },
  };
}
