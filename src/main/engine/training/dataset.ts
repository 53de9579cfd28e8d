/**
 * Labelled images for training and evaluation, from one of three sources (or a folder and the reviews together):
 *   - a folder `<root>/<split>/<class name>/<image>` (splits `train`, `val`, `test`);
 *   - the authors' split file `{"train"|"val"|"test": [[path relative to the root, label index, class name], ...]}`;
 *   - reviewed cases of the store (label = the clinician's review label).
 * Class names are matched to the symptom set's classes (ignoring case and spacing) and labels follow the set's order.
 * Everything a user can get wrong (a missing class folder, files a split file names but that do not exist, a class
 * without training images) is reported here, before any image goes through the model. Unreadable images are found
 * by reading their headers, skipped with a warning and counted.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { badInput } from '@shared/errors';
import { Prng } from '../model/prng';
import { normaliseForComparison } from '../vip/symptom-set';
import { detectFormat, unsupportedFormatMessage } from '../imaging/formats';
import { shuffled } from './shuffle';

import { splitNames, type SplitName } from './option-names';
export { splitNames, type SplitName } from './option-names';

export interface DatasetItem {
  /** Absolute path of the image file. */
  path: string;
  /** For messages: the path relative to the dataset root (or the case and image id). */
  name: string;
  label: number;
  sha256: string;
}

export interface Dataset {
  classes: string[];
  splits: Record<SplitName, DatasetItem[]>;
  /** Where the validation split came from. */
  valSource: 'dataset' | 'stratified' | 'none';
  /** Images skipped (unreadable), one line each. */
  warnings: string[];
  skipped: number;
  /** A folder and reviewed cases together: how many images each gave, and duplicates dropped by content. */
  sources?: { folder: number; reviewed: number; duplicates: number };
}

/** Extensions looked at in class folders; other files are ignored (README, thumbs.db, ...). */
const imageExtensions = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.dcm', '.dicom']);

interface RawItem {
  path: string;
  name: string;
  label: number;
}

/** Maps a folder or split-file class name to the symptom set's class index. */
function classMatcher(classes: readonly string[]): (name: string) => number {
  const byKey = new Map(classes.map((c, i) => [normaliseForComparison(c), i]));
  return (name) => byKey.get(normaliseForComparison(name)) ?? -1;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** One split folder `<root>/<split>/`; null when the folder does not exist. */
async function readSplitFolder(root: string, split: SplitName, classes: readonly string[]): Promise<RawItem[] | null> {
  const dir = join(root, split);
  if (!(await isDirectory(dir))) return null;
  const match = classMatcher(classes);
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const folders = entries.filter((e) => e.isDirectory());
  const unknown = folders.filter((e) => match(e.name) < 0).map((e) => `"${e.name}"`);
  if (unknown.length > 0) {
    throw badInput(
      `${dir}: folder(s) ${unknown.join(', ')} are not classes of the symptom set (${classes.map((c) => `"${c}"`).join(', ')})`,
    );
  }
  const missing = classes.filter((_, i) => !folders.some((e) => match(e.name) === i));
  if (missing.length > 0) {
    throw badInput(
      `${dir}: no folder for class(es) ${missing.map((c) => `"${c}"`).join(', ')} (expected ${dir}/<class name>/)`,
    );
  }
  const items: RawItem[] = [];
  for (const folder of folders) {
    const label = match(folder.name);
    const files = (await readdir(join(dir, folder.name), { withFileTypes: true }))
      .filter((f) => f.isFile() && !f.name.startsWith('.') && imageExtensions.has(extname(f.name).toLowerCase()))
      .map((f) => f.name)
      .sort();
    for (const f of files) items.push({ path: join(dir, folder.name, f), name: join(split, folder.name, f), label });
  }
  return items;
}

const splitEntry = z.tuple([z.string().min(1), z.number().int(), z.string().min(1)]);
const splitFileSchema = z
  .object({
    train: z.array(splitEntry).optional(),
    val: z.array(splitEntry).optional(),
    test: z.array(splitEntry).optional(),
  })
  .strict();

/** The authors' split file; paths are relative to `root`. Every named file must exist. */
async function readSplitFile(
  root: string,
  file: string,
  classes: readonly string[],
): Promise<Partial<Record<SplitName, RawItem[]>>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw badInput(`cannot read split file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badInput(`split file ${file} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = splitFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badInput(
      `split file ${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'} (expected {"train"|"val"|"test": [[path, label, class], ...]})`,
    );
  }
  const match = classMatcher(classes);
  const out: Partial<Record<SplitName, RawItem[]>> = {};
  const missing: string[] = [];
  for (const split of splitNames) {
    const entries = parsed.data[split];
    if (!entries) continue;
    const items: RawItem[] = [];
    for (const [rel, , className] of entries) {
      const label = match(className);
      if (label < 0) {
        throw badInput(
          `split file ${file}: ${split} entry "${rel}" has class "${className}", which is not in the symptom set (${classes.map((c) => `"${c}"`).join(', ')})`,
        );
      }
      const path = resolve(root, rel);
      try {
        if (!(await stat(path)).isFile()) missing.push(rel);
      } catch {
        missing.push(rel);
      }
      items.push({ path, name: rel, label });
    }
    out[split] = items;
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ');
    throw badInput(
      `split file ${file} names ${missing.length} file(s) that do not exist under ${root}: ${shown}${missing.length > 5 ? ', ...' : ''}`,
    );
  }
  return out;
}

