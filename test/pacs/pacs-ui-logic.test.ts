/**
 * The PACS screens' pure logic (no DOM): the search form as `pacs.query` parameters (validated by the contract), DICOM
 * names and dates for reading, selections of studies and series as retrieve requests, a retrieval's progress in words,
 * the node form's checks and parameters (the secret only when typed), and the retrieval list fed by `pacs.progress`.
 */
import { describe, expect, it } from 'vitest';
import { methods, type PacsNodeInfo, type PacsProgress } from '../../src/shared/contract';
import {
  describeJob,
  emptySearch,
  emptySelection,
  formatPersonName,
  isSeriesSelected,
  jobBar,
  namePattern,
  retrieveRequests,
  searchProblem,
  selectionLabel,
  seriesQuery,
  studyLabel,
  studyQuery,
  toggleSeries,
  toggleStudy,
} from '../../src/renderer/src/screens/pacs/pacs-logic';
import { RetrieveJobs } from '../../src/renderer/src/screens/pacs/retrieve-jobs';
import {
  addParams,
  draftOf,
  draftProblems,
  newDraft,
  secretStatus,
  updateParams,
} from '../../src/renderer/src/screens/settings/pacs-node-draft';

const node: PacsNodeInfo = {
  name: 'ORTHANC',
  url: 'http://127.0.0.1:8042/dicom-web',
  auth: 'basic',
  username: 'alice',
  timeoutSeconds: 30,
  hasSecret: true,
  secretSource: 'store',
  secretEnvVar: 'VIP_PACS_ORTHANC_PASSWORD',
  secretStorage: 'this process only',
  secretPersistent: false,
  createdAt: '2026-11-28T04:00:00Z',
  updatedAt: '2026-11-28T04:00:00Z',
};

function progress(p: Partial<PacsProgress> & Pick<PacsProgress, 'jobId' | 'phase'>): PacsProgress {
  return {
    name: 'ORTHANC',
    studyInstanceUID: '1.2.3',
    done: 0,
    total: 0,
    imported: 0,
    alreadyStored: 0,
    caseIds: [],
    ...p,
  };
}

describe('PACS search form', () => {
  it('turns typed names into DICOM patterns matched from the start', () => {
    expect(namePattern('')).toBeUndefined();
    expect(namePattern('  Doe ')).toBe('Doe*');
    expect(namePattern('Doe, John')).toBe('Doe^John*');
    expect(namePattern('D?E*')).toBe('D?E*');
  });

  it('sends only the filled fields, and the contract accepts what it sends', () => {
    const form = {
      ...emptySearch,
      patientId: ' P-001 ',
      patientName: 'Doe',
      dateFrom: '2024-01-01',
      modality: 'ct',
    };
    const params = studyQuery('ORTHANC', form, 25);
    expect(params).toEqual({
      name: 'ORTHANC',
      level: 'study',
      limit: 25,
      offset: 25,
      patientId: 'P-001',
      patientName: 'Doe*',
      dateFrom: '2024-01-01',
      modality: 'CT',
    });
    expect(methods['pacs.query'].params.safeParse(params).success).toBe(true);
    expect(methods['pacs.query'].params.safeParse(studyQuery('ORTHANC', emptySearch, 0)).success).toBe(true);
    expect(methods['pacs.query'].params.safeParse(seriesQuery('ORTHANC', '1.2.840.1')).success).toBe(true);
  });

  it('refuses a date range that ends before it starts', () => {
    expect(searchProblem({ ...emptySearch, dateFrom: '2024-02-01', dateTo: '2024-01-01' })).toMatch(/after/);
    expect(searchProblem({ ...emptySearch, dateFrom: '2024-01-01', dateTo: '2024-01-01' })).toBeNull();
  });

  it('reads DICOM person names and dates', () => {
    expect(formatPersonName('DOE^JOHN^Q^DR^JR')).toBe('DOE, DR JOHN Q JR');
    expect(formatPersonName('DOE^JANE^^^')).toBe('DOE, JANE');
    expect(formatPersonName('Yamada^Tarou=山田^太郎')).toBe('Yamada, Tarou');
    expect(formatPersonName(null)).toBe('');
    expect(studyLabel({ PatientName: 'DOE^JANE', StudyDate: '20240105', StudyDescription: 'CHEST PA' })).toBe(
      'DOE, JANE · 2024-01-05 · CHEST PA',
    );
    expect(studyLabel({ PatientName: null, StudyDate: null, StudyDescription: null })).toBe('Study');
  });
});

