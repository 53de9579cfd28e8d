/**
 * `predictions.get`: a case's saved predictions as the evidence panel shows them. The evidence column is JSON
 * written by cases.predict; it is checked on the way out, and a damaged one reads as "no evidence" rather than
 * failing the whole case.
 */
import { z } from 'zod';
import type { StoredPrediction } from '@shared/contract';
import { notFound } from '@shared/errors';
import type { Store } from '../store/store';
import { latestPredictionsOfCase, type PredictionWithSource } from './review-queries';

const evidenceSchema = z.object({
  classes: z.array(z.string()),
  logits: z.array(z.number()),
  prototype_contribution: z.record(z.string(), z.number()),
  symptoms: z.record(
    z.string(),
    z.array(z.object({ text: z.string(), weight: z.number(), similarity: z.number(), contribution: z.number() })),
  ),
});

export function toStoredPrediction(p: PredictionWithSource): StoredPrediction {
  const parsed = evidenceSchema.safeParse(p.evidence);
  const evidence = parsed.success ? parsed.data : null;
  return {
    imageId: p.imageId,
    predictionId: p.id,
    predictedClass: p.predictedClass,
    probability: p.probability,
    probabilities: p.probabilities,
    logits: evidence?.logits ?? [],
    prototypeContribution: evidence?.prototype_contribution ?? {},
    symptoms: evidence?.symptoms ?? {},
    mode: p.mode,
    versionId: p.versionId,
    versionName: p.versionName,
    modelPackageId: p.modelPackageId,
    randomWeights: p.randomWeights,
    symptomSetVersionId: p.symptomSetVersionId,
    symptomSetName: p.symptomSetName,
    symptomSetVersion: p.symptomSetVersion,
    symptomSetApproved: p.symptomSetApproved,
    classes: evidence?.classes ?? Object.keys(p.probabilities),
    createdAt: p.createdAt,
    actor: p.actor,
  };
}

export function casePredictions(store: Store, caseId: number): { caseId: number; predictions: StoredPrediction[] } {
  if (!store.cases.exists(caseId)) throw notFound(`Case ${caseId} does not exist`);
  return { caseId, predictions: latestPredictionsOfCase(store.db, caseId).map(toStoredPrediction) };
}
