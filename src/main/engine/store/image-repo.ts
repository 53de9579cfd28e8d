/** Rows of the images table: one per distinct file content (sha256), each in one case. */
import type Database from 'better-sqlite3';
import type { ImageInfo } from '@shared/contract';
import { offeredWindows } from '../imaging/offered-windows';
import { objectFromJsonColumn, toJsonColumn } from './json-column';

export interface NewImage {
  caseId: number;
  sha256: string;
  relPath: string;
  originalName: string;
  mediaType: string;
  width: number;
  height: number;
  frameCount: number;
  sizeBytes: number;
  orientation: number | null;
  sopInstanceUid: string | null;
  seriesInstanceUid: string | null;
  dicom: Record<string, unknown> | null;
  importBatch: string | null;
  importedAt: string;
}

/** What the engine needs besides the contract's ImageInfo: where the file is. */
export interface StoredImage extends ImageInfo {
  relPath: string;
  orientation: number | null;
}

export interface ImageRepo {
  insert(image: NewImage): number;
  get(id: number): StoredImage | null;
  findBySha(sha256: string): { id: number; caseId: number; relPath: string } | null;
  listForCase(caseId: number): StoredImage[];
  hasRelPath(relPath: string): boolean;
  /** Every managed file a row points at (recovery compares it with the folder). */
  allFiles(): { id: number; relPath: string; sha256: string }[];
}

interface ImageRow {
  id: number;
  case_id: number;
  sha256: string;
  rel_path: string;
  original_name: string;
  media_type: string;
  width: number;
  height: number;
  frame_count: number;
  size_bytes: number;
  orientation: number | null;
  dicom_json: string | null;
  imported_at: string;
}

const toImage = (r: ImageRow): StoredImage => toImageWithDicom(r, objectFromJsonColumn(r.dicom_json));

const toImageWithDicom = (r: ImageRow, dicom: Record<string, unknown> | null): StoredImage => ({
  id: r.id,
  caseId: r.case_id,
  sha256: r.sha256,
  originalName: r.original_name,
  mediaType: r.media_type,
  width: r.width,
  height: r.height,
  frameCount: r.frame_count,
  sizeBytes: r.size_bytes,
  importedAt: r.imported_at,
  dicom,
  windows: offeredWindows(dicom),
  relPath: r.rel_path,
  orientation: r.orientation,
});

export function imageRepo(db: Database.Database): ImageRepo {
  const insert = db.prepare(
    `INSERT INTO images (case_id, sha256, rel_path, original_name, media_type, width, height, frame_count, size_bytes,
       orientation, sop_instance_uid, series_instance_uid, dicom_json, import_batch, imported_at)
     VALUES (@caseId, @sha256, @relPath, @originalName, @mediaType, @width, @height, @frameCount, @sizeBytes,
       @orientation, @sopInstanceUid, @seriesInstanceUid, @dicomJson, @importBatch, @importedAt)`,
  );
  const byId = db.prepare<[number], ImageRow>('SELECT * FROM images WHERE id = ?');
  const bySha = db.prepare<[string], { id: number; case_id: number; rel_path: string }>(
    'SELECT id, case_id, rel_path FROM images WHERE sha256 = ?',
  );
  const byCase = db.prepare<[number], ImageRow>('SELECT * FROM images WHERE case_id = ? ORDER BY id');
  const byRelPath = db.prepare<[string], { id: number }>('SELECT id FROM images WHERE rel_path = ?');
  const files = db.prepare<[], { id: number; rel_path: string; sha256: string }>(
    'SELECT id, rel_path, sha256 FROM images',
  );
  return {
    insert(image) {
      const { dicom, ...rest } = image;
      return Number(insert.run({ ...rest, dicomJson: toJsonColumn(dicom) }).lastInsertRowid);
    },
    get(id) {
      const row = byId.get(id);
      return row ? toImage(row) : null;
    },
    findBySha(sha256) {
      const row = bySha.get(sha256);
      return row ? { id: row.id, caseId: row.case_id, relPath: row.rel_path } : null;
    },
    listForCase: (caseId) => byCase.all(caseId).map(toImage),
    hasRelPath: (relPath) => byRelPath.get(relPath) !== undefined,
    allFiles: () => files.all().map((r) => ({ id: r.id, relPath: r.rel_path, sha256: r.sha256 })),
  };
}