describe('PACS selection', () => {
  it('a whole study replaces its single series, and a single series un-ticks its study', () => {
    let sel = toggleSeries(emptySelection, 'S1', 'A');
    sel = toggleSeries(sel, 'S1', 'B');
    sel = toggleSeries(sel, 'S2', 'C');
    expect(selectionLabel(sel)).toBe('3 series');
    sel = toggleStudy(sel, 'S1');
    expect(isSeriesSelected(sel, 'S1', 'Z')).toBe(true);
    expect(selectionLabel(sel)).toBe('1 study and 1 series');
    expect(retrieveRequests(sel)).toEqual([
      { studyInstanceUID: 'S1' },
      { studyInstanceUID: 'S2', seriesInstanceUID: 'C' },
    ]);
    sel = toggleSeries(sel, 'S1', 'A');
    expect(sel.studies.has('S1')).toBe(false);
    expect(retrieveRequests(sel)).toHaveLength(2);
    sel = toggleSeries(toggleSeries(sel, 'S1', 'A'), 'S2', 'C');
    expect(retrieveRequests(sel)).toEqual([]);
    expect(selectionLabel(sel)).toBe('');
  });
});

describe('retrieval progress in words', () => {
  it('says what is happening and how it ended', () => {
    expect(describeJob(null).tone).toBe('running');
    expect(describeJob(progress({ jobId: 1, phase: 'listing' })).headline).toMatch(/Listing/);
    expect(describeJob(progress({ jobId: 1, phase: 'retrieving', done: 3, total: 10 })).headline).toBe(
      'Retrieving: 3 of 10 images',
    );
    const done = describeJob(
      progress({ jobId: 1, phase: 'finished', status: 'complete', done: 10, total: 10, imported: 8, alreadyStored: 2 }),
    );
    expect(done).toEqual({ headline: 'Retrieved: 8 images new, 2 already here', tone: 'ok' });
    expect(
      describeJob(progress({ jobId: 1, phase: 'finished', status: 'complete', done: 3, total: 3, alreadyStored: 3 }))
        .headline,
    ).toBe('Already in the worklist: 3 images');
    expect(describeJob(progress({ jobId: 1, phase: 'finished', status: 'failed', error: 'HTTP 500' })).tone).toBe(
      'error',
    );
    expect(
      describeJob(progress({ jobId: 1, phase: 'finished', status: 'cancelled', done: 4, total: 6, imported: 3 }))
        .headline,
    ).toBe('Cancelled: 3 of 6 images retrieved');
  });

  it('draws the bar from the images in the store once finished', () => {
    expect(jobBar(null)).toEqual({ value: null, max: 1 });
    expect(jobBar(progress({ jobId: 1, phase: 'listing' }))).toEqual({ value: null, max: 1 });
    expect(jobBar(progress({ jobId: 1, phase: 'retrieving', done: 2, total: 5 }))).toEqual({ value: 2, max: 5 });
    const failed = progress({ jobId: 1, phase: 'finished', status: 'failed', done: 5, total: 5, imported: 1 });
    expect(jobBar(failed)).toEqual({ value: 1, max: 5 });
    expect(jobBar(progress({ jobId: 1, phase: 'finished', status: 'failed' }))).toEqual({ value: 0, max: 1 });
  });
});

