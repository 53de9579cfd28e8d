/**
 * Cancelling an export (`export.cancel`, and the cancellation behind it): between cases, between the files of a case
 * and while the zip is written. Each time the export fails with code `cancelled`, nothing is left at the destination
 * (no zip, no folder, no staging folder or temporary zip; a folder that existed before stays as it was), the audit
 * log has `cases.export.cancelled` with the cases written so far, and the same export id can be used again.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventPayload } from '@shared/contract';
import { VipError } from '@shared/errors';
import { fsIo, type ExportIo } from '../../src/main/engine/export/export-target';
import { ExportCancellation, runExport } from '../../src/main/engine/export/run-export';
import { writeTestPng } from '../e2e/helpers/images';
import { buildFixture, type Fixture } from './helpers/fixture';
import { readZip } from './helpers/read-export';

const EXTRA_CASES = 12;

let f: Fixture;
let caseIds: number[];
let outDir: string;
let n = 0;

beforeAll(async () => {
  f = await buildFixture('vip-export-cancel-');
  const inbox = join(f.root, 'more');
  mkdirSync(inbox);
  const paths: string[] = [];
  for (let i = 0; i < EXTRA_CASES; i++) {
    const path = join(inbox, `extra-${i}.png`);
    await writeTestPng(path, 64, 48, i + 1);
    paths.push(path);
  }
  const imported = await f.engine.call('cases.importPaths', { paths });
  const extra = imported.outcomes.map((o) => (o.status === 'imported' ? o.caseId : -1));
  expect(extra).not.toContain(-1);
  caseIds = [f.dicomCase, f.pngCase, f.emptyCase, ...extra];
});
afterAll(async () => f?.cleanup());
beforeEach(() => {
  outDir = join(f.root, `out-${++n}`);
  mkdirSync(outDir);
});

type Progress = EventPayload<'export.progress'>;

/** Runs export.run with the given id and calls `onProgress` for its own progress events only. */
async function exportWith(
  params: { out: string; exportId: string; pdf?: boolean },
  onProgress: (p: Progress) => void = () => undefined,
): Promise<{ outcome: unknown; events: Progress[] }> {
  const events: Progress[] = [];
  const stop = f.engine.events.on('export.progress', (p) => {
    if (p.exportId !== params.exportId) return;
    events.push(p);
    onProgress(p);
  });
  try {
    const outcome = await f.engine.call('export.run', { caseIds, pdf: params.pdf ?? true, ...params }).then(
      (r) => r as unknown,
      (err: unknown) => err,
    );
    return { outcome, events };
  } finally {
    stop();
  }
}

const auditFor = (exportId: string) =>
  f.engine.store.audit
    .list(0, 1000)
    .entries.filter((e) => e.entityId === exportId)
    .map((e) => ({ action: e.action, detail: e.detail as Record<string, unknown> }));

