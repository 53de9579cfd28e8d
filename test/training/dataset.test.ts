/** Datasets: folder layout, the authors' split file, and every input error reported before any model runs. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  datasetFromFolderAndReviews,
  datasetFromReviews,
  loadDataset,
  stratifiedSplit,
} from '../../src/main/engine/training/dataset';
import { writeSyntheticDataset } from '../helpers/synthetic-dataset';

const classes = ['round spot', 'striped'];
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vip-dataset-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('folder datasets', () => {
  it('reads <root>/<split>/<class>/<images> with labels in the symptom set order', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 3, test: 2 }, size: 16 });
    writeFileSync(join(dir, 'train', 'striped', 'README.txt'), 'not an image');
    const ds = await loadDataset({ root: dir, classes: ['striped', 'round spot'], require: ['train'] });
    expect(ds.classes).toEqual(['striped', 'round spot']);
    expect(ds.splits.train).toHaveLength(6);
    expect(ds.splits.test).toHaveLength(4);
    expect(ds.valSource).toBe('none');
    const striped = ds.splits.train.filter((i) => i.path.includes(join('train', 'striped')));
    expect(striped.every((i) => i.label === 0)).toBe(true);
    const first = ds.splits.train[0];
    expect(first?.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(first?.path ?? ''))
        .digest('hex'),
    );
    expect(ds.skipped).toBe(0);
  });

  it('matches class folders ignoring case and spacing', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 1 }, size: 16 });
    renameSync(join(dir, 'train', 'round spot'), join(dir, 'train', 'Round  Spot'));
    const ds = await loadDataset({ root: dir, classes, require: ['train'] });
    expect(ds.splits.train.map((i) => i.label).sort()).toEqual([0, 1]);
  });

  it('a missing class folder is an error naming the class', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 1 }, size: 16 });
    rmSync(join(dir, 'train', 'striped'), { recursive: true });
    await expect(loadDataset({ root: dir, classes, require: ['train'] })).rejects.toThrow(
      /no folder for class\(es\) "striped"/,
    );
  });

  it('a folder that is no class of the set is an error', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 1 }, size: 16 });
    mkdirSync(join(dir, 'train', 'melanoma'));
    await expect(loadDataset({ root: dir, classes, require: ['train'] })).rejects.toThrow(/"melanoma" are not classes/);
  });

  it('a required split that is absent is an error; a missing root too', async () => {
    await writeSyntheticDataset(dir, { perClass: { test: 1 }, size: 16 });
    await expect(loadDataset({ root: dir, classes, require: ['train'] })).rejects.toThrow(/has no train\/ folder/);
    await expect(loadDataset({ root: join(dir, 'nope'), classes, require: ['train'] })).rejects.toThrow(
      /does not exist/,
    );
  });

  it('skips unreadable images with a warning each and counts them', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 2 }, size: 16 });
    writeFileSync(join(dir, 'train', 'striped', 'broken.png'), 'this is not a png');
    writeFileSync(join(dir, 'train', 'round spot', 'empty.jpg'), Buffer.alloc(0));
    const ds = await loadDataset({ root: dir, classes, require: ['train'] });
    expect(ds.splits.train).toHaveLength(4);
    expect(ds.skipped).toBe(2);
    expect(ds.warnings).toHaveLength(2);
    expect(ds.warnings.join('\n')).toMatch(/broken\.png/);
    expect(ds.warnings.join('\n')).toMatch(/empty\.jpg/);
  });

  it('a class whose training images are all unreadable is an error', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 1 }, size: 16 });
    writeFileSync(join(dir, 'train', 'striped', '000.png'), 'garbage');
    await expect(loadDataset({ root: dir, classes, require: ['train'] })).rejects.toThrow(
      /no readable training images for class\(es\) "striped"/,
    );
  });

  it('holds out a stratified, seeded validation split when there is none', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 10 }, size: 16 });
    const a = await loadDataset({ root: dir, classes, require: ['train'], valFraction: 0.2, seed: 3 });
    const b = await loadDataset({ root: dir, classes, require: ['train'], valFraction: 0.2, seed: 3 });
    expect(a.valSource).toBe('stratified');
    expect(a.splits.val.map((i) => i.name)).toEqual(b.splits.val.map((i) => i.name));
    expect(a.splits.val.filter((i) => i.label === 0)).toHaveLength(2);
    expect(a.splits.val.filter((i) => i.label === 1)).toHaveLength(2);
    expect(a.splits.train).toHaveLength(16);
    const names = new Set(a.splits.train.map((i) => i.name));
    expect(a.splits.val.some((i) => names.has(i.name))).toBe(false);
  });
});

describe('stratifiedSplit', () => {
  it('takes at least one per class with two or more, never a whole class', () => {
    const items = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2].map((label) => ({ label }));
    const { train, val } = stratifiedSplit(items, 3, 0.1, 1);
    expect(val.filter((i) => i.label === 0)).toHaveLength(1);
    expect(val.filter((i) => i.label === 1)).toHaveLength(1);
    expect(val.filter((i) => i.label === 2)).toHaveLength(0);
    expect(train.length + val.length).toBe(items.length);
  });
});

describe("the authors' split file", () => {
  const write = (value: unknown): string => {
    const path = join(dir, 'split.json');
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('reads the listed files, classes by name', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 2 }, size: 16 });
    const split = write({
      train: [
        ['train/round spot/000.png', 0, 'round spot'],
        ['train/striped/000.png', 1, 'striped'],
      ],
      val: [['train/striped/001.png', 1, 'striped']],
      test: [['train/round spot/001.png', 0, 'round spot']],
    });
    const ds = await loadDataset({ root: dir, splitFile: split, classes, require: ['train'], valFraction: 0.1 });
    expect(ds.splits.train.map((i) => i.label)).toEqual([0, 1]);
    expect(ds.splits.val.map((i) => i.name)).toEqual(['train/striped/001.png']);
    expect(ds.valSource).toBe('dataset');
    expect(ds.splits.test).toHaveLength(1);
  });

  it('names and counts the files it lists that do not exist', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 1 }, size: 16 });
    const split = write({
      train: [
        ['train/round spot/000.png', 0, 'round spot'],
        ['train/striped/404.png', 1, 'striped'],
        ['gone/x.png', 1, 'striped'],
      ],
    });
    await expect(loadDataset({ root: dir, splitFile: split, classes, require: ['train'] })).rejects.toThrow(
      /names 2 file\(s\) that do not exist under .*train\/striped\/404\.png, gone\/x\.png/,
    );
  });

  it('refuses a class that is not in the symptom set, and a malformed file', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 1 }, size: 16 });
    const unknown = write({ train: [['train/striped/000.png', 1, 'nevus']] });
    await expect(loadDataset({ root: dir, splitFile: unknown, classes, require: ['train'] })).rejects.toThrow(
      /class "nevus", which is not in the symptom set/,
    );
    const bad = write({ train: [['train/striped/000.png', 'one']] });
    await expect(loadDataset({ root: dir, splitFile: bad, classes, require: ['train'] })).rejects.toThrow(/split file/);
    await expect(
      loadDataset({ root: dir, splitFile: join(dir, 'none.json'), classes, require: ['train'] }),
    ).rejects.toThrow(/cannot read split file/);
  });
});

describe('reviewed cases as a dataset', () => {
  it('labels images by their review, ignores labels outside the classes, holds out validation', async () => {
    const paths = await writeSyntheticDataset(dir, { perClass: { train: 4 }, size: 16 });
    const images = paths.map((path, i) => ({
      path,
      name: `case ${i}`,
      reviewLabel: path.includes('striped') ? 'Striped' : i === 0 ? 'unsure' : 'round spot',
    }));
    const ds = await datasetFromReviews(images, { classes, valFraction: 0.25, seed: 1 });
    expect(ds.splits.train.length + ds.splits.val.length).toBe(7);
    expect(ds.valSource).toBe('stratified');
    expect([...ds.splits.train, ...ds.splits.val].filter((i) => i.label === 1)).toHaveLength(4);
  });
});

describe('a folder and the reviewed cases together', () => {
  it('trains on the union once per image, the review label winning, and validates on a stratified part of it', async () => {
    const folder = join(dir, 'folder');
    const reviewsDir = join(dir, 'reviews');
    await writeSyntheticDataset(folder, { perClass: { train: 4, test: 1 }, size: 16 });
    // Reviewed images: 3 new round spots, a copy of a folder striped image relabelled by the clinician, a copy of a
    // test image (must not train), and a label of no class.
    const written = await writeSyntheticDataset(reviewsDir, { perClass: { train: 3 }, size: 16, seed: 99 });
    const roundNew = written.filter((p) => p.includes('round spot'));
    const stripedInFolder = join(folder, 'train', 'striped');
    const dupe = join(reviewsDir, 'dupe.png');
    const firstStriped = readdirSync(stripedInFolder).sort()[0]!;
    writeFileSync(dupe, readFileSync(join(stripedInFolder, firstStriped)));
    const testCopy = join(reviewsDir, 'test-copy.png');
    const testImage = join(folder, 'test', 'round spot', readdirSync(join(folder, 'test', 'round spot'))[0]!);
    writeFileSync(testCopy, readFileSync(testImage));
    const images = [
      ...roundNew.map((path, i) => ({ path, name: `case ${i + 1}`, reviewLabel: 'Round Spot' })),
      { path: dupe, name: 'case 10', reviewLabel: 'round spot' },
      { path: testCopy, name: 'case 11', reviewLabel: 'round spot' },
      { path: roundNew[0]!, name: 'case 12', reviewLabel: 'unsure' },
    ];

    const ds = await datasetFromFolderAndReviews({ root: folder }, images, { classes, valFraction: 0.25, seed: 3 });
    const pool = [...ds.splits.train, ...ds.splits.val];
    // 4 + 4 folder images (one of them relabelled by its review) and 3 new reviewed ones: 11 training images.
    expect(pool).toHaveLength(11);
    expect(new Set(pool.map((i) => i.sha256)).size).toBe(11);
    expect(pool.filter((i) => i.label === 0)).toHaveLength(8); // round spot: 4 + 3 + the relabelled striped image
    expect(pool.filter((i) => i.label === 1)).toHaveLength(3);
    expect(pool.find((i) => i.name === 'case 10')?.label).toBe(0);
    expect(pool.some((i) => i.name === 'case 11')).toBe(false);
    expect(ds.splits.test).toHaveLength(2);
    expect(ds.valSource).toBe('stratified');
    expect(ds.splits.val.filter((i) => i.label === 0)).toHaveLength(2);
    expect(ds.splits.val.filter((i) => i.label === 1)).toHaveLength(1);
    expect(ds.sources).toEqual({ folder: 7, reviewed: 4, duplicates: 2 });
    expect(ds.warnings.join('\n')).toMatch(/case 10 is the same image as|is the same image as case 10/);
    expect(ds.warnings.join('\n')).toContain('not trained on case 11: the same image is in the test split');
  });

  it('still requires the folder to match the symptom set classes', async () => {
    await writeSyntheticDataset(dir, { perClass: { train: 1 }, size: 16 });
    mkdirSync(join(dir, 'train', 'melanoma'));
    await expect(
      datasetFromFolderAndReviews({ root: dir }, [], { classes, valFraction: 0.1, seed: 1 }),
    ).rejects.toThrow(/"melanoma" are not classes/);
  });
});
