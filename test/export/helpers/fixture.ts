/**
 * A small data folder for the export tests: a DICOM case (two images of one study, with a patient name, ID and birth
 * date in the files), an ordinary PNG case whose file name carries the patient's name, and a case without
 * predictions. Predictions are saved in the shape cases.predict saves them (evidence per class and symptom), one of
 * them with a trained model version, so provenance is there to export; the DICOM case is reviewed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../../src/main/engine/engine';
import {
  insertModelVersion,
  nextModelVersionId,
  upsertModelPackage,
} from '../../../src/main/engine/store/model-version-repo';
import { importSymptomSetVersion } from '../../../src/main/engine/store/symptom-set-repo';
import { imageElements, writeDicom } from '../../store/dicom-writer';

export const PATIENT = {
  name: 'Moriarty^Jacqueline',
  id: 'MRN-7734201',
  birthDate: '19610422',
  isoBirthDate: '1961-04-22',
};
export const ACCESSION = 'ACC-99120';
export const STUDY_UID = '1.2.826.0.1.3680043.9.7001.1';
export const SERIES_UID = '1.2.826.0.1.3680043.9.7001.1.1';
export const SOP_UIDS = ['1.2.826.0.1.3680043.9.7001.1.1.1', '1.2.826.0.1.3680043.9.7001.1.1.2'];
export const CLASSES = ['pneumonia', 'normal'];
export const SYMPTOMS: Record<string, string[]> = {
  pneumonia: ['patchy airspace opacity in the lower lobe', 'air bronchograms within consolidation'],
  normal: ['clear lung fields', 'sharp costophrenic angles'],
};
export const REVIEW_NOTE = 'Agree; discussed with Dr. Watson. Patient Moriarty recalled 1961-04-22.';
export const CASE_NOTE = 'Jacqueline Moriarty, MRN-7734201: follow-up in 6 weeks.';

export interface Fixture {
  root: string;
  engine: Engine;
  dicomCase: number;
  pngCase: number;
  emptyCase: number;
  dicomImages: number[];
  pngImage: number;
  versionId: number;
  cleanup(): Promise<void>;
}

/** 16-bit grey values that form a visible gradient with a bright disc, so a rendering is recognisable. */
function phantom(size: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - size * 0.6, y - size * 0.45);
      out.push(Math.round(400 + 1200 * (x / size) + (r < size * 0.18 ? 1800 : 0)));
    }
  }
  return out;
}

/** The evidence cases.predict saves: per class, the symptoms' weight, similarity and contribution. */
export function evidenceFor(probabilities: number[], seed: number): Record<string, unknown> {
  const symptoms: Record<string, unknown> = {};
  const prototype: Record<string, number> = {};
  const logits: number[] = [];
  CLASSES.forEach((cls, c) => {
    const list = (SYMPTOMS[cls] ?? []).map((text, k) => ({
      text,
      weight: 0.5,
      similarity: 0.21 + 0.03 * k + 0.01 * seed,
      contribution: (c === 0 ? 1.5 : -0.4) + 0.25 * k + 0.1 * seed,
    }));
    symptoms[cls] = list;
    prototype[cls] = 10 + c;
    logits.push(prototype[cls] + list.reduce((a, s) => a + s.contribution, 0));
  });
  void probabilities;
  return { kind: 'vip', classes: CLASSES, logits, prototype_contribution: prototype, symptoms };
}

