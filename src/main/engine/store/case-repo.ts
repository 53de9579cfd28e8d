/** Rows of the cases table and the worklist query. */
import type Database from 'better-sqlite3';
import type { CaseDetail, CaseSummary, ParsedParams } from '@shared/contract';
import type { ImageRepo } from './image-repo';

export type CaseListQuery = ParsedParams<'cases.list'>;

export interface NewCase {
  createdAt: string;
  studyInstanceUid?: string | null;
  studyDate?: string | null;
  modality?: string | null;
  bodyPart?: string | null;
  patientKey?: string | null;
  description?: string | null;
}

/** Case fields a later image may supply where the case has none yet. */
export type CaseFacts = Pick<NewCase, 'studyDate' | 'modality' | 'bodyPart' | 'patientKey' | 'description'>;

export interface CaseRepo {
  create(c: NewCase): number;
  exists(id: number): boolean;
  findByStudyUid(studyInstanceUid: string): number | null;
  /** Fill the case's empty fields from facts and bump updated_at. */
  addFacts(id: number, facts: CaseFacts, at: string): void;
  touch(id: number, at: string): void;
  updateNotes(id: number, notes: string | null, at: string): boolean;
  summary(id: number): CaseSummary | null;
  detail(id: number): CaseDetail | null;
  list(q: CaseListQuery): { total: number; cases: CaseSummary[] };
}

interface CaseRow {
  id: number;
  created_at: string;
  study_date: string | null;
  modality: string | null;
  body_part: string | null;
  patient_key: string | null;
  description: string | null;
  notes: string | null;
  predicted_class: string | null;
  predicted_probability: number | null;
  review_status: string;
  review_label: string | null;
  image_count: number;
  first_image_id: number | null;
}

const SUMMARY_SELECT = `SELECT c.*,
  (SELECT count(*) FROM images i WHERE i.case_id = c.id) AS image_count,
  (SELECT min(i.id) FROM images i WHERE i.case_id = c.id) AS first_image_id
FROM cases c`;

const ORDER_BY: Record<CaseListQuery['sort'], string> = {
  created_desc: 'c.created_at DESC, c.id DESC',
  created_asc: 'c.created_at ASC, c.id ASC',
  study_date_desc: 'c.study_date IS NULL, c.study_date DESC, c.id DESC',
  study_date_asc: 'c.study_date IS NULL, c.study_date ASC, c.id ASC',
  probability_desc: 'c.predicted_probability IS NULL, c.predicted_probability DESC, c.id DESC',
};

