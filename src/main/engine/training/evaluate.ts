/**
 * `vip eval`: one split of a dataset scored with a text side, through the same path as every prediction (cached
 * unaugmented features, then `predict()`), reported as metrics.ts computes them.
 */
import { readFile } from 'node:fs/promises';
import type { ClipSessions } from '../model/onnx-session';
import type { ModelPackage } from '../model/package';
import type { PreparedTextSide } from '../vip/inference';
import { predictImages } from '../vip/predictor';
import { loadDataset, type SplitName } from './dataset';
import type { ExtractFailure } from './feature-cache';
import { evaluate, type EvalMetrics } from './metrics';

export interface EvaluateSplitOptions {
  root: string;
  splitFile?: string;
  split: SplitName;
  featuresDir: string;
  signal?: AbortSignal;
}

export interface SplitEvaluation {
  metrics: EvalMetrics;
  warnings: string[];
  skipped: number;
}

export async function evaluateSplit(
  pkg: ModelPackage,
  sessions: ClipSessions,
  side: PreparedTextSide,
  options: EvaluateSplitOptions,
): Promise<SplitEvaluation> {
  const dataset = await loadDataset({
    root: options.root,
    ...(options.splitFile !== undefined ? { splitFile: options.splitFile } : {}),
    classes: side.classes,
    require: [options.split],
  });
  const items = dataset.splits[options.split];
  const { predictions, failures } = await predictImages(
    pkg,
    sessions,
    options.featuresDir,
    side,
    items.map((it) => ({ sha256: it.sha256, name: it.name, read: () => readFile(it.path) })),
    options.signal,
  );
  const labels = Int32Array.from(predictions, (p) => items[p.index]?.label ?? -1);
  const metrics = evaluate(
    side.classes,
    labels,
    predictions.map((p) => p.probabilities),
  );
  const warnings = [...dataset.warnings, ...failures.map((f: ExtractFailure) => `skipped ${f.name}: ${f.reason}`)];
  return { metrics, warnings, skipped: dataset.skipped + failures.length };
}
