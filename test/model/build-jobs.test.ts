/**
 * Building a package reports its steps and can be stopped: `createDemoPackage` stopped at each step's start (through
 * its own progress callback) throws `cancelled` and leaves no package folder and no temporary folder, and the same id
 * builds afterwards; then `models.createDemo` and `models.import` as engine jobs: refused at once for what can be told
 * at once, progress events through the finished one, a vit-b16 demo cancelled halfway through its weights, an import
 * cancelled while it reads the image tower, a failure in plain words, `models.jobs` and the same id built again.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelBuildStep, type ModelBuildProgress, type ModelJobProgress } from '@shared/contract';
import { VipError } from '@shared/errors';
import { Engine } from '../../src/main/engine/engine';
import { createDemoPackage, listPackages } from '../../src/main/engine/model/package';
import { writeTinyHfFolder } from './helpers/hub-checkpoint';

let root: string;
let engine: Engine;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vip-build-jobs-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
});
afterAll(() => {
  engine.close();
  rmSync(root, { recursive: true, force: true });
});

/** Everything in a models folder, hidden temporary folders included. */
const entries = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

async function cancelledError(promise: Promise<unknown>): Promise<VipError> {
  const err = await promise.then(
    () => new Error('expected the build to be cancelled'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VipError);
  expect((err as VipError).code).toBe('cancelled');
  return err as VipError;
}

describe('createDemoPackage: progress and cancel', () => {
  it('reports the six steps in order, the share done never going back, ending with the checksums', async () => {
    const seen: ModelBuildProgress[] = [];
    await createDemoPackage(join(root, 'progress'), {
      id: 'tiny',
      preset: 'tiny',
      seed: 0,
      onProgress: (p) => seen.push(p),
    });
    const steps = [...new Set(seen.map((p) => p.step))];
    expect(steps).toEqual(ModelBuildStep.options);
    for (const [i, p] of seen.entries()) {
      expect(p.stepCount).toBe(6);
      expect(p.stepIndex).toBe(ModelBuildStep.options.indexOf(p.step) + 1);
      if (i > 0) expect(p.fraction).toBeGreaterThanOrEqual(seen[i - 1]!.fraction);
    }
    // Weights and checksums report bytes within the step: the last report of each is complete.
    for (const step of ['text-weights', 'image-weights', 'checksums'] as const) {
      const last = seen.filter((p) => p.step === step).at(-1)!;
      expect(last.total).toBeGreaterThan(0);
      expect(last.done).toBe(last.total);
    }
    expect(seen.at(-1)).toMatchObject({ step: 'checksums', fraction: 1 });
  });

  it.each(ModelBuildStep.options)(
    'stopped as %s begins: nothing is left, and the same id builds afterwards',
    async (step) => {
      const modelsDir = join(root, `stop-${step}`);
      const controller = new AbortController();
      const err = await cancelledError(
        createDemoPackage(modelsDir, {
          id: 'demo',
          preset: 'tiny',
          seed: 0,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.step === step) controller.abort();
          },
        }),
      );
      expect(err.message).toBe('Building the model package "demo" was cancelled; nothing was installed');
      expect(entries(modelsDir)).toEqual([]);
      expect(await listPackages(modelsDir)).toEqual([]);
      const again = await createDemoPackage(modelsDir, { id: 'demo', preset: 'tiny', seed: 0 });
      expect(again.manifest.id).toBe('demo');
      expect(entries(modelsDir)).toEqual(['demo']);
    },
  );

  it('a signal aborted before the start writes nothing at all', async () => {
    const modelsDir = join(root, 'never');
    const controller = new AbortController();
    controller.abort();
    await cancelledError(createDemoPackage(modelsDir, { id: 'x', preset: 'tiny', seed: 0, signal: controller.signal }));
    expect(existsSync(modelsDir)).toBe(false);
  });
});

