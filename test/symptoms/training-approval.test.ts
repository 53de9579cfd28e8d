/**
 * Training accepts approved symptom set versions only: a generated (unapproved) version and an unapproved built-in
 * set are refused before a run exists, with a message saying how to approve; once a clinician approves the version,
 * the same request trains on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine';
import { closeAllClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage, type ModelPackage } from '../../src/main/engine/model/package';
import { importSymptomSetVersion } from '../../src/main/engine/store/symptom-set-repo';
import { runTraining, type TrainingRequest } from '../../src/main/engine/training/run-training';
import { defaultTrainOptions } from '../../src/main/engine/training/trainer';
import { defaultHeadConfig } from '../../src/main/engine/vip/config';
import { parseSymptomSet } from '../../src/main/engine/vip/symptom-set';
import { symptomSetText } from '../../src/main/engine/vip/symptom-set-text';
import { syntheticSymptoms, writeSyntheticDataset } from '../helpers/synthetic-dataset';

let root: string;
let engine: Engine;
let pkg: ModelPackage;
const symptoms = parseSymptomSet(syntheticSymptoms);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-train-approval-'));
  engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  pkg = await createDemoPackage(engine.paths.models, { id: 'demo', preset: 'tiny', seed: 0 });
  await writeSyntheticDataset(join(root, 'ds'), { perClass: { train: 4, test: 2 }, size: 24 });
});

afterAll(async () => {
  engine.close();
  await closeAllClipSessions();
  rmSync(root, { recursive: true, force: true });
});

function request(): TrainingRequest {
  return {
    pkg,
    symptoms,
    symptomSetName: 'generated shapes',
    // The VSG's path: nobody vouches for the symptoms by starting the run.
    approvedBy: null,
    symptomsSource: 'symptom generator',
    dataset: { kind: 'folder', root: join(root, 'ds') },
    head: defaultHeadConfig,
    train: { ...defaultTrainOptions, epochs: 1, batchSize: 4 },
    views: 1,
    valFraction: 0,
    evaluateTest: false,
  };
}

const ctx = () => ({ paths: engine.paths, store: engine.store, actor: 'dr. approver' });

describe('training and approval', () => {
  it('refuses an unapproved version before any run exists, then trains once a clinician approved it', async () => {
    const draft = engine.store.transaction(
      () =>
        importSymptomSetVersion(engine.store.db, {
          name: 'generated shapes',
          task: 'shapes',
          classesJson: symptomSetText(symptoms),
          approvedBy: null,
          provenance: { kind: 'generated', createdBy: 'someone' },
        }).version,
    );
    await expect(runTraining(ctx(), request(), { runner: 'in-process' })).rejects.toThrow(
      `symptom set "generated shapes" v1 (id ${draft.id}) is not approved, and training accepts approved symptom sets only: a clinician approves it on the Symptoms screen or with \`vip symptoms approve ${draft.id}\``,
    );
    expect(engine.store.trainingRuns.list()).toEqual([]);

    const approved = await engine.call('symptoms.approve', { id: draft.id });
    expect(approved).toMatchObject({ approved: true, approvedBy: engine.actor() });
    const outcome = await runTraining(ctx(), request(), { runner: 'in-process' });
    expect(outcome.symptomSetVersion.id).toBe(draft.id);
    expect(engine.store.trainingRuns.get(outcome.runId)?.status).toBe('completed');
  });

  it('refuses content nobody approved yet without storing it', async () => {
    const other = parseSymptomSet({ ...syntheticSymptoms, striped: ['thin parallel lines'] });
    await expect(
      runTraining(ctx(), { ...request(), symptoms: other, symptomSetName: 'never seen' }, { runner: 'in-process' }),
    ).rejects.toThrow(/the symptoms from symptom generator are not approved/);
    const names = (await engine.call('symptoms.list', {})).versions.map((v) => v.name);
    expect(names).not.toContain('never seen');
  });

  it('training.start refuses a built-in set until it is approved at this site', async () => {
    await engine.call('symptoms.list', {});
    await expect(
      engine.call('training.start', { dataset: join(root, 'ds'), symptomSet: 'dermoscopy', epochs: 1 }),
    ).rejects.toThrow(/symptom set "builtin:dermoscopy" v1 \(id \d+\) is not approved/);
  });

  it('training.start refuses a stored version nobody approved', async () => {
    const draft = engine.store.transaction(
      () =>
        importSymptomSetVersion(engine.store.db, {
          name: 'draft via the wizard',
          task: 'shapes',
          classesJson: symptomSetText(parseSymptomSet({ ...syntheticSymptoms, striped: ['thin parallel lines'] })),
          approvedBy: null,
          provenance: { kind: 'edited', createdBy: 'someone' },
        }).version,
    );
    const runsBefore = engine.store.trainingRuns.list().length;
    await expect(
      engine.call('training.start', { dataset: join(root, 'ds'), symptomSetVersionId: draft.id, epochs: 1 }),
    ).rejects.toThrow(`symptom set "draft via the wizard" v1 (id ${draft.id}) is not approved`);
    expect(engine.store.trainingRuns.list()).toHaveLength(runsBefore);
  });
});