describe('PACS node form', () => {
  it('names each problem in words', () => {
    const problems = draftProblems({ ...newDraft, name: '-x', url: 'ftp://pacs', timeoutSeconds: '0', auth: 'basic' });
    expect(Object.keys(problems).sort()).toEqual(['name', 'timeoutSeconds', 'url', 'username']);
    expect(draftProblems({ ...newDraft, name: 'A', url: 'http://u:p@pacs/dicom-web' }).url).toMatch(/Leave the user/);
    expect(draftProblems({ ...newDraft, name: 'PACS-1', url: 'https://pacs.example/dicom-web' })).toEqual({});
  });

  it('sends the secret only when typed; an edit sends only what changed', () => {
    const add = addParams({
      ...newDraft,
      name: ' PACS ',
      url: 'https://pacs/dicom-web',
      auth: 'bearer',
      secret: 'tok',
    });
    expect(add).toEqual({
      name: 'PACS',
      url: 'https://pacs/dicom-web',
      auth: 'bearer',
      secret: 'tok',
      timeoutSeconds: 30,
    });
    expect(methods['pacs.add'].params.safeParse(add).success).toBe(true);
    expect(addParams({ ...newDraft, name: 'P', url: 'http://p', secret: 'ignored' })).not.toHaveProperty('secret');

    const unchanged = updateParams(draftOf(node), node);
    expect(unchanged).toEqual({ name: 'ORTHANC' });
    const edited = updateParams({ ...draftOf(node), auth: 'none', timeoutSeconds: '60' }, node);
    expect(edited).toEqual({ name: 'ORTHANC', auth: 'none', username: null, timeoutSeconds: 60 });
    expect(methods['pacs.update'].params.safeParse(edited).success).toBe(true);
    expect(updateParams({ ...draftOf(node), secret: 'new' }, node)).toEqual({ name: 'ORTHANC', secret: 'new' });
  });

  it('says where the secret comes from, or that it is missing', () => {
    expect(secretStatus(node)).toEqual({
      text: 'Password kept in memory until the workstation closes',
      missing: false,
    });
    expect(secretStatus({ ...node, secretSource: 'environment' }).text).toContain('VIP_PACS_ORTHANC_PASSWORD');
    const missing = secretStatus({ ...node, auth: 'bearer', hasSecret: false, secretSource: 'none' });
    expect(missing.missing).toBe(true);
    expect(missing.text).toMatch(/^Token missing/);
  });
});