describe('export.cancel', () => {
  it('stops an export midway: code cancelled, no zip, the cancel audited, and the same id works afterwards', async () => {
    const exportId = randomUUID();
    const zip = join(outDir, 'cancelled.zip');
    let cancelAnswer: Promise<{ cancelled: boolean }> | undefined;
    const { outcome, events } = await exportWith({ out: zip, exportId }, (p) => {
      if (p.done === 2 && !cancelAnswer) cancelAnswer = f.engine.call('export.cancel', { exportId });
    });

    expect(await cancelAnswer).toEqual({ cancelled: true });
    expect(outcome).toBeInstanceOf(VipError);
    expect((outcome as VipError).code).toBe('cancelled');
    expect((outcome as VipError).message).toBe(`Export cancelled: nothing was written to ${zip}`);
    const lastDone = Math.max(...events.map((e) => e.done));
    expect(lastDone).toBeGreaterThanOrEqual(2);
    expect(lastDone).toBeLessThan(caseIds.length);
    // Nothing at the destination, nor the staging folder or temporary zip beside it.
    expect(readdirSync(outDir)).toEqual([]);

    const audit = auditFor(exportId);
    expect(audit.map((e) => e.action)).toEqual(['cases.export.cancelled', 'cases.export.start']);
    expect(audit[0]?.detail['casesWritten']).toEqual(caseIds.slice(0, lastDone));
    expect(audit[0]?.detail['out']).toBe(zip);

    // The export no longer runs: cancelling it again is refused, and its id is free for a new export.
    expect(await f.engine.call('export.cancel', { exportId })).toEqual({ cancelled: false });
    const again = await exportWith({ out: zip, exportId });
    expect(again.outcome).toMatchObject({ exportId, format: 'zip', cases: caseIds.length });
    expect(readdirSync(outDir)).toEqual(['cancelled.zip']);
    expect((await readZip(zip)).has('manifest.json')).toBe(true);
    expect(auditFor(exportId)[0]?.action).toBe('cases.export');
  });

  it('leaves an empty folder that existed before as it was', async () => {
    const exportId = randomUUID();
    const folder = join(outDir, 'existing');
    mkdirSync(folder);
    const { outcome } = await exportWith({ out: folder, exportId }, (p) => {
      if (p.done === 1) void f.engine.call('export.cancel', { exportId });
    });
    expect((outcome as VipError).code).toBe('cancelled');
    expect(readdirSync(outDir)).toEqual(['existing']);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('refuses a second export under the id of one that is running', async () => {
    const exportId = randomUUID();
    let second: Promise<unknown> | undefined;
    const { outcome } = await exportWith({ out: join(outDir, 'first.zip'), exportId }, (p) => {
      if (p.done !== 1 || second) return;
      second = f.engine
        .call('export.run', { caseIds, out: join(outDir, 'second.zip'), exportId })
        .then(
          () => 'exported',
          (err: unknown) => err,
        )
        .finally(() => void f.engine.call('export.cancel', { exportId }));
    });
    expect(await second).toMatchObject({
      code: 'conflict',
      message: `An export with id ${exportId} is already running`,
    });
    expect((outcome as VipError).code).toBe('cancelled');
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('answers false for an export that does not run', async () => {
    expect(await f.engine.call('export.cancel', { exportId: randomUUID() })).toEqual({ cancelled: false });
  });
});

describe('the cancellation behind it', () => {
  it('stops while the zip is being written and removes the temporary zip', async () => {
    const cancellation = new ExportCancellation();
    let zipWrites = 0;
    let zipFinished = false;
    // The zip's own stream: the first chunk zipped cancels the export, so the abort lands mid-zip.
    const io: ExportIo = {
      ...fsIo,
      createWriteStream(path) {
        const file = fsIo.createWriteStream(path);
        return new Writable({
          write(chunk: Buffer, _encoding, callback) {
            if (zipWrites++ === 0) cancellation.cancel();
            file.write(chunk, callback);
          },
          final(callback) {
            zipFinished = true;
            file.end(callback);
          },
          destroy(err, callback) {
            file.destroy();
            file.once('close', () => callback(err));
          },
        });
      },
    };
    const zip = join(outDir, 'mid-zip.zip');
    const err = await runExport(
      { store: f.engine.store, actor: 'tester' },
      { caseIds, out: zip, pdf: true, dicomSr: false, identified: false },
      { io, cancellation },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(zipWrites).toBeGreaterThan(0);
    // Stopped midway: the zip never reached its end.
    expect(zipFinished).toBe(false);
    expect(err).toBeInstanceOf(VipError);
    expect((err as VipError).code).toBe('cancelled');
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('cannot be cancelled once sealed (the rename that makes the export appear), nor sealed once cancelled', () => {
    const sealed = new ExportCancellation();
    expect(sealed.seal()).toBe(true);
    expect(sealed.cancel()).toBe(false);
    expect(sealed.signal.aborted).toBe(false);

    const cancelled = new ExportCancellation();
    expect(cancelled.cancel()).toBe(true);
    expect(cancelled.signal.aborted).toBe(true);
    expect(cancelled.seal()).toBe(false);
  });
});