export interface LoadDatasetOptions {
  /** The dataset root. */
  root: string;
  /** The authors' split JSON; without it the folder layout is read. */
  splitFile?: string;
  /** The symptom set's classes, in order. */
  classes: readonly string[];
  /** Splits that must be present (e.g. ['train'] for training, ['test'] for `vip eval --split test`). */
  require: readonly SplitName[];
  /** Fraction of the training images held out for validation when the dataset has no val split (0 = none). */
  valFraction?: number;
  seed?: number;
}

/** Reads and checks a dataset (folder or split file), hashing and header-checking every image. */
export async function loadDataset(options: LoadDatasetOptions): Promise<Dataset> {
  const root = resolve(options.root);
  const raw = await readRawSplits(root, options);
  return finishDataset(raw, options, (item) => relative(root, item.path) || item.name);
}

/** The items of each split a folder (or split file) holds, before any image is read. */
async function readRawSplits(
  root: string,
  options: Pick<LoadDatasetOptions, 'splitFile' | 'classes' | 'require'>,
): Promise<Partial<Record<SplitName, RawItem[]>>> {
  if (!(await isDirectory(root))) throw badInput(`dataset folder ${root} does not exist`);
  const raw: Partial<Record<SplitName, RawItem[]>> = options.splitFile
    ? await readSplitFile(root, resolve(options.splitFile), options.classes)
    : Object.fromEntries(
        (
          await Promise.all(splitNames.map(async (s) => [s, await readSplitFolder(root, s, options.classes)] as const))
        ).filter(([, items]) => items !== null),
      );
  for (const split of options.require) {
    if (!raw[split]) {
      throw badInput(
        options.splitFile
          ? `split file ${options.splitFile} has no "${split}" list`
          : `dataset ${root} has no ${split}/ folder (expected ${root}/${split}/<class name>/<images>)`,
      );
    }
  }
  return raw;
}

/** Reviewed images of the store as a dataset: everything trains, a stratified part validates. */
export interface ReviewedImage {
  path: string;
  name: string;
  reviewLabel: string;
}

export async function datasetFromReviews(
  images: readonly ReviewedImage[],
  options: Pick<LoadDatasetOptions, 'classes' | 'valFraction' | 'seed'>,
): Promise<Dataset> {
  const match = classMatcher(options.classes);
  const items = images
    .map((img) => ({ path: img.path, name: img.name, label: match(img.reviewLabel) }))
    .filter((i) => i.label >= 0);
  return finishDataset({ train: items }, { ...options, require: ['train'] }, (item) => item.name);
}

/**
 * A labelled folder and the reviewed cases as one dataset. Training takes the folder's train and val images and the
 * reviewed ones together, each image once (by content: the same file in both counts once, with the clinician's
 * review label when the two disagree); the validation split is drawn stratified from that union, and the folder's
 * test split stays the test split (any of its images found among the training ones is dropped from those).
 */
export async function datasetFromFolderAndReviews(
  folder: Pick<LoadDatasetOptions, 'root' | 'splitFile'>,
  images: readonly ReviewedImage[],
  options: Pick<LoadDatasetOptions, 'classes' | 'valFraction' | 'seed'>,
): Promise<Dataset> {
  const root = resolve(folder.root);
  const raw = await readRawSplits(root, { ...folder, classes: options.classes, require: ['train'] });
  const match = classMatcher(options.classes);
  const reviewed = images
    .map((img) => ({ path: img.path, name: img.name, label: match(img.reviewLabel) }))
    .filter((i) => i.label >= 0);
  const reviewedPaths = new Set(reviewed.map((r) => r.path));
  // Reviewed images first: a duplicate keeps the first occurrence, so the clinician's label wins.
  const pool = [...reviewed, ...(raw.train ?? []), ...(raw.val ?? [])];
  return finishDataset(
    { train: pool, ...(raw.test ? { test: raw.test } : {}) },
    { ...options, require: ['train'], union: (item) => (reviewedPaths.has(item.path) ? 'reviewed' : 'folder') },
    (item) => (reviewedPaths.has(item.path) ? item.name : relative(root, item.path) || item.name),
  );
}

