/**
 * `vip pacs` through the built CLI in a child process against a real Orthanc: add/list/remove, query at every level
 * with --json, retrieve and send; the secret only from VIP_PACS_<NAME>_PASSWORD (never printed), and every user or
 * network error answered with exit 2 and one line on stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PacsNodeInfo, PacsProgress, PacsQueryResult, PacsSendResult } from '@shared/contract';
import { Engine } from '../../src/main/engine/engine';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { ensureBuiltCli, vipBin } from '../store/built-cli';
import {
  describeWithOrthanc,
  freePort,
  ORTHANC_PASSWORD,
  ORTHANC_USER,
  startOrthanc,
  type Orthanc,
} from './helpers/orthanc';
import { makeStudy, type GeneratedStudy } from './helpers/studies';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

describeWithOrthanc('vip pacs (built CLI, Orthanc)', () => {
  let root: string;
  let data: string;
  let orthanc: Orthanc;
  let study: GeneratedStudy;
  const env = { VIP_PACS_MAIN_PASSWORD: ORTHANC_PASSWORD };

  /** The CLI in a child process without blocking this one. */
  function vip(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      const base = { ...process.env };
      for (const k of Object.keys(base)) if (k.startsWith('VIP_')) delete base[k];
      const child = spawn(process.execPath, [vipBin, '--data', data, ...args], { env: { ...base, ...extraEnv } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }
  const json = <T>(r: Run): T => {
    if (r.status !== 0) throw new Error(`vip failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  /** Exit 2 and exactly one line on stderr. */
  const userError = (r: Run, text: string | RegExp): void => {
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text);
  };

  beforeAll(async () => {
    ensureBuiltCli();
    root = mkdtempSync(join(tmpdir(), 'vip-pacs-cli-'));
    data = join(root, 'data');
    orthanc = await startOrthanc();
    study = makeStudy({
      key: 20,
      patientId: 'CLI-1',
      patientName: 'CLI^PATIENT',
      studyDate: '20240501',
      modality: 'DX',
      accession: 'CLIACC',
      series: 1,
      instancesPerSeries: 2,
    });
    await orthanc.upload(study.files);
  });
  afterAll(async () => {
    await closeAllClipSessions();
    await orthanc?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('adds, lists and removes nodes; the secret comes from the environment and is never printed', async () => {
    const added = json<PacsNodeInfo>(
      await vip(['--json', 'pacs', 'add', 'main', orthanc.dicomWeb, '--auth', 'basic', '--user', ORTHANC_USER], env),
    );
    expect(added).toMatchObject({ name: 'main', auth: 'basic', hasSecret: true, secretSource: 'environment' });
    const listed = await vip(['--json', 'pacs', 'list'], env);
    expect(json<{ nodes: PacsNodeInfo[] }>(listed).nodes.map((n) => n.name)).toEqual(['main']);
    expect(listed.stdout + listed.stderr).not.toContain(ORTHANC_PASSWORD);
    const human = await vip(['pacs', 'list']);
    expect(human.stdout).toContain('secret: missing (set VIP_PACS_MAIN_PASSWORD)');

    userError(await vip(['pacs', 'add', 'main', orthanc.dicomWeb]), 'a PACS named "main" exists already');
    userError(await vip(['pacs', 'add', 'x', 'not a url']), /^vip: .*url/i);
    userError(await vip(['pacs', 'add', 'x', orthanc.dicomWeb, '--auth', 'basic']), 'basic auth needs a user name');
    userError(await vip(['pacs', 'remove', 'nope']), 'no PACS named "nope"');
    await vip(['pacs', 'add', 'spare', 'http://127.0.0.1:1/dicom-web']);
    const updated = json<PacsNodeInfo>(
      await vip(['--json', 'pacs', 'update', 'spare', '--auth', 'bearer', '--timeout', '7']),
    );
    expect(updated).toMatchObject({ auth: 'bearer', timeoutSeconds: 7, secretEnvVar: 'VIP_PACS_SPARE_TOKEN' });
    userError(await vip(['pacs', 'update', 'spare']), 'nothing to change');
    expect(json<{ removed: string }>(await vip(['--json', 'pacs', 'remove', 'spare']))).toEqual({ removed: 'spare' });
  });

  it('queries studies, series and instances with --json', async () => {
    const studies = json<PacsQueryResult>(await vip(['--json', 'pacs', 'query', 'main', '--patient-id', 'CLI-1'], env));
    expect(studies.rows.map((r) => r.StudyInstanceUID)).toEqual([study.studyUid]);
    const byFilters = json<PacsQueryResult>(
      await vip(
        [
          '--json',
          'pacs',
          'query',
          'main',
          '--patient-name',
          'CLI^*',
          '--from',
          '2024-05-01',
          '--to',
          '2024-05-31',
          '--modality',
          'DX',
          '--accession',
          'CLIACC',
          '--limit',
          '5',
        ],
        env,
      ),
    );
    expect(byFilters).toMatchObject({ level: 'study', limit: 5, offset: 0, more: false });
    expect(byFilters.rows).toHaveLength(1);
    const series = json<PacsQueryResult>(
      await vip(['--json', 'pacs', 'query', 'main', '--study', study.studyUid], env),
    );
    expect(series.level).toBe('series');
    expect(series.rows.map((r) => r.SeriesInstanceUID)).toEqual(study.seriesUids);
    const instances = json<PacsQueryResult>(
      await vip(['--json', 'pacs', 'query', 'main', '--study', study.studyUid, '--series', study.seriesUids[0]!], env),
    );
    expect(instances.rows.map((r) => r.SOPInstanceUID).sort()).toEqual([...study.sopUids].sort());
    const table = await vip(['pacs', 'query', 'main'], env);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain('CLI^PATIENT');
    expect(table.stdout).toContain('1 study row(s)');
  });

  it('answers user and network errors with exit 2 and one line', async () => {
    userError(await vip(['pacs', 'query', 'main']), 'needs a password: set VIP_PACS_MAIN_PASSWORD');
    userError(
      await vip(['pacs', 'query', 'main'], { VIP_PACS_MAIN_PASSWORD: 'wrong-password' }),
      'refused the credentials (HTTP 401)',
    );
    const port = await freePort();
    await vip(['pacs', 'add', 'dead', `http://127.0.0.1:${port}/dicom-web`]);
    userError(
      await vip(['pacs', 'query', 'dead']),
      `cannot connect to PACS "dead" (http://127.0.0.1:${port}/dicom-web): connection refused`,
    );
    userError(await vip(['pacs', 'test', 'dead']), 'connection refused');
    userError(await vip(['pacs', 'query', 'main', '--series', '1.2.3'], env), 'needs the study UID');
    // A usage error: commander's line plus its hint to run --help, as for every vip command.
    const usage = await vip(['pacs', 'query', 'main', '--limit', '0'], env);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/positive whole number/);
    userError(
      await vip(['pacs', 'retrieve', 'main', '--study', '1.2.3.999'], env),
      /retrieve failed: .*1\.2\.3\.999 is not on PACS "main"/,
    );
    userError(await vip(['pacs', 'send', 'main', '--case', '999'], env), 'Case 999 does not exist');
  });

  it('retrieves a study, again without duplicates, and sends the SR of the predicted case', async () => {
    const first = json<PacsProgress>(await vip(['--json', 'pacs', 'retrieve', 'main', '--study', study.studyUid], env));
    expect(first).toMatchObject({ phase: 'finished', status: 'complete', total: 2, imported: 2 });
    const again = json<PacsProgress>(await vip(['--json', 'pacs', 'retrieve', 'main', '--study', study.studyUid], env));
    expect(again).toMatchObject({ status: 'complete', imported: 0, alreadyStored: 2, caseIds: first.caseIds });
    const caseId = first.caseIds[0]!;

    userError(await vip(['pacs', 'send', 'main', '--case', String(caseId)], env), 'has no prediction yet');
    const engine = Engine.open({ dataDir: data, transport: 'cli' });
    try {
      await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
      await engine.call('cases.predict', { caseId, mode: 'zeroshot-symptoms', symptomSet: 'chest-xray' });
    } finally {
      engine.close();
    }
    const sent = json<PacsSendResult>(await vip(['--json', 'pacs', 'send', 'main', '--case', String(caseId)], env));
    expect(sent).toMatchObject({ name: 'main', caseId, studyInstanceUID: study.studyUid });
    const series = json<PacsQueryResult>(
      await vip(['--json', 'pacs', 'query', 'main', '--study', study.studyUid], env),
    );
    expect(series.rows.find((r) => r.Modality === 'SR')?.SeriesInstanceUID).toBe(sent.seriesInstanceUID);
  });
});
