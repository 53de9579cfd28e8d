/**
 * Rows of training_runs. A run is owned by the engine process that queued it (pid and host), so a second
 * process opening the same folder (the CLI beside the app) never mistakes a live run for an interrupted one.
 */
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { nowIso } from './clock';
import { fromJsonColumn, toJsonColumn } from './json-column';

export const trainingStatuses = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type TrainingStatus = (typeof trainingStatuses)[number];
export type FinishedStatus = Extract<TrainingStatus, 'completed' | 'failed' | 'cancelled'>;

export interface TrainingRun {
  id: number;
  modelPackageId: string | null;
  symptomSetVersionId: number | null;
  config: unknown;
  status: TrainingStatus;
  epochs: unknown[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  ownerPid: number | null;
  ownerHost: string | null;
}

export interface NewTrainingRun {
  config: unknown;
  modelPackageId?: string | null;
  symptomSetVersionId?: number | null;
}

export interface TrainingRunRepo {
  /** A queued run owned by this process. */
  create(run: NewTrainingRun): number;
  get(id: number): TrainingRun | null;
  list(): TrainingRun[];
  markRunning(id: number): void;
  appendEpoch(id: number, metrics: unknown): void;
  finish(id: number, status: FinishedStatus, error?: string | null): void;
  /** Runs left queued or running by a process that is gone become `interrupted`; returns their ids. */
  interruptAbandoned(isAlive: (pid: number) => boolean): number[];
}

interface RunRow {
  id: number;
  model_package_id: string | null;
  symptom_set_version_id: number | null;
  config_json: string;
  status: string;
  epochs_json: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  owner_pid: number | null;
  owner_host: string | null;
}

const toRun = (r: RunRow): TrainingRun => {
  const epochs = fromJsonColumn(r.epochs_json);
  return {
    id: r.id,
    modelPackageId: r.model_package_id,
    symptomSetVersionId: r.symptom_set_version_id,
    config: fromJsonColumn(r.config_json),
    status: (trainingStatuses as readonly string[]).includes(r.status) ? (r.status as TrainingStatus) : 'failed',
    epochs: Array.isArray(epochs) ? epochs : [],
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    ownerPid: r.owner_pid,
    ownerHost: r.owner_host,
  };
};

/** True while a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function trainingRunRepo(db: Database.Database): TrainingRunRepo {
  const host = hostname();
  const insert = db.prepare(
    `INSERT INTO training_runs (model_package_id, symptom_set_version_id, config_json, status, created_at, owner_pid, owner_host)
     VALUES (@modelPackageId, @symptomSetVersionId, @configJson, 'queued', @at, @pid, @host)`,
  );
  const byId = db.prepare<[number], RunRow>('SELECT * FROM training_runs WHERE id = ?');
  const all = db.prepare<[], RunRow>('SELECT * FROM training_runs ORDER BY id DESC');
  const running = db.prepare<[string, number]>(
    "UPDATE training_runs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'",
  );
  const epoch = db.prepare<[string, number]>(
    "UPDATE training_runs SET epochs_json = json_insert(epochs_json, '$[#]', json(?)) WHERE id = ?",
  );
  const finish = db.prepare<[string, string, string | null, number]>(
    "UPDATE training_runs SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status IN ('queued', 'running')",
  );
  const unfinished = db.prepare<[], RunRow>("SELECT * FROM training_runs WHERE status IN ('queued', 'running')");
  const interrupt = db.prepare<[string, number]>(
    `UPDATE training_runs SET status = 'interrupted', finished_at = ?,
       error = 'the process running it stopped before it finished' WHERE id = ?`,
  );
  const interruptAbandoned = db.transaction((isAlive: (pid: number) => boolean): number[] => {
    const at = nowIso();
    const ids: number[] = [];
    for (const row of unfinished.all()) {
      // A run owned by another machine (a shared folder) cannot be checked from here; leave it.
      const gone = row.owner_pid === null || (row.owner_host === host && !isAlive(row.owner_pid));
      if (!gone) continue;
      interrupt.run(at, row.id);
      ids.push(row.id);
    }
    return ids;
  });
  return {
    create(run) {
      return Number(
        insert.run({
          modelPackageId: run.modelPackageId ?? null,
          symptomSetVersionId: run.symptomSetVersionId ?? null,
          configJson: toJsonColumn(run.config) ?? 'null',
          at: nowIso(),
          pid: process.pid,
          host,
        }).lastInsertRowid,
      );
    },
    get(id) {
      const row = byId.get(id);
      return row ? toRun(row) : null;
    },
    list: () => all.all().map(toRun),
    markRunning(id) {
      running.run(nowIso(), id);
    },
    appendEpoch(id, metrics) {
      epoch.run(JSON.stringify(metrics), id);
    },
    finish(id, status, error = null) {
      finish.run(status, nowIso(), error, id);
    },
    interruptAbandoned: (isAlive) => interruptAbandoned.immediate(isAlive),
  };
}
