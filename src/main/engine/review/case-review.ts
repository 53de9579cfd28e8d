/**
 * `cases.review`: a clinician's label for a case (optionally one image of it), saved with the reviewer (the
 * reviewer name from settings, else the OS user) and the time. Whether it agrees with the model is decided here,
 * against the prediction the reviewer was shown, not taken from the client. The schema's trigger marks the case
 * reviewed with this label, which is what the worklist shows and what training on reviewed cases reads.
 */
import type { ParsedParams, Result } from '@shared/contract';
import { badInput, notFound } from '@shared/errors';
import type { EngineContext } from '../context';
import { referencedPrediction, reviewById } from './review-queries';

export function saveReview(ctx: EngineContext, params: ParsedParams<'cases.review'>): Result<'cases.review'> {
  const { store } = ctx;
  const imageId = params.imageId ?? null;
  const note = params.note?.trim() ? params.note.trim() : null;
  const reviewer = ctx.actor();
  const id = store.durableTransaction(() => {
    if (!store.cases.exists(params.caseId)) throw notFound(`Case ${params.caseId} does not exist`);
    if (imageId !== null && store.images.get(imageId)?.caseId !== params.caseId) {
      throw badInput(`Image ${imageId} is not an image of case ${params.caseId}`);
    }
    const shown = referencedPrediction(store.db, params.caseId, imageId);
    const agrees = shown ? shown.predictedClass === params.label : null;
    const reviewId = store.reviews.insert({
      caseId: params.caseId,
      imageId,
      predictionId: shown?.id ?? null,
      label: params.label,
      agreesWithModel: agrees,
      note,
      reviewer,
    });
    store.audit.record({
      actor: reviewer,
      action: 'case.review',
      entity: 'case',
      entityId: params.caseId,
      detail: { reviewId, imageId, label: params.label, agreesWithModel: agrees, predictionId: shown?.id ?? null },
    });
    return reviewId;
  });
  ctx.events.emit('cases.changed', { caseIds: [params.caseId] });
  const review = reviewById(store.db, id);
  const summary = store.cases.summary(params.caseId);
  if (!review || !summary) throw notFound(`Case ${params.caseId} does not exist`);
  return { review, summary };
}
