/**
 * `vip symptoms` through the built CLI in a child process, against a fake OpenAI-compatible server in this process:
 * the built-in sets on a fresh data folder, generate (stage 1, and stage 2 with --images) stored unapproved with its
 * provenance, show, edit, approve, export, and bad input (a dead endpoint, no endpoint) answered with exit 2 and one
 * line. The API key from VIP_LLM_API_KEY reaches the server and nothing else: not the database, not the output.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltCli, vipBin } from '../store/built-cli';
import { writeSyntheticDataset } from '../helpers/synthetic-dataset';
import { completion, deadEndpoint, imageUrls, lastUserText, startFakeLlm, type FakeLlm } from './helpers/fake-llm';

const KEY = 'sk-cli-test-key-9f8e7d6c5b4a';
let root: string;
let data: string;
let llm: FakeLlm;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process without blocking this one (the fake server must keep answering). */
function vip(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const base = { ...process.env };
    for (const k of ['VIP_DATA_DIR', 'VIP_DEBUG', 'VIP_LLM_URL', 'VIP_LLM_MODEL', 'VIP_LLM_API_KEY']) delete base[k];
    const child = spawn(process.execPath, [vipBin, '--data', data, ...args], { env: { ...base, ...env } });
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

function json<T>(r: Run): T {
  if (r.status !== 0) throw new Error(`vip failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const chestAnswers: Record<string, string> = {
  'normal lung':
    '1. dark, clear fields on both sides\n2. sharp outline of the heart\n3. thin branching lines\n4. a normal lung',
  pneumonia: '- white cloudy patches\n- a hazy area hiding the heart outline\n- streaky shadows\n- a high fever',
};

beforeAll(async () => {
  ensureBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'vip-symptoms-cli-'));
  data = join(root, 'data');
  await writeSyntheticDataset(join(root, 'ds'), { perClass: { train: 16 }, size: 24 });
  llm = await startFakeLlm((req) => {
    const text = lastUserText(req.body);
    const category = /help to diagnose (.+?)\? /.exec(text)?.[1] ?? /that all show (.+?)\. /.exec(text)?.[1] ?? '';
    if (imageUrls(req.body).length > 0) {
      return {
        body: completion(
          category === 'round spot'
            ? '1. bright round disc\n2. dark background'
            : '1. light and dark bands\n2. repeating lines',
        ),
      };
    }
    if (category === 'round spot') return { body: completion('1. a bright round disc\n2. one small white circle') };
    if (category === 'striped')
      return { body: completion('1. parallel light and dark bands\n2. a repeating line pattern') };
    return { body: completion(chestAnswers[category] ?? '') };
  });
});

afterAll(async () => {
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Report {
  status: string;
  stored: boolean;
  versionId: number | null;
  approved: boolean;
  symptoms: Record<string, string[]>;
  dropped: { className: string; text: string; reason: string }[];
  error: string | null;
  out: string | null;
}
interface Detail {
  id: number;
  version: number;
  approved: boolean;
  approvedBy: string | null;
  origin: string;
  partial: boolean;
  parentVersionId: number | null;
  classes: { name: string; symptoms: string[] }[];
  dropped: { className: string; text: string; reason: string }[];
  provenance: {
    generation?: { model: string; answeredBy: string[]; calls: { stage: number; prompt: string; answer: string }[] };
    edits?: { by: string; at: string; note: string | null; changes: Record<string, { added: string[] }> }[];
  };
}

let generatedId = 0;

describe('vip symptoms', () => {
  it('lists the built-in sets on a fresh data folder, unapproved', async () => {
    const list = json<{ symptomSets: { name: string; approved: boolean; classes: string[] }[] }>(
      await vip(['symptoms', 'list', '--json']),
    );
    expect(list.symptomSets.map((s) => [s.name, s.approved, s.classes])).toEqual([
      ['builtin:chest-xray', false, ['normal lung', 'pneumonia']],
      ['builtin:dermoscopy', false, ['melanoma', 'nevus']],
    ]);
  });

  it('generates a set (stage 1), stores it unapproved with its provenance, and keeps the key out of everything', async () => {
    const out = join(root, 'generated.json');
    const args = ['symptoms', 'generate', '--name', 'chest', '--modality', 'chest X-ray'];
    const run = await vip(
      [...args, '--classes', 'normal lung,pneumonia', '--k', '3', '--out', out, '--llm-url', llm.url, '--json'],
      { VIP_LLM_API_KEY: KEY, VIP_LLM_MODEL: 'vision-model-x' },
    );
    const report = json<Report>(run);
    expect(report).toMatchObject({ status: 'complete', stored: true, approved: false, error: null, out });
    expect(report.symptoms).toEqual({
      'normal lung': ['dark, clear fields on both sides', 'sharp outline of the heart', 'thin branching lines'],
      pneumonia: ['white cloudy patches', 'a hazy area hiding the heart outline', 'streaky shadows'],
    });
    expect(report.dropped).toEqual([
      { className: 'normal lung', text: 'a normal lung', reason: 'names the class "normal lung"' },
      { className: 'pneumonia', text: 'a high fever', reason: 'not something an image shows ("fever")' },
    ]);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report.symptoms);
    expect(llm.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(llm.requests.map((r) => r.body.model)).toEqual(['vision-model-x', 'vision-model-x']);
    generatedId = report.versionId ?? 0;

    const shown = json<Detail>(await vip(['symptoms', 'show', String(generatedId), '--json']));
    expect(shown).toMatchObject({ approved: false, origin: 'generated', partial: false, parentVersionId: null });
    const generation = shown.provenance.generation;
    expect(generation?.model).toBe('vision-model-x');
    expect(generation?.answeredBy).toEqual(['fake-vlm-1']);
    expect(generation?.calls.map((c) => c.answer)).toEqual([chestAnswers['normal lung'], chestAnswers.pneumonia]);
    expect(generation?.calls[0]?.prompt).toMatch(/chest X-ray images help to diagnose normal lung\?/);
    expect(shown.dropped).toEqual(report.dropped);

    // The key went to the server only.
    for (const text of [run.stdout, run.stderr, JSON.stringify(shown)]) expect(text).not.toContain(KEY);
    for (const file of readdirSync(data).filter((f) => f.startsWith('vip.db'))) {
      expect(readFileSync(join(data, file)).includes(KEY), file).toBe(false);
    }
  });

  it('a clinician edits (a new unapproved version with the edit recorded) and approves', async () => {
    const edited = json<{ created: boolean; version: Detail }>(
      await vip([
        'symptoms',
        'edit',
        String(generatedId),
        '--add',
        'pneumonia=a dense bright region in one section',
        '--remove',
        'normal lung=thin branching lines',
        '--note',
        'reviewed with the team',
        '--json',
      ]),
    );
    expect(edited.created).toBe(true);
    const v = edited.version;
    expect(v).toMatchObject({ approved: false, origin: 'edited', parentVersionId: generatedId, version: 2 });
    expect(v.classes[1]?.symptoms.at(-1)).toBe('a dense bright region in one section');
    expect(v.classes[0]?.symptoms).not.toContain('thin branching lines');
    expect(v.provenance.edits).toHaveLength(1);
    expect(v.provenance.edits?.[0]).toMatchObject({
      note: 'reviewed with the team',
      changes: { pneumonia: { added: ['a dense bright region in one section'] } },
    });
    expect(v.provenance.edits?.[0]?.by).not.toBe('');
    // The generation's record travels with the edited version.
    expect(v.provenance.generation?.calls).toHaveLength(2);

    const approved = json<Detail>(await vip(['symptoms', 'approve', String(v.id), '--json']));
    expect(approved.approved).toBe(true);
    expect(approved.approvedBy).toBe(v.provenance.edits?.[0]?.by);
    // The generated version itself stays unapproved.
    expect(json<Detail>(await vip(['symptoms', 'show', String(generatedId), '--json'])).approved).toBe(false);

    const file = join(root, 'exported.json');
    json(await vip(['symptoms', 'export', String(v.id), '--out', file, '--json']));
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object)).toEqual(['normal lung', 'pneumonia']);
  });

  it('stage 2 with --images sends grids and keeps what both stages agree on', async () => {
    llm.requests.length = 0;
    const report = json<Report>(
      await vip([
        'symptoms',
        'generate',
        '--name',
        'shapes',
        '--modality',
        'synthetic image',
        '--classes',
        'round spot,striped',
        '--images',
        join(root, 'ds'),
        '--grids',
        '2',
        '--k',
        '2',
        '--llm-url',
        llm.url,
        '--llm-model',
        'm',
        '--json',
      ]),
    );
    expect(llm.requests.filter((r) => imageUrls(r.body).length === 1)).toHaveLength(4);
    expect(report.symptoms).toEqual({
      'round spot': ['a bright round disc'],
      striped: ['parallel light and dark bands', 'a repeating line pattern'],
    });
    expect(report.status).toBe('partial');
    expect(report.dropped).toContainEqual({
      className: 'round spot',
      text: 'one small white circle',
      reason: 'not confirmed by the images (no recurring stage 2 feature matches it)',
    });
  });

  it('a dead endpoint: exit 2 and one clear line, nothing stored, no hang', async () => {
    const url = await deadEndpoint();
    const out = join(root, 'dead.json');
    const run = await vip([
      'symptoms',
      'generate',
      '--name',
      'dead',
      '--modality',
      'x',
      '--classes',
      'a class,b class',
      '--llm-url',
      url,
      '--llm-model',
      'm',
      '--out',
      out,
    ]);
    expect(run.status).toBe(2);
    const last = run.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(
      /^vip: nothing stored: cannot reach the LLM at http:\/\/127\.0\.0\.1:\d+ \(connection refused/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toContain('Nothing stored');
    const names = json<{ symptomSets: { name: string }[] }>(await vip(['symptoms', 'list', '--json'])).symptomSets;
    expect(names.map((s) => s.name)).not.toContain('dead');
    // The (empty) partial result is still written, marked by the exit code.
    expect(existsSync(out)).toBe(true);
  });

  it('bad input before any request: no endpoint, one class, unknown version', async () => {
    const noEndpoint = await vip(['symptoms', 'generate', '--modality', 'x', '--classes', 'a,b']);
    expect(noEndpoint.status).toBe(2);
    expect(noEndpoint.stderr).toMatch(/^vip: no LLM endpoint: set the LLM base URL in Settings or pass --llm-url/);
    const oneClass = await vip(['symptoms', 'generate', '--modality', 'x', '--classes', 'only', '--llm-url', llm.url]);
    expect(oneClass.status).toBe(2);
    expect(oneClass.stderr).toMatch(/--classes: give at least two class names/);
    const missing = await vip(['symptoms', 'show', '999']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/No symptom set version 999/);
    const badEdit = await vip(['symptoms', 'edit', String(generatedId), '--add', 'nope=x']);
    expect(badEdit.stderr).toMatch(/--add: no class "nope"/);
  });
});
