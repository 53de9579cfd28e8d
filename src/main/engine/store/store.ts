/**
 * The case store: one SQLite database (WAL, foreign keys on) plus the managed image folder.
 * `openStore` migrates the schema and recovers from a crash before anything else runs.
 */
import type Database from 'better-sqlite3';
import type { Settings } from '@shared/contract';
import type { DataPaths } from '../paths';
import { auditRepo, type AuditRepo } from './audit-repo';
import { caseRepo, type CaseRepo } from './case-repo';
import { describeSqliteError, openDatabase } from './database';
import { imageFolder, type ImageFolder } from './image-folder';
import { imageRepo, type ImageRepo } from './image-repo';
import { metaRepo, type MetaRepo } from './meta-repo';
import { readSchemaVersion } from './migrations';
import { patientKeyer, type PatientKeyer } from './patient-key';
import { predictionRepo, reviewRepo, type PredictionRepo, type ReviewRepo } from './prediction-repo';
import { recover, type RecoveryReport } from './recovery';
import { settingsRepo } from './settings-repo';
import { trainingRunRepo, type TrainingRunRepo } from './training-run-repo';

export interface Store {
  readonly schemaVersion: number;
  readonly paths: DataPaths;
  /** The connection, for repositories that later issues add next to these. */
  readonly db: Database.Database;
  readonly settings: { get(): Settings; update(patch: Partial<Settings>): Settings };
  readonly meta: MetaRepo;
  readonly audit: AuditRepo;
  readonly cases: CaseRepo;
  readonly images: ImageRepo;
  readonly imageFiles: ImageFolder;
  readonly trainingRuns: TrainingRunRepo;
  readonly predictions: PredictionRepo;
  readonly reviews: ReviewRepo;
  readonly patientKey: PatientKeyer;
  /** What opening collected after an earlier crash. */
  readonly recovery: RecoveryReport;
  /** Run fn in a write transaction (BEGIN IMMEDIATE: takes the write lock up front, no upgrade deadlock). */
  transaction<T>(fn: () => T): T;
  /** Like transaction, committed with synchronous=FULL: survives power loss once it returns. */
  durableTransaction<T>(fn: () => T): T;
  close(): void;
}

export function openStore(paths: DataPaths, nativeBinding?: string): Store {
  const db = openDatabase(paths.root, paths.database, nativeBinding);
  try {
    return buildStore(db, paths);
  } catch (err) {
    db.close();
    throw describeSqliteError(err, paths.database);
  }
}

function buildStore(db: Database.Database, paths: DataPaths): Store {
  const images = imageRepo(db);
  const meta = metaRepo(db);
  const audit = auditRepo(db);
  const folder = imageFolder(paths);
  const runs = trainingRunRepo(db);
  const recovery = recover({ db, paths, images, folder, runs, audit });
  const transaction = <T>(fn: () => T): T => db.transaction(fn).immediate();
  let open = true;
  return {
    schemaVersion: readSchemaVersion(db),
    paths,
    db,
    settings: settingsRepo(db),
    meta,
    audit,
    cases: caseRepo(db, images),
    images,
    imageFiles: folder,
    trainingRuns: runs,
    predictions: predictionRepo(db),
    reviews: reviewRepo(db),
    patientKey: patientKeyer(meta),
    recovery,
    transaction,
    durableTransaction<T>(fn: () => T): T {
      // SQLite refuses to change the safety level inside a transaction; the outermost caller decides.
      if (db.inTransaction) throw new Error('durableTransaction cannot run inside another transaction');
      db.pragma('synchronous = FULL');
      try {
        return transaction(fn);
      } finally {
        db.pragma('synchronous = NORMAL');
      }
    },
    close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}
