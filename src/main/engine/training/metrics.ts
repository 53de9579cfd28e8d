/**
 * Classification metrics as the paper reports them (accuracy, macro-F1 = mean of per-class F1) plus what a clinician
 * needs to judge a model: per-class precision, recall, F1 and support, the confusion matrix and ROC AUC. Binary AUC is
 * that of the positive class (the second class); with more classes it is the macro mean of one-vs-rest AUCs.
 */
import { VipError } from '@shared/errors';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** The shape `vip eval --json` prints. */
export interface EvalMetrics {
  n: number;
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, ClassMetrics>;
  /** Rows: true class, columns: predicted class, both in class order. */
  confusion_matrix: number[][];
  /** Null when it is undefined (a class without any positive or any negative sample). */
  auroc: number | null;
}

export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): number[][] {
  checkLengths(labels, predicted);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i] ?? -1;
    const p = predicted[i] ?? -1;
    const row = m[t];
    if (row === undefined || p < 0 || p >= numClasses) {
      throw new VipError('internal', `label ${t} or prediction ${p} outside 0..${numClasses - 1}`);
    }
    row[p] = (row[p] ?? 0) + 1;
  }
  return m;
}

export function accuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(labels, predicted);
  if (labels.length === 0) return 0;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) hits++;
  return hits / labels.length;
}

/**
 * Per-class precision, recall and F1 from a confusion matrix. A ratio with a zero denominator counts as 0, as
 * scikit-learn's `zero_division=0` does, so a class the model never predicts pulls macro-F1 down.
 */
export function perClassMetrics(matrix: readonly (readonly number[])[]): ClassMetrics[] {
  const c = matrix.length;
  return Array.from({ length: c }, (_, k) => {
    const tp = matrix[k]?.[k] ?? 0;
    let predictedK = 0;
    let support = 0;
    for (let j = 0; j < c; j++) {
      predictedK += matrix[j]?.[k] ?? 0;
      support += matrix[k]?.[j] ?? 0;
    }
    const precision = predictedK === 0 ? 0 : tp / predictedK;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
}

export function macroF1(labels: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number {
  const per = perClassMetrics(confusionMatrix(labels, predicted, numClasses));
  return per.reduce((sum, m) => sum + m.f1, 0) / numClasses;
}

/**
 * Area under the ROC curve of `scores` for the samples where `positive` is true: the probability that a random
 * positive scores above a random negative, ties counting one half (the Mann-Whitney statistic, computed from ranks
 * with ties averaged). Null without positives or negatives.
 */
export function binaryAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  if (scores.length !== positive.length) throw new VipError('internal', 'scores and labels differ in length');
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] ?? 0] === scores[order[i] ?? 0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] ?? 0] = rank;
    i = j + 1;
  }
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (positive[i]) {
      nPos++;
      rankSum += ranks[i] ?? 0;
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Binary: AUC of the second class's probability. More classes: macro mean of one-vs-rest AUCs (null if any is). */
export function rocAuc(
  labels: ArrayLike<number>,
  probabilities: readonly ArrayLike<number>[],
  numClasses: number,
): number | null {
  if (labels.length !== probabilities.length)
    throw new VipError('internal', 'labels and probabilities differ in length');
  const oneVsRest = (k: number): number | null =>
    binaryAuc(
      probabilities.map((p) => p[k] ?? 0),
      Array.from(labels, (l) => l === k),
    );
  if (numClasses === 2) return oneVsRest(1);
  let sum = 0;
  for (let k = 0; k < numClasses; k++) {
    const auc = oneVsRest(k);
    if (auc === null) return null;
    sum += auc;
  }
  return sum / numClasses;
}

/** Everything `vip eval` reports, from true labels and each sample's class probabilities (argmax = prediction). */
export function evaluate(
  classes: readonly string[],
  labels: ArrayLike<number>,
  probabilities: readonly ArrayLike<number>[],
): EvalMetrics {
  const c = classes.length;
  const predicted = probabilities.map(argmax);
  const matrix = confusionMatrix(labels, predicted, c);
  const per = perClassMetrics(matrix);
  return {
    n: labels.length,
    accuracy: accuracy(labels, predicted),
    macro_f1: per.reduce((sum, m) => sum + m.f1, 0) / c,
    per_class: Object.fromEntries(classes.map((name, k) => [name, per[k] as ClassMetrics])),
    confusion_matrix: matrix,
    auroc: rocAuc(labels, probabilities, c),
  };
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? -Infinity) > (values[best] ?? -Infinity)) best = i;
  return best;
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new VipError('internal', `${a.length} labels for ${b.length} predictions`);
}
