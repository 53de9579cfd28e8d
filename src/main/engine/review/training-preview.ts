/**
 * `training.preview`: the dataset the training wizard is about to use, read exactly as training reads it (same
 * class matching, same seeded stratified validation split), counted per class and split. Layout problems (a
 * missing class folder, an unknown one) surface here as the same clear errors, before any run starts.
 */
import { resolve } from 'node:path';
import type { ParsedParams, TrainingPreview } from '@shared/contract';
import { badInput, VipError } from '@shared/errors';
import { listReviewedImages } from '../store/reviewed-images';
import type { Store } from '../store/store';
import { storedSymptomSet } from './stored-symptom-set';
import {
  datasetFromFolderAndReviews,
  datasetFromReviews,
  loadDataset,
  splitNames,
  type Dataset,
} from '../training/dataset';
import { estimateTrainingTime } from '../training/time-estimate';
import { builtinSymptomSet } from '../vip/builtin-symptoms';
import { classNames, normaliseForComparison, readSymptomSetFile, type SymptomSet } from '../vip/symptom-set';

export type TrainingDataParams = Pick<ParsedParams<'training.preview'>, 'dataset' | 'splitFile' | 'fromReviews'>;

/** The symptom set named by store id, built-in id or a JSON file on the engine's machine (exactly one of them). */
export function chosenSymptomSet(
  store: Store,
  params: Pick<ParsedParams<'training.preview'>, 'symptomSet' | 'symptomsPath' | 'symptomSetVersionId'>,
): SymptomSet {
  const named = [params.symptomSet, params.symptomsPath, params.symptomSetVersionId].filter((v) => v !== undefined);
  if (named.length !== 1) {
    throw badInput('give a symptomSetVersionId, a built-in symptomSet or a symptomsPath: exactly one');
  }
  if (params.symptomSetVersionId !== undefined) return storedSymptomSet(store, params.symptomSetVersionId).symptoms;
  if (params.symptomSet !== undefined) {
    const set = builtinSymptomSet(params.symptomSet);
    if (!set) throw badInput(`no built-in symptom set "${params.symptomSet}"`);
    return set;
  }
  return readSymptomSetFile(resolve(params.symptomsPath ?? ''));
}

/** Reviewed images per class of the set from their labels alone (no image read), and labels of no class. */
function reviewedLabels(
  store: Store,
  classes: readonly string[],
): { counts: TrainingPreview['counts']; unmatched: Record<string, number> } {
  const byKey = new Map(classes.map((c) => [normaliseForComparison(c), c]));
  const counts: TrainingPreview['counts'] = Object.fromEntries(classes.map((c) => [c, { train: 0, val: 0, test: 0 }]));
  const unmatched: Record<string, number> = {};
  for (const r of listReviewedImages(store)) {
    const cls = byKey.get(normaliseForComparison(r.reviewLabel));
    const slot = cls !== undefined ? counts[cls] : undefined;
    if (slot) slot.train += 1;
    else unmatched[r.reviewLabel] = (unmatched[r.reviewLabel] ?? 0) + 1;
  }
  return { counts, unmatched };
}

/** Reads the training data the way a run does: a folder (or split file), the reviewed cases, or both together. */
export async function readTrainingData(
  store: Store,
  params: TrainingDataParams,
  classes: readonly string[],
  split: { valFraction: number; seed: number },
): Promise<Dataset> {
  if (params.dataset === undefined && !params.fromReviews)
    throw badInput('give a dataset folder, fromReviews, or both (a folder and the reviewed cases together)');
  if (params.dataset !== undefined && params.fromReviews) {
    return datasetFromFolderAndReviews(
      { root: params.dataset, ...(params.splitFile !== undefined ? { splitFile: params.splitFile } : {}) },
      listReviewedImages(store),
      { classes, ...split },
    );
  }
  if (params.dataset !== undefined) {
    return loadDataset({
      root: params.dataset,
      ...(params.splitFile !== undefined ? { splitFile: params.splitFile } : {}),
      classes,
      require: ['train'],
      valFraction: split.valFraction,
      seed: split.seed,
    });
  }
  return datasetFromReviews(listReviewedImages(store), { classes, ...split });
}

export async function previewTraining(
  store: Store,
  params: ParsedParams<'training.preview'>,
  benchmarksDir?: string,
): Promise<TrainingPreview> {
  const classes = classNames(chosenSymptomSet(store, params));
  const unmatched = params.fromReviews ? reviewedLabels(store, classes).unmatched : {};
  let dataset: Dataset;
  try {
    dataset = await readTrainingData(store, params, classes, { valFraction: params.valFraction, seed: params.seed });
  } catch (err) {
    // Reviewed data alone that cannot train yet (a class nobody reviewed) is still worth counting, with the reason.
    if (!params.fromReviews || params.dataset !== undefined || !(err instanceof VipError) || err.code !== 'bad_input')
      throw err;
    const labels = reviewedLabels(store, classes);
    return {
      classes,
      counts: labels.counts,
      valSource: 'none',
      skipped: 0,
      warnings: [],
      unmatched,
      problem: err.message,
      estimate: null,
    };
  }
  const counts: TrainingPreview['counts'] = {};
  classes.forEach((c, label) => {
    const per = { train: 0, val: 0, test: 0 };
    for (const s of splitNames) per[s] = dataset.splits[s].filter((item) => item.label === label).length;
    counts[c] = per;
  });
  return {
    classes,
    counts,
    valSource: dataset.valSource,
    skipped: dataset.skipped,
    warnings: dataset.warnings.slice(0, 50),
    unmatched,
    problem: null,
    estimate: benchmarksDir
      ? await estimateTrainingTime(benchmarksDir, {
          train: dataset.splits.train.length,
          val: dataset.splits.val.length,
          test: dataset.splits.test.length,
        })
      : null,
    ...(dataset.sources ? { sources: dataset.sources } : {}),
  };
}