/** Starts a model job and collects its events up to the finished one; `onEvent` may act on each. */
async function runJob(
  start: () => Promise<{ jobId: number; packageId: string }>,
  onEvent?: (e: ModelJobProgress, jobId: number) => void,
): Promise<{ jobId: number; events: ModelJobProgress[] }> {
  const events: ModelJobProgress[] = [];
  let jobId = -1;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const off = engine.events.on('models.jobProgress', (e) => {
    if (e.jobId !== jobId) return;
    events.push(e);
    onEvent?.(e, jobId);
    if (e.phase === 'finished') finish();
  });
  try {
    // The job starts after the call has answered, so no event of it can come before its id is known.
    jobId = (await start()).jobId;
    await finished;
  } finally {
    off();
  }
  return { jobId, events };
}

const models = () => engine.paths.models;
const listed = async (): Promise<string[]> => (await engine.call('models.list', {})).packages.map((p) => p.id);

describe('models.createDemo as a job', () => {
  it('answers at once with the job id, reports each step and ends installed', async () => {
    const { jobId, events } = await runJob(() => engine.call('models.createDemo', { id: 'demo' }));
    expect(events[0]).toMatchObject({ jobId, kind: 'create-demo', packageId: 'demo', source: 'demo:tiny:0' });
    expect([...new Set(events.map((e) => e.phase))]).toEqual(['build', 'finished']);
    expect([...new Set(events.flatMap((e) => (e.build ? [e.build.step] : [])))]).toEqual(ModelBuildStep.options);
    expect(events.at(-1)).toMatchObject({ phase: 'finished', status: 'completed', files: [] });
    expect(await listed()).toEqual(['demo']);
  });

  it('refuses at once an id that is installed, one that is being built, and one that is not an id', async () => {
    await expect(engine.call('models.createDemo', { id: 'demo' })).rejects.toMatchObject({
      code: 'bad_input',
      message: 'A model package "demo" is already installed; choose another id or remove it first',
    });
    await expect(engine.invoke('models.createDemo', { id: '../up' })).rejects.toMatchObject({ code: 'validation' });
    let twice: Promise<unknown> | undefined;
    const { events } = await runJob(
      () => engine.call('models.createDemo', { id: 'busy', preset: 'tiny', seed: 1 }),
      (e, jobId) => {
        if (e.build?.step !== 'tokenizer' || twice) return;
        twice = engine.call('models.createDemo', { id: 'busy' }).then(
          () => 'started',
          (err: unknown) => err,
        );
        void twice.then(() => engine.call('models.jobCancel', { jobId }));
      },
    );
    expect(await twice).toMatchObject({ code: 'bad_input', message: '"busy" is already being built' });
    expect(events.at(-1)?.status).toBe('cancelled');
  });

  it('cancels a vit-b16 demo halfway through its image weights: nothing listed or left, and the id builds again', async () => {
    let asked: Promise<unknown> | undefined;
    const { jobId, events } = await runJob(
      () => engine.call('models.createDemo', { id: 'big', preset: 'vit-b16' }),
      (e, id) => {
        const b = e.build;
        // Within the step: some of the image tower's weights are generated, not all.
        if (!asked && b?.step === 'image-weights' && b.done !== undefined && b.done > 0 && b.done < (b.total ?? 0))
          asked = engine.call('models.jobCancel', { jobId: id });
      },
    );
    expect(await asked).toEqual({ cancelled: true });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ phase: 'finished', status: 'cancelled', packageId: 'big' });
    expect(last.build?.step).toBe('image-weights');
    expect(last.build?.fraction).toBeGreaterThan(0.3);
    expect(last.build?.fraction).toBeLessThan(0.75);
    expect(entries(models()).filter((n) => n.includes('big'))).toEqual([]);
    expect(entries(engine.paths.tmp)).toEqual([]);
    expect(await listed()).not.toContain('big');
    expect(await engine.call('models.jobCancel', { jobId })).toEqual({ cancelled: false });
    // models.jobs still tells how it ended, for a window that missed the event.
    const job = (await engine.call('models.jobs', {})).jobs.find((j) => j.jobId === jobId);
    expect(job).toMatchObject({ phase: 'finished', status: 'cancelled', kind: 'create-demo' });

    const again = await runJob(() => engine.call('models.createDemo', { id: 'big', preset: 'tiny', seed: 2 }));
    expect(again.events.at(-1)?.status).toBe('completed');
    expect(await listed()).toContain('big');
  });

  it('lists a running job with its latest progress', async () => {
    let during: ModelJobProgress[] = [];
    const { jobId } = await runJob(
      () => engine.call('models.createDemo', { id: 'listed', preset: 'tiny', seed: 3 }),
      (e) => {
        if (e.build?.step === 'text-tower' && during.length === 0)
          void engine.call('models.jobs', {}).then((r) => (during = r.jobs));
      },
    );
    const mine = during.find((j) => j.jobId === jobId);
    expect(mine?.phase).toBe('build');
    expect(ModelBuildStep.options.indexOf(mine!.build!.step)).toBeGreaterThanOrEqual(2);
    // Newest first.
    const ids = (await engine.call('models.jobs', {})).jobs.map((j) => j.jobId);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});