/** Keeps each training image once by content, and none that is also a test image; says what it dropped. */
function dedupeTraining(
  splits: Record<SplitName, DatasetItem[]>,
  classes: readonly string[],
  warnings: string[],
): number {
  const testHashes = new Set(splits.test.map((i) => i.sha256));
  const kept = new Map<string, DatasetItem>();
  let dropped = 0;
  for (const item of splits.train) {
    const first = kept.get(item.sha256);
    if (testHashes.has(item.sha256)) {
      dropped++;
      warnings.push(`not trained on ${item.name}: the same image is in the test split`);
    } else if (first) {
      dropped++;
      if (first.label !== item.label)
        warnings.push(
          `${item.name} is the same image as ${first.name} with another label ("${classes[item.label] ?? '?'}" against "${classes[first.label] ?? '?'}"): kept "${classes[first.label] ?? '?'}"`,
        );
    } else kept.set(item.sha256, item);
  }
  splits.train = [...kept.values()];
  return dropped;
}

async function finishDataset(
  raw: Partial<Record<SplitName, RawItem[]>>,
  options: Pick<LoadDatasetOptions, 'classes' | 'require' | 'valFraction' | 'seed'> & {
    /** Two sources in the train split: dedupe by content and count each source. */
    union?: (item: DatasetItem) => 'folder' | 'reviewed';
  },
  display: (item: RawItem) => string,
): Promise<Dataset> {
  const warnings: string[] = [];
  const splits = { train: [], val: [], test: [] } as Record<SplitName, DatasetItem[]>;
  for (const split of splitNames) {
    const items = raw[split];
    if (!items) continue;
    splits[split] = await inspectImages(
      items.map((i) => ({ ...i, name: display(i) })),
      warnings,
    );
  }
  const skipped = warnings.length;
  let sources: Dataset['sources'];
  if (options.union) {
    const duplicates = dedupeTraining(splits, options.classes, warnings);
    const origin = options.union;
    const reviewed = splits.train.filter((i) => origin(i) === 'reviewed').length;
    sources = { folder: splits.train.length - reviewed, reviewed, duplicates };
  }
  const classes = [...options.classes];
  if (options.require.includes('train')) {
    const empty = classes.filter((_, i) => !splits.train.some((item) => item.label === i));
    if (empty.length > 0)
      throw badInput(`no readable training images for class(es) ${empty.map((c) => `"${c}"`).join(', ')}`);
  }
  for (const split of options.require) {
    if (splits[split].length === 0) throw badInput(`the ${split} split has no readable images`);
  }
  let valSource: Dataset['valSource'] = raw.val ? 'dataset' : 'none';
  const fraction = options.valFraction ?? 0;
  if (!raw.val && fraction > 0 && splits.train.length > 0) {
    const { train, val } = stratifiedSplit(splits.train, classes.length, fraction, options.seed ?? 1);
    splits.train = train;
    splits.val = val;
    valSource = 'stratified';
  }
  return { classes, splits, valSource, warnings, skipped, ...(sources ? { sources } : {}) };
}

/**
 * A seeded stratified split: per class, round(fraction · count) images (at least one when the class has two or
 * more) go to validation. The order inside each split stays the dataset's.
 */
export function stratifiedSplit<T extends { label: number }>(
  items: readonly T[],
  numClasses: number,
  fraction: number,
  seed: number,
): { train: T[]; val: T[] } {
  const held = new Set<number>();
  for (let c = 0; c < numClasses; c++) {
    const indices = items.flatMap((item, i) => (item.label === c ? [i] : []));
    let take = Math.round(fraction * indices.length);
    if (take === 0 && indices.length >= 2) take = 1;
    if (take >= indices.length) take = indices.length - 1;
    const order = shuffled(indices.length, new Prng(`${seed}:val-split:${c}`));
    for (let j = 0; j < take; j++) held.add(indices[order[j] ?? 0] ?? 0);
  }
  return { train: items.filter((_, i) => !held.has(i)), val: items.filter((_, i) => held.has(i)) };
}

/** Hashes each file and reads its header; unreadable ones become warnings. A few files in flight at a time. */
async function inspectImages(items: readonly RawItem[], warnings: string[]): Promise<DatasetItem[]> {
  const out: (DatasetItem | null)[] = new Array<DatasetItem | null>(items.length).fill(null);
  const problems: (string | null)[] = new Array<string | null>(items.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i] as RawItem;
      try {
        const bytes = await readFile(item.path);
        const format = detectFormat(bytes);
        if (format.kind === 'unknown') throw new Error(unsupportedFormatMessage(format.hint));
        if (format.kind === 'raster') {
          const meta = await sharp(bytes).metadata();
          if (!meta.width || !meta.height) throw new Error('no image size in its header');
        }
        out[i] = {
          path: item.path,
          name: item.name,
          label: item.label,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        };
      } catch (err) {
        problems[i] = `skipped ${item.name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, items.length) }, worker));
  for (const p of problems) if (p !== null) warnings.push(p);
  return out.filter((x): x is DatasetItem => x !== null);
}