const toSummary = (r: CaseRow): CaseSummary => ({
  id: r.id,
  createdAt: r.created_at,
  studyDate: r.study_date,
  modality: r.modality,
  bodyPart: r.body_part,
  patientKey: r.patient_key,
  description: r.description,
  imageCount: r.image_count,
  firstImageId: r.first_image_id,
  predictedClass: r.predicted_class,
  predictedProbability: r.predicted_probability,
  reviewStatus: r.review_status === 'reviewed' ? 'reviewed' : 'unreviewed',
  reviewLabel: r.review_label,
});

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/** The WHERE clause of the worklist with its named parameters. */
function listFilter(q: CaseListQuery): { where: string; params: Record<string, string | number> } {
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  const search = q.search?.trim();
  if (search) {
    params['like'] = `%${escapeLike(search)}%`;
    params['exact'] = search;
    const any = [
      "c.description LIKE @like ESCAPE '\\'",
      "c.notes LIKE @like ESCAPE '\\'",
      'c.patient_key = @exact',
      'c.study_instance_uid = @exact',
      "EXISTS (SELECT 1 FROM images i WHERE i.case_id = c.id AND i.original_name LIKE @like ESCAPE '\\')",
    ];
    if (/^\d{1,15}$/.test(search)) {
      params['idExact'] = Number(search);
      any.push('c.id = @idExact');
    }
    clauses.push(`(${any.join(' OR ')})`);
  }
  if (q.reviewStatus) {
    params['reviewStatus'] = q.reviewStatus;
    clauses.push('c.review_status = @reviewStatus');
  }
  if (q.modality) {
    params['modality'] = q.modality;
    clauses.push('c.modality = @modality');
  }
  if (q.predictedClass) {
    params['predictedClass'] = q.predictedClass;
    clauses.push('c.predicted_class = @predictedClass');
  }
  if (q.disagreement) {
    clauses.push(
      "c.review_status = 'reviewed' AND c.review_label IS NOT NULL AND c.predicted_class IS NOT NULL AND c.review_label <> c.predicted_class",
    );
  }
  // The case date is the study date, else the day the case was imported (ordinary images carry no study date).
  // Written as two ranges so each can use its index (cases_study_date, cases_created).
  if (q.dateFrom || q.dateTo) {
    const study: string[] = [];
    const created: string[] = ['c.study_date IS NULL'];
    if (q.dateFrom) {
      params['dateFrom'] = q.dateFrom;
      study.push('c.study_date >= @dateFrom');
      created.push('c.created_at >= @dateFrom');
    }
    if (q.dateTo) {
      // created_at is a full ISO timestamp: everything of that day sorts below the next day's start.
      params['dateToEnd'] = `${q.dateTo}\uffff`;
      params['dateTo'] = q.dateTo;
      study.push('c.study_date <= @dateTo');
      created.push('c.created_at < @dateToEnd');
    }
    clauses.push(`((${study.join(' AND ')}) OR (${created.join(' AND ')}))`);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export function caseRepo(db: Database.Database, images: ImageRepo): CaseRepo {
  const insert = db.prepare(
    `INSERT INTO cases (created_at, updated_at, study_instance_uid, study_date, modality, body_part, patient_key, description)
     VALUES (@createdAt, @createdAt, @studyInstanceUid, @studyDate, @modality, @bodyPart, @patientKey, @description)`,
  );
  const exists = db.prepare<[number], { id: number }>('SELECT id FROM cases WHERE id = ?');
  const byStudy = db.prepare<[string], { id: number }>('SELECT id FROM cases WHERE study_instance_uid = ?');
  const addFacts = db.prepare(
    `UPDATE cases SET study_date = coalesce(study_date, @studyDate), modality = coalesce(modality, @modality),
       body_part = coalesce(body_part, @bodyPart), patient_key = coalesce(patient_key, @patientKey),
       description = coalesce(description, @description), updated_at = @at
     WHERE id = @id`,
  );
  const touch = db.prepare<[string, number]>('UPDATE cases SET updated_at = ? WHERE id = ?');
  const notes = db.prepare<[string | null, string, number]>('UPDATE cases SET notes = ?, updated_at = ? WHERE id = ?');
  const one = db.prepare<[number], CaseRow>(`${SUMMARY_SELECT} WHERE c.id = ?`);

  const summary = (id: number): CaseSummary | null => {
    const row = one.get(id);
    return row ? toSummary(row) : null;
  };

  return {
    create(c) {
      return Number(
        insert.run({
          createdAt: c.createdAt,
          studyInstanceUid: c.studyInstanceUid ?? null,
          studyDate: c.studyDate ?? null,
          modality: c.modality ?? null,
          bodyPart: c.bodyPart ?? null,
          patientKey: c.patientKey ?? null,
          description: c.description ?? null,
        }).lastInsertRowid,
      );
    },
    exists: (id) => exists.get(id) !== undefined,
    findByStudyUid: (uid) => byStudy.get(uid)?.id ?? null,
    addFacts(id, f, at) {
      addFacts.run({
        id,
        at,
        studyDate: f.studyDate ?? null,
        modality: f.modality ?? null,
        bodyPart: f.bodyPart ?? null,
        patientKey: f.patientKey ?? null,
        description: f.description ?? null,
      });
    },
    touch(id, at) {
      touch.run(at, id);
    },
    updateNotes: (id, text, at) => notes.run(text, at, id).changes > 0,
    summary,
    detail(id) {
      const row = one.get(id);
      if (!row) return null;
      const imgs = images.listForCase(id).map(({ relPath: _r, orientation: _o, ...info }) => info);
      return { ...toSummary(row), notes: row.notes, images: imgs };
    },
    list(q) {
      const { where, params } = listFilter(q);
      const total = (db.prepare(`SELECT count(*) AS n FROM cases c ${where}`).get(params) as { n: number }).n;
      const rows = db
        .prepare(`${SUMMARY_SELECT} ${where} ORDER BY ${ORDER_BY[q.sort]} LIMIT @limit OFFSET @offset`)
        .all({ ...params, limit: q.limit, offset: q.offset }) as CaseRow[];
      return { total, cases: rows.map(toSummary) };
    },
  };
}
