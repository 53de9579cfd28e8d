/**
 * Predicting a case of the store: every image through the image tower (answered from the feature cache when the
 * image was seen before) and one text side: the chosen or active model version, else zero-shot with visual symptoms
 * from a built-in set. Each image's prediction is saved with its evidence (logits, prototype term, per-symptom
 * weight, similarity and contribution) in one transaction. The schema's trigger copies the last inserted prediction
 * to the case's worklist columns, so predictions are inserted from least to most confident: the worklist shows the
 * case's most confident image.
 */
import { readFile } from 'node:fs/promises';
import type { CasePredictResult, ParsedParams } from '@shared/contract';
import { badInput, notFound } from '@shared/errors';
import type { EngineContext } from '../context';
import { openClipSessions } from '../model/onnx-session';
import { activeModelVersions, upsertModelPackage } from '../store/model-version-repo';
import { importSymptomSetVersion } from '../store/symptom-set-repo';
import { builtinSymptomSet, builtinSymptomSets } from './builtin-symptoms';
import { openModelOrDefault } from './model-choice';
import { predictImages, preparedTextSide } from './predictor';
import { symptomSetText } from './symptom-set-text';
import type { PredictMode } from './text-side';
import { loadVersion } from './versions';

/** Radiograph modalities get the chest X-ray set; everything else (photographs, dermoscopy) the dermoscopy set. */
const radiographModalities = new Set(['CR', 'DX', 'DR', 'RG', 'XA']);

export async function predictCase(
  ctx: EngineContext,
  params: ParsedParams<'cases.predict'>,
): Promise<CasePredictResult> {
  const { store, paths } = ctx;
  const summary = store.cases.summary(params.caseId);
  if (!summary) throw notFound(`Case ${params.caseId} does not exist`);
  const images = store.images.listForCase(params.caseId);
  if (images.length === 0) throw badInput(`Case ${params.caseId} has no images to predict`);

  let versionId = params.versionId ?? null;
  if (versionId === null && params.mode === 'auto') versionId = activeModelVersions(store.db)[0]?.id ?? null;
  if (versionId !== null && params.mode !== 'auto') {
    throw badInput(`mode ${params.mode} predicts without a trained version; leave out versionId or use mode auto`);
  }

  let mode: PredictMode;
  let prepared;
  let pkg;
  let symptomSetVersionId: number;
  if (versionId !== null) {
    const version = loadVersion(store, paths, versionId);
    pkg = await openModelOrDefault(paths.models, version.row.modelPackageId);
    const sessions = await openClipSessions(pkg);
    mode = 'vip';
    prepared = await preparedTextSide(
      pkg,
      sessions,
      { mode, symptoms: version.symptoms, prompt: version.prompt },
      {
        stored: () => version.storedTextSide(),
        save: (side) => version.saveTextSide(side),
      },
    );
    symptomSetVersionId = version.row.symptomSetVersionId;
  } else {
    mode = params.mode === 'zeroshot-classname' ? 'zeroshot-classname' : 'zeroshot-symptoms';
    const setId = params.symptomSet ?? (radiographModalities.has(summary.modality ?? '') ? 'chest-xray' : 'dermoscopy');
    const symptoms = builtinSymptomSet(setId);
    const builtin = builtinSymptomSets.find((s) => s.id === setId);
    if (!symptoms || !builtin) throw badInput(`no built-in symptom set "${setId}"`);
    pkg = await openModelOrDefault(paths.models);
    const sessions = await openClipSessions(pkg);
    prepared = await preparedTextSide(pkg, sessions, { mode, symptoms });
    // Built-in sets are recorded unapproved: nobody at this site has vouched for them yet.
    symptomSetVersionId = store.transaction(
      () =>
        importSymptomSetVersion(store.db, {
          name: `builtin:${setId}`,
          task: builtin.modality,
          classesJson: symptomSetText(symptoms),
          description: builtin.title,
          approvedBy: null,
          provenance: { source: 'built-in', id: setId },
        }).version.id,
    );
  }

  const sessions = await openClipSessions(pkg);
  const { predictions, failures } = await predictImages(
    pkg,
    sessions,
    paths.features,
    prepared,
    images.map((img) => ({
      sha256: img.sha256,
      name: `image ${img.id} (${img.originalName})`,
      read: async () => new Uint8Array(await readFile(store.imageFiles.absPath(img.relPath))),
    })),
  );
  const ordered = [...predictions].sort((a, b) => Math.max(...a.probabilities) - Math.max(...b.probabilities));
  const actor = ctx.actor();
  const packageId = pkg.manifest.id;
  const manifest = pkg.manifest;
  const saved = store.durableTransaction(() => {
    upsertModelPackage(store.db, {
      id: packageId,
      name: manifest.name,
      source: `${manifest.source.kind}:${manifest.source.ref}`,
      randomWeights: manifest.randomWeights,
      manifest,
    });
    const rows = ordered.map((p) => {
      const image = images[p.index];
      if (!image) throw new Error('prediction for an unknown image');
      const probabilities = Object.fromEntries(prepared.classes.map((c, i) => [c, p.probabilities[i] ?? 0]));
      const probability = p.probabilities[p.predicted_index] ?? 0;
      const predictionId = store.predictions.insert({
        imageId: image.id,
        mode,
        modelVersionId: versionId,
        modelPackageId: packageId,
        symptomSetVersionId,
        probabilities,
        evidence: {
          kind: prepared.kind,
          classes: prepared.classes,
          logits: p.logits,
          prototype_contribution: p.prototype_contribution,
          symptoms: p.symptoms,
        },
        predictedClass: p.predicted,
        probability,
        actor,
      });
      return {
        imageId: image.id,
        predictionId,
        predictedClass: p.predicted,
        probability,
        probabilities,
        logits: p.logits,
        prototypeContribution: p.prototype_contribution,
        symptoms: p.symptoms,
      };
    });
    store.audit.record({
      actor,
      action: 'case.predict',
      entity: 'case',
      entityId: params.caseId,
      detail: { mode, versionId, modelPackageId: packageId, images: rows.length, failures: failures.length },
    });
    return rows;
  });
  if (saved.length > 0) ctx.events.emit('cases.changed', { caseIds: [params.caseId] });
  const after = store.cases.summary(params.caseId);
  if (!after) throw notFound(`Case ${params.caseId} does not exist`);
  return {
    caseId: params.caseId,
    mode,
    versionId,
    modelPackageId: packageId,
    classes: prepared.classes,
    predictions: saved.sort((a, b) => a.imageId - b.imageId),
    failures: failures.map((f) => ({ imageId: images[f.index]?.id ?? 0, error: f.reason })),
    summary: after,
  };
}
