/**
 * Knowledge check (beyond the paper): does the image model perceive each symptom? For a symptom set and labelled
 * images, every symptom's zero-shot similarity `cos(image, "{symptom}.")` alone is used to split its class from the
 * others; the ROC AUC of that split says how well (0.5 = chance, 1 = perfect, below 0.5 = the opposite). Also the
 * zero-shot accuracy of the whole set (each class the mean of its unit symptom features, as the paper's zero-shot
 * "visual symptoms" baseline). Image features come from the shared on-disk cache (the evaluation view).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { badInput, VipError } from '@shared/errors';
import { tokenizeForPackage } from '../model/embed';
import { openClipSessions } from '../model/onnx-session';
import type { ModelPackage } from '../model/package';
import { datasetFromReviews, loadDataset, type DatasetItem, type SplitName } from '../training/dataset';
import { extractFeatures, FeatureCache, featureCacheDir, viewPreprocessing } from '../training/feature-cache';
import { binaryAuc } from '../training/metrics';
import type { ReviewedImage } from '../training/dataset';
import type { SymptomSet } from '../vip/symptom-set';

export type KnowledgeSource =
  | { kind: 'folder'; root: string; splitFile?: string; split: SplitName }
  | { kind: 'reviewed'; images: readonly ReviewedImage[] };

export interface SymptomPerception {
  className: string;
  symptom: string;
  /** ROC AUC of the similarity for "this class" against the rest; null when a side has no images. */
  auc: number | null;
  meanOwn: number;
  meanOther: number;
  verdict: 'perceived' | 'weak' | 'not perceived' | 'reversed' | 'unknown';
}

export interface KnowledgeReport {
  modelPackageId: string;
  randomWeights: boolean;
  source: string;
  classes: string[];
  imagesPerClass: number[];
  /** Zero-shot accuracy with the set (mean of each class's symptom features). */
  zeroShotAccuracy: number;
  symptoms: SymptomPerception[];
  warnings: string[];
}

export interface KnowledgeOptions {
  featuresDir: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

function verdict(auc: number | null): SymptomPerception['verdict'] {
  if (auc === null) return 'unknown';
  if (auc >= 0.7) return 'perceived';
  if (auc >= 0.6) return 'weak';
  if (auc > 0.4) return 'not perceived';
  return 'reversed';
}

function normalised(flat: Float32Array, rows: number, d: number): Float32Array {
  const out = new Float32Array(flat.length);
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let j = 0; j < d; j++) n += (flat[r * d + j] ?? 0) ** 2;
    n = Math.sqrt(n) || 1;
    for (let j = 0; j < d; j++) out[r * d + j] = (flat[r * d + j] ?? 0) / n;
  }
  return out;
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += (a[ai * d + j] ?? 0) * (b[bi * d + j] ?? 0);
  return s;
}

export async function knowledgeCheck(
  pkg: ModelPackage,
  set: SymptomSet,
  source: KnowledgeSource,
  options: KnowledgeOptions,
): Promise<KnowledgeReport> {
  const classes = set.classes.map((c) => c.name);
  let items: DatasetItem[];
  let label: string;
  const warnings: string[] = [];
  if (source.kind === 'folder') {
    const dataset = await loadDataset({
      root: resolve(source.root),
      ...(source.splitFile ? { splitFile: resolve(source.splitFile) } : {}),
      classes,
      require: [source.split],
    });
    items = dataset.splits[source.split];
    warnings.push(...dataset.warnings);
    label = `${source.split} split of ${resolve(source.root)}`;
  } else {
    const dataset = await datasetFromReviews(source.images, { classes, valFraction: 0 });
    items = dataset.splits.train;
    warnings.push(...dataset.warnings);
    label = 'reviewed cases';
  }
  const counts = classes.map((_, c) => items.filter((it) => it.label === c).length);
  const empty = classes.filter((_, c) => counts[c] === 0);
  if (empty.length === classes.length) throw badInput(`no labelled images for the classes in the ${label}`);
  if (empty.length > 0) warnings.push(`no images of ${empty.map((c) => `"${c}"`).join(', ')}: their AUCs are unknown`);
  if (pkg.manifest.randomWeights) {
    warnings.push(`model package "${pkg.manifest.id}" has random weights: these numbers say nothing about a real CLIP`);
  }

  const sessions = await openClipSessions(pkg);
  const d = sessions.projectionDim;
  const cache = new FeatureCache(featureCacheDir(options.featuresDir, pkg), d);
  const extracted = await extractFeatures(
    cache,
    sessions.embedImages.bind(sessions),
    items.map((it) => ({ sha256: it.sha256, name: it.name, read: () => readFile(it.path) })),
    {
      views: 1,
      augment: null,
      seed: 1,
      preprocessing: viewPreprocessing(pkg),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => options.onProgress?.(p.done, p.total),
    },
  );
  for (const f of extracted.failures) warnings.push(`skipped ${f.name}: ${f.reason}`);
  const kept = items.flatMap((it, i) => {
    const f = extracted.features[i];
    return f ? [{ label: it.label, f }] : [];
  });
  if (kept.length === 0) throw badInput(`no readable images in the ${label}`);
  const imageFlat = new Float32Array(kept.length * d);
  kept.forEach((k, i) => imageFlat.set(k.f, i * d));
  const images = normalised(imageFlat, kept.length, d);
  const labels = kept.map((k) => k.label);

  if (options.signal?.aborted) throw new VipError('cancelled', 'the knowledge check was cancelled');
  const texts = set.classes.flatMap((c) => c.symptoms.map((s) => ({ className: c.name, symptom: s })));
  const textFlat = await sessions.embedTexts(
    tokenizeForPackage(
      pkg,
      texts.map((t) => `${t.symptom}.`),
    ),
  );
  const symptoms = normalised(textFlat, texts.length, d);

  const perception: SymptomPerception[] = texts.map((t, si) => {
    const own = classes.indexOf(t.className);
    const sims = labels.map((_, i) => dot(images, i, symptoms, si, d));
    const positive = labels.map((l) => l === own);
    const mean = (keep: (i: number) => boolean): number => {
      const vals = sims.filter((_, i) => keep(i));
      return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0;
    };
    const auc = positive.some(Boolean) && positive.some((p) => !p) ? binaryAuc(sims, positive) : null;
    return {
      className: t.className,
      symptom: t.symptom,
      auc,
      meanOwn: mean((i) => positive[i] === true),
      meanOther: mean((i) => positive[i] === false),
      verdict: verdict(auc),
    };
  });

  // Zero-shot with the set: each class the renormalised mean of its unit symptom features.
  const prototypes = new Float32Array(classes.length * d);
  let row = 0;
  set.classes.forEach((c, ci) => {
    for (let k = 0; k < c.symptoms.length; k++, row++) {
      for (let j = 0; j < d; j++) prototypes[ci * d + j] = (prototypes[ci * d + j] ?? 0) + (symptoms[row * d + j] ?? 0);
    }
  });
  const protos = normalised(prototypes, classes.length, d);
  let correct = 0;
  labels.forEach((l, i) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes.length; c++) {
      const s = dot(images, i, protos, c, d);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    if (best === l) correct++;
  });

  return {
    modelPackageId: pkg.manifest.id,
    randomWeights: pkg.manifest.randomWeights,
    source: label,
    classes,
    imagesPerClass: classes.map((_, c) => labels.filter((l) => l === c).length),
    zeroShotAccuracy: correct / labels.length,
    symptoms: perception,
    warnings,
  };
}