describe('retrieval list', () => {
  type Handler = (p: PacsProgress) => void;
  function fakeApi(answers: Array<() => Promise<{ jobId: number }>>, engineJobs: PacsProgress[] = []) {
    let handler: Handler | null = null;
    const calls: Array<{ method: string; params: unknown }> = [];
    const api = {
      call: (method: string, params: unknown) => {
        calls.push({ method, params });
        if (method === 'pacs.retrieve') return answers.shift()!();
        if (method === 'pacs.jobs') return Promise.resolve({ jobs: [...engineJobs] });
        return Promise.resolve({ cancelled: true });
      },
      on: (_event: string, h: Handler) => {
        handler = h;
        return () => undefined;
      },
    };
    return { api: api as never, calls, engineJobs, emit: (p: PacsProgress) => handler?.(p) };
  }

  it('follows each job by its id, including events that arrive before the call answers', async () => {
    let answer!: (v: { jobId: number }) => void;
    const fake = fakeApi([() => new Promise((r) => (answer = r)), () => Promise.resolve({ jobId: 8 })]);
    const jobs = new RetrieveJobs(fake.api);
    let changes = 0;
    jobs.subscribe(() => changes++);
    const first = jobs.start('ORTHANC', { studyInstanceUID: '1.2.3' }, 'DOE, JANE');
    fake.emit(progress({ jobId: 7, phase: 'retrieving', done: 1, total: 4 }));
    answer({ jobId: 7 });
    await first;
    await jobs.start('ORTHANC', { studyInstanceUID: '1.2.4', seriesInstanceUID: '1.2.4.1' }, 'ROE, RICHARD');
    expect(fake.calls[1]).toEqual({
      method: 'pacs.retrieve',
      params: { name: 'ORTHANC', studyInstanceUID: '1.2.4', seriesInstanceUID: '1.2.4.1' },
    });
    const [second, firstJob] = jobs.getSnapshot();
    expect(firstJob?.jobId).toBe(7);
    expect(firstJob?.progress?.done).toBe(1);
    expect(second?.jobId).toBe(8);
    expect(jobs.running()).toBe(2);

    fake.emit(progress({ jobId: 7, phase: 'finished', status: 'complete', done: 4, total: 4, caseIds: [3] }));
    fake.emit(progress({ jobId: 7, phase: 'retrieving', done: 2, total: 4 })); // late duplicate: ignored
    expect(jobs.getSnapshot()[1]?.progress?.status).toBe('complete');
    expect(jobs.running()).toBe(1);

    await jobs.cancel(jobs.getSnapshot()[0]!.key);
    expect(fake.calls.at(-1)).toEqual({ method: 'pacs.cancel', params: { jobId: 8 } });
    expect(jobs.getSnapshot()[0]?.cancelling).toBe(true);
    fake.emit(progress({ jobId: 8, phase: 'finished', status: 'cancelled', done: 1, total: 3 }));
    expect(jobs.getSnapshot()[0]?.cancelling).toBe(false);
    jobs.clearFinished();
    expect(jobs.getSnapshot()).toEqual([]);
    expect(changes).toBeGreaterThan(5);
  });

  it('keeps a job whose call failed, with the error, until cleared', async () => {
    const fake = fakeApi([() => Promise.reject(new Error('PACS unreachable'))]);
    const jobs = new RetrieveJobs(fake.api);
    await jobs.start('ORTHANC', { studyInstanceUID: '1.2.3' }, 'DOE, JANE');
    expect((jobs.getSnapshot()[0]?.startError as Error).message).toBe('PACS unreachable');
    expect(jobs.running()).toBe(0);
    jobs.clearFinished();
    expect(jobs.getSnapshot()).toHaveLength(0);
  });

  it('catches up with the engine: missed progress, jobs of another window or before a reload, never a duplicate', async () => {
    let answer!: (v: { jobId: number }) => void;
    const engine = [
      progress({ jobId: 3, phase: 'finished', status: 'complete', done: 2, total: 2, imported: 2 }),
      progress({ jobId: 2, phase: 'retrieving', done: 1, total: 3 }),
    ];
    const fake = fakeApi([() => new Promise((r) => (answer = r))], engine);
    const jobs = new RetrieveJobs(fake.api);
    await jobs.sync((p) => `job ${p.jobId}`);
    expect(jobs.getSnapshot().map((j) => [j.jobId, j.label])).toEqual([
      [3, 'job 3'],
      [2, 'job 2'],
    ]);

    // This window's call has not answered when the engine already lists its job.
    const started = jobs.start('ORTHANC', { studyInstanceUID: '1.2.9' }, 'DOE, JANE');
    engine.unshift(progress({ jobId: 4, phase: 'retrieving', done: 1, total: 5 }));
    engine[2] = progress({ jobId: 2, phase: 'finished', status: 'complete', done: 3, total: 3, imported: 3 });
    await jobs.sync();
    fake.emit(progress({ jobId: 4, phase: 'retrieving', done: 2, total: 5 }));
    answer({ jobId: 4 });
    await started;
    const list = jobs.getSnapshot();
    expect(list.map((j) => j.jobId)).toEqual([4, 3, 2]);
    expect(list[0]).toMatchObject({ label: 'DOE, JANE', progress: { done: 2 } });
    // The finish event this window missed (a dropped connection) is picked up.
    expect(list[2]?.progress?.status).toBe('complete');

    // An older engine answer never steps a job back; cleared jobs stay cleared.
    await jobs.sync();
    expect(jobs.getSnapshot()[0]?.progress?.done).toBe(2);
    jobs.clearFinished();
    await jobs.sync();
    expect(jobs.getSnapshot().map((j) => j.jobId)).toEqual([4]);
  });
});
