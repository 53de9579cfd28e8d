/** Handlers of the clinical UI's methods: reviews, saved predictions with evidence, training runs, version choice. */
import type { HandlerGroup } from '../handlers';
import { saveReview } from './case-review';
import { reviewsOfCase } from './review-queries';
import { casePredictions } from './stored-predictions';
import { previewTraining } from './training-preview';
import { getRun, listRuns } from './training-runs';
import { compareVersions } from './version-compare';
import { discardVersion } from './version-discard';
import { notFound } from '@shared/errors';

type ReviewMethods =
  | 'cases.review'
  | 'cases.reviews'
  | 'predictions.get'
  | 'training.list'
  | 'training.get'
  | 'training.preview'
  | 'versions.compare'
  | 'versions.discard';

export const reviewHandlers: HandlerGroup<ReviewMethods> = {
  'cases.review': (params, ctx) => saveReview(ctx, params),
  'cases.reviews': (params, ctx) => {
    if (!ctx.store.cases.exists(params.caseId)) throw notFound(`Case ${params.caseId} does not exist`);
    return { reviews: reviewsOfCase(ctx.store.db, params.caseId) };
  },
  'predictions.get': (params, ctx) => casePredictions(ctx.store, params.caseId),
  'training.list': (_params, ctx) => ({ runs: listRuns(ctx.store) }),
  'training.get': (params, ctx) => getRun(ctx.store, params.runId),
  'training.preview': (params, ctx) => previewTraining(ctx.store, params, ctx.paths.benchmarks),
  'versions.compare': (params, ctx) => compareVersions(ctx, params.id),
  'versions.discard': (params, ctx) => discardVersion(ctx, params.id),
};
