/**
 * Bad input and failing disks: an unknown case, a destination that cannot be written, a disk that fills up while the
 * files are written, and a zip whose write fails half way. Each ends with one clear error and nothing at the
 * destination: no partial folder, zip, staging folder or temporary zip beside it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VipError } from '../../src/shared/errors';
import { fsIo, type ExportIo } from '../../src/main/engine/export/export-target';
import { runExport, type ExportRequest } from '../../src/main/engine/export/run-export';
import { buildFixture, type Fixture } from './helpers/fixture';
import { filesUnder } from './helpers/read-export';

let f: Fixture;
let outDir: string;
let n = 0;

beforeAll(async () => {
  f = await buildFixture('vip-export-fail-');
});
afterAll(async () => f?.cleanup());
beforeEach(() => {
  outDir = join(f.root, `out-${++n}`);
  mkdirSync(outDir);
});

const request = (out: string, extra: Partial<ExportRequest> = {}): ExportRequest => ({
  caseIds: [f.dicomCase, f.pngCase],
  out,
  pdf: true,
  dicomSr: true,
  identified: false,
  ...extra,
});

const run = (req: ExportRequest, io?: ExportIo) =>
  runExport({ store: f.engine.store, actor: 'tester' }, req, io ? { io } : {});

async function failure(p: Promise<unknown>): Promise<VipError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VipError);
  return err as VipError;
}

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: simulated`), { code });

const auditActions = (): string[] => f.engine.store.audit.list(0, 1000).entries.map((e) => e.action);

describe('bad input', () => {
  it('refuses an unknown case with one line, before writing anything or auditing an export', async () => {
    const before = auditActions().length;
    const err = await failure(run(request(join(outDir, 'x.zip'), { caseIds: [f.dicomCase, 999] })));
    expect(err.code).toBe('not_found');
    expect(err.message).toBe('Case 999 does not exist');
    expect(readdirSync(outDir)).toEqual([]);
    expect(auditActions().length).toBe(before);
  });

  it('names several unknown cases at once', async () => {
    const err = await failure(run(request(join(outDir, 'x'), { caseIds: [997, 998, f.pngCase, 999] })));
    expect(err.message).toBe('Cases 997, 998, 999 do not exist');
  });

  it('refuses a filter that matches no case, a relative path, and ids together with a filter', async () => {
    expect(
      (await failure(run(request(join(outDir, 'x'), { caseIds: undefined, filter: { modality: 'MR' } })))).message,
    ).toBe('No case matches the filter; nothing to export');
    expect((await failure(run(request('relative/out.zip')))).message).toMatch(/must be an absolute path/);
    expect((await failure(run(request(join(outDir, 'x'), { filter: {} })))).message).toMatch(
      /either case ids or a filter/,
    );
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('refuses a destination whose folder is missing or is a file', async () => {
    const missing = await failure(run(request(join(outDir, 'no-such-folder', 'export.zip'))));
    expect(missing.code).toBe('bad_input');
    expect(missing.message).toContain('does not exist');
    const file = join(outDir, 'a-file');
    writeFileSync(file, 'x');
    const notFolder = await failure(run(request(join(file, 'export.zip'))));
    expect(notFolder.code).toBe('bad_input');
    expect(readdirSync(outDir)).toEqual(['a-file']);
  });

  it('never overwrites: an existing zip or a non-empty folder is refused and left as it was', async () => {
    const zip = join(outDir, 'old.zip');
    writeFileSync(zip, 'precious');
    expect((await failure(run(request(zip)))).message).toContain('already exists');
    expect(readFileSync(zip, 'utf8')).toBe('precious');
    const folder = join(outDir, 'old');
    mkdirSync(folder);
    writeFileSync(join(folder, 'keep.txt'), 'keep');
    expect((await failure(run(request(folder)))).message).toContain('is not empty');
    expect(filesUnder(outDir)).toEqual(['old.zip', 'old/keep.txt']);
  });

  it('exports into an existing empty folder', async () => {
    const folder = join(outDir, 'empty');
    mkdirSync(folder);
    const r = await run(request(folder, { pdf: false, dicomSr: false }));
    expect(r.files).toBeGreaterThan(4);
    expect(existsSync(join(folder, 'manifest.json'))).toBe(true);
    expect(readdirSync(outDir)).toEqual(['empty']);
  });
});

describe('unwritable targets and full disks leave nothing behind', () => {
  it('an unwritable folder: one line, nothing created', async () => {
    const io: ExportIo = { ...fsIo, mkdir: () => Promise.reject(errno('EACCES')) };
    const err = await failure(run(request(join(outDir, 'export.zip')), io));
    expect(err.code).toBe('bad_input');
    expect(err.message).toBe(`Cannot write to ${outDir} (EACCES); choose a writable folder`);
    expect(readdirSync(outDir)).toEqual([]);
  });

  for (const target of ['export', 'export.zip']) {
    it(`a disk that fills up while writing (${target}): removed staging, no export, a failure in the audit log`, async () => {
      let written = 0;
      const io: ExportIo = {
        ...fsIo,
        async writeFile(path, data) {
          if (++written > 5) throw errno('ENOSPC');
          await fsIo.writeFile(path, data);
        },
      };
      const err = await failure(run(request(join(outDir, target)), io));
      expect(err.code).toBe('unavailable');
      expect(err.message).toBe(`The disk holding ${outDir} is full (ENOSPC); nothing was exported`);
      expect(written).toBe(6);
      expect(readdirSync(outDir)).toEqual([]);
      const last = f.engine.store.audit.list(0, 1).entries[0];
      expect(last).toMatchObject({ action: 'cases.export.failed', entity: 'export' });
      expect(String(last?.detail?.['error'])).toContain('ENOSPC');
    });
  }

  it('a zip whose write fails half way: no zip and no temporary zip', async () => {
    let bytes = 0;
    let temp = '';
    const io: ExportIo = {
      ...fsIo,
      createWriteStream(path) {
        temp = path;
        const real = fsIo.createWriteStream(path);
        return new Writable({
          write(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            if (bytes > 4096) return done(errno('EIO'));
            real.write(chunk, done);
          },
          final(done) {
            real.end(done);
          },
          destroy(err, done) {
            real.destroy();
            done(err);
          },
        });
      },
    };
    const err = await failure(run(request(join(outDir, 'export.zip')), io));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/^Writing the export to .* failed \(EIO/);
    expect(temp).toMatch(/\.export\.zip\.[0-9a-f-]+\.partial\.zip$/);
    expect(bytes).toBeGreaterThan(4096);
    expect(readdirSync(outDir)).toEqual([]);
  });
});

describe('worklist filters', () => {
  it('exports the reviewed cases whose label disagrees with the prediction, and only those', async () => {
    const none = await failure(run(request(join(outDir, 'x'), { caseIds: undefined, filter: { disagreement: true } })));
    expect(none.message).toBe('No case matches the filter; nothing to export');
    // The PNG case is predicted "normal"; a reader labels it "pneumonia".
    f.engine.store.reviews.insert({ caseId: f.pngCase, label: 'pneumonia', agreesWithModel: false, reviewer: 'r' });
    const r = await run(request(join(outDir, 'disagreements'), { caseIds: undefined, filter: { disagreement: true } }));
    expect(r.cases).toBe(1);
    expect(readdirSync(join(outDir, 'disagreements', 'cases'))).toEqual([`case-${f.pngCase}`]);
  });
});

describe('two exports to the same name at once', () => {
  it('one wins, the other is refused, and neither replaces the other or leaves a temporary file', async () => {
    const zip = join(outDir, 'same.zip');
    const results = await Promise.allSettled([
      run(request(zip, { pdf: false, dicomSr: false })),
      run(request(zip, { pdf: false, dicomSr: false, caseIds: [f.pngCase] })),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.reason)).toContain('already exists');
    expect(readdirSync(outDir)).toEqual(['same.zip']);
  });
});
