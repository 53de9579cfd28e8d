/**
 * `versions.compare`: a (new) model version and the active one scored on the same images, the new version's
 * validation split (rebuilt as its training built it: same dataset, fraction and seed), through the prediction path
 * every case goes through. Both get the same metrics, so the clinician compares like with like before activating.
 */
import { readFile } from 'node:fs/promises';
import type { EvalMetricsInfo, VersionComparison } from '@shared/contract';
import { badInput } from '@shared/errors';
import type { EngineContext } from '../context';
import { openClipSessions } from '../model/onnx-session';
import { activeModelVersions, getModelVersion } from '../store/model-version-repo';
import { listReviewedImages } from '../store/reviewed-images';
import type { DatasetItem } from '../training/dataset';
import { evaluate } from '../training/metrics';
import { openModelOrDefault } from '../vip/model-choice';
import { predictImages, preparedTextSide } from '../vip/predictor';
import { classNames, normaliseForComparison } from '../vip/symptom-set';
import { loadVersion } from '../vip/versions';
import { readTrainingData } from './training-preview';

interface RecordedConfig {
  dataset?: { kind?: unknown; root?: unknown; splitFile?: unknown; images?: unknown };
  valFraction?: unknown;
  train?: { seed?: unknown };
}

/** Scores one version on labelled images; labels index `classes`, which the version must hold (any order). */
async function scoreVersion(
  ctx: EngineContext,
  versionId: number,
  classes: readonly string[],
  items: readonly DatasetItem[],
): Promise<EvalMetricsInfo> {
  const version = loadVersion(ctx.store, ctx.paths, versionId);
  const pkg = await openModelOrDefault(ctx.paths.models, version.row.modelPackageId);
  const sessions = await openClipSessions(pkg);
  const prepared = await preparedTextSide(
    pkg,
    sessions,
    { mode: 'vip', symptoms: version.symptoms, prompt: version.prompt },
    { stored: () => version.storedTextSide(), save: (side) => version.saveTextSide(side) },
  );
  const own = prepared.classes.map(normaliseForComparison);
  const order = classes.map((c) => own.indexOf(normaliseForComparison(c)));
  if (order.some((i) => i < 0) || own.length !== classes.length) {
    throw badInput(`model version ${versionId} classifies other classes (${prepared.classes.join(', ')})`);
  }
  const { predictions } = await predictImages(
    pkg,
    sessions,
    ctx.paths.features,
    prepared,
    items.map((it) => ({ sha256: it.sha256, name: it.name, read: () => readFile(it.path) })),
  );
  const labels = Int32Array.from(predictions, (p) => items[p.index]?.label ?? -1);
  // In the compared classes' order, so both confusion matrices read the same way.
  const probabilities = predictions.map((p) => order.map((i) => p.probabilities[i] ?? 0));
  return evaluate(classes, labels, probabilities);
}

export async function compareVersions(ctx: EngineContext, versionId: number): Promise<VersionComparison> {
  const { store } = ctx;
  const row = getModelVersion(store.db, versionId);
  if (!row) throw badInput(`No model version ${versionId}`);
  const candidate = loadVersion(store, ctx.paths, versionId);
  const classes = classNames(candidate.symptoms);
  const config = (row.config ?? {}) as RecordedConfig;
  const dataset = config.dataset ?? {};
  const valFraction = typeof config.valFraction === 'number' ? config.valFraction : 0.1;
  const seed = typeof config.train?.seed === 'number' ? config.train.seed : 1;
  const notes: string[] = [];
  let data;
  if ((dataset.kind === 'folder' || dataset.kind === 'combined') && typeof dataset.root === 'string') {
    if (dataset.kind === 'combined' && typeof dataset.images === 'number') {
      const now = listReviewedImages(store).length;
      if (dataset.images !== now)
        notes.push(
          `The reviewed cases changed since this version was trained (${dataset.images} images then, ${now} now); both are scored on today's validation split.`,
        );
    }
    data = await readTrainingData(
      store,
      {
        dataset: dataset.root,
        ...(typeof dataset.splitFile === 'string' ? { splitFile: dataset.splitFile } : {}),
        fromReviews: dataset.kind === 'combined',
      },
      classes,
      { valFraction, seed },
    );
  } else if (dataset.kind === 'reviewed') {
    const now = listReviewedImages(store).length;
    if (typeof dataset.images === 'number' && dataset.images !== now) {
      notes.push(
        `The reviewed cases changed since this version was trained (${dataset.images} images then, ${now} now); both are scored on today's validation split.`,
      );
    }
    data = await readTrainingData(store, { fromReviews: true }, classes, { valFraction, seed });
  } else {
    throw badInput(`model version ${versionId} does not record the data it was trained on`);
  }
  const split = data.splits.val.length > 0 ? 'val' : data.splits.test.length > 0 ? 'test' : null;
  if (split === null) throw badInput(`model version ${versionId} has no validation or test images to compare on`);
  const items = data.splits[split];
  const candidateMetrics = await scoreVersion(ctx, versionId, classes, items);

  const active = activeModelVersions(store.db).filter((v) => v.id !== versionId);
  const rival = active.find((v) => v.task === row.task) ?? active[0] ?? null;
  let activeMetrics: EvalMetricsInfo | null = null;
  if (row.active) notes.push('This version is the active one.');
  else if (!rival) notes.push('No version is active: predictions are zero-shot until one is activated.');
  else {
    try {
      activeMetrics = await scoreVersion(ctx, rival.id, classes, items);
    } catch (err) {
      notes.push(
        `The active version cannot be scored on these images: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return {
    versionId,
    split,
    classes,
    candidate: candidateMetrics,
    activeVersionId: rival && !row.active ? rival.id : null,
    active: activeMetrics,
    note: notes.length > 0 ? notes.join(' ') : null,
  };
}