export async function buildFixture(prefix = 'vip-export-'): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const inbox = join(root, 'inbox');
  mkdirSync(inbox);
  const engine = Engine.open({ dataDir: join(root, 'data'), transport: 'cli' });
  engine.store.settings.update({ reviewerName: 'Dr Irene Adler' });

  const size = 48;
  SOP_UIDS.forEach((sop, i) =>
    writeFileSync(
      join(inbox, `MORIARTY_${i + 1}.dcm`),
      writeDicom([
        ...imageElements({
          rows: size,
          columns: size,
          pixels: phantom(size),
          bitsStored: 12,
          windowCenter: '1600',
          windowWidth: '3200',
          studyUid: STUDY_UID,
          seriesUid: SERIES_UID,
          sopUid: sop,
          patientName: PATIENT.name,
          patientId: PATIENT.id,
          modality: 'CR',
          studyDescription: 'CHEST PA Moriarty',
        }),
        { tag: 0x00100030, vr: 'DA', value: PATIENT.birthDate },
        { tag: 0x00100040, vr: 'CS', value: 'F' },
        { tag: 0x00080050, vr: 'SH', value: ACCESSION },
        { tag: 0x00080090, vr: 'PN', value: 'Watson^John' },
        { tag: 0x00200010, vr: 'SH', value: 'ST-4411' },
        { tag: 0x00080030, vr: 'TM', value: '101530' },
      ]),
    ),
  );
  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 180, g: 120, b: 90 } } })
    .png()
    .toBuffer();
  writeFileSync(join(inbox, 'jacqueline-moriarty-lesion.png'), png);
  const other = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 20, g: 90, b: 40 } } })
    .png()
    .toBuffer();
  writeFileSync(join(inbox, 'unpredicted.png'), other);

  const imported = await engine.call('cases.importPaths', {
    paths: [
      join(inbox, 'MORIARTY_1.dcm'),
      join(inbox, 'MORIARTY_2.dcm'),
      join(inbox, 'jacqueline-moriarty-lesion.png'),
      join(inbox, 'unpredicted.png'),
    ],
  });
  const ids = imported.outcomes.map((o) => {
    if (o.status !== 'imported') throw new Error(`fixture import failed: ${JSON.stringify(o)}`);
    return o;
  });
  const [d1, d2, p1, p2] = ids;
  if (!d1 || !d2 || !p1 || !p2) throw new Error('fixture import returned too few outcomes');
  const { store } = engine;
  const { versionId, setId } = store.transaction(() => {
    upsertModelPackage(store.db, {
      id: 'demo',
      name: 'Demo CLIP (random weights)',
      source: 'demo:tiny:0',
      randomWeights: true,
      manifest: {},
    });
    const set = importSymptomSetVersion(store.db, {
      name: 'chest-test',
      task: 'chest x-ray',
      classesJson: JSON.stringify(SYMPTOMS),
      approvedBy: 'Dr Irene Adler',
      provenance: { source: '/home/iadler/symptoms/chest.json', importedBy: 'Dr Irene Adler' },
    }).version;
    const id = nextModelVersionId(store.db);
    insertModelVersion(store.db, {
      id,
      name: 'chest v1',
      task: 'chest x-ray',
      modelPackageId: 'demo',
      symptomSetVersionId: set.id,
      trainingRunId: null,
      promptPath: `versions/${id}/prompt.safetensors`,
      promptSha256: 'a'.repeat(64),
      config: {},
      metrics: { bestEpoch: 3, test: { accuracy: 0.9 }, epochs: [{ loss: 1 }] },
    });
    return { versionId: id, setId: set.id };
  });

  const predict = (imageId: number, probs: number[], seed: number, withVersion: boolean): number =>
    store.predictions.insert({
      imageId,
      mode: withVersion ? 'vip' : 'zeroshot-symptoms',
      modelVersionId: withVersion ? versionId : null,
      modelPackageId: 'demo',
      symptomSetVersionId: setId,
      probabilities: Object.fromEntries(CLASSES.map((c, i) => [c, probs[i] ?? 0])),
      evidence: evidenceFor(probs, seed),
      predictedClass: CLASSES[probs.indexOf(Math.max(...probs))] ?? '',
      probability: Math.max(...probs),
      actor: 'Dr Irene Adler',
    });
  // An older zero-shot prediction, then the trained version's: both are exported, the latest is shown.
  predict(d1.imageId, [0.55, 0.45], 0, false);
  const latest = predict(d1.imageId, [0.8731, 0.1269], 1, true);
  predict(d2.imageId, [0.62, 0.38], 2, true);
  predict(p1.imageId, [0.3, 0.7], 3, false);
  store.reviews.insert({
    caseId: d1.caseId,
    imageId: d1.imageId,
    predictionId: latest,
    label: 'pneumonia',
    agreesWithModel: true,
    note: REVIEW_NOTE,
    reviewer: 'Dr Irene Adler',
  });
  await engine.call('cases.updateNotes', { id: d1.caseId, notes: CASE_NOTE });

  return {
    root,
    engine,
    dicomCase: d1.caseId,
    pngCase: p1.caseId,
    emptyCase: p2.caseId,
    dicomImages: [d1.imageId, d2.imageId],
    pngImage: p1.imageId,
    versionId,
    cleanup: async () => {
      engine.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