describe('models.import as a job', () => {
  let folder: string;
  beforeAll(() => {
    folder = writeTinyHfFolder(join(root, 'hf-tiny'));
  });

  it('refuses at once a folder that is missing or is not a CLIP folder', async () => {
    const missing = join(root, 'no-such-folder');
    await expect(engine.call('models.import', { folder: missing, id: 'x' })).rejects.toMatchObject({
      code: 'bad_input',
      message: `${missing} is not a folder`,
    });
    await expect(engine.call('models.import', { folder: root, id: 'x' })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('has no config.json') as string,
    });
    await expect(engine.call('models.import', { folder, id: 'demo' })).rejects.toMatchObject({
      message: expect.stringContaining('already installed') as string,
    });
  });

  it('cancels while reading the image tower (the text tower already written): nothing is left', async () => {
    const { events } = await runJob(
      () => engine.call('models.import', { folder, id: 'imported' }),
      (e, jobId) => {
        if (e.build?.step === 'image-weights') void engine.call('models.jobCancel', { jobId });
      },
    );
    expect(events.at(-1)).toMatchObject({ kind: 'import', status: 'cancelled', source: folder });
    expect(events.at(-1)?.build?.step).toBe('image-weights');
    expect(entries(models()).filter((n) => n.includes('imported'))).toEqual([]);
    expect(await listed()).not.toContain('imported');

    const again = await runJob(() => engine.call('models.import', { folder, id: 'imported' }));
    expect(again.events.at(-1)?.status).toBe('completed');
    const info = (await engine.call('models.list', {})).packages.find((p) => p.id === 'imported');
    expect(info).toMatchObject({ ok: true, randomWeights: false, sourceKind: 'huggingface-folder', sourceRef: folder });
  });

  it('a failure halfway is told in plain words with the technical message as detail, and leaves nothing', async () => {
    const broken = writeTinyHfFolder(join(root, 'hf-vanishing'));
    const { events } = await runJob(
      () => engine.call('models.import', { folder: broken, id: 'vanished' }),
      (e) => {
        // The weights disappear after the checks, before the build reads them.
        if (e.build?.step === 'tokenizer') rmSync(join(broken, 'model.safetensors'));
      },
    );
    const last = events.at(-1)!;
    expect(last.status).toBe('failed');
    expect(last.error?.message).toMatch(/^The folder could not be imported: cannot open .*model\.safetensors: ENOENT$/);
    expect(last.error?.detail).toContain('model.safetensors');
    expect(last.error?.code).toBe('bad_input');
    expect(entries(models()).filter((n) => n.includes('vanished'))).toEqual([]);
  });
});
