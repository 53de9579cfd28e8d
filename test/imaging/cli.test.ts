/**
 * `vip inspect` and `vip render` through the built CLI, as a user runs them: JSON facts, PNGs of the display pixels
 * (frame, window, model input), exit code 2 with one line for bad input; and the synthetic chest radiograph rendered
 * to test/artifacts/synthetic-cxr.png for a person to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltCli, repoRoot, runVip, type VipResult } from '../store/built-cli';
import { tempDir } from '../store/helpers';
import { encodeFrame } from './helpers/codec-encode';
import { TS, writeDicom } from './helpers/dicom-file';
import { imageElements, nativePixelData, sampleBytes } from './helpers/image-spec';
import { syntheticCxrDicom } from './helpers/synthetic-cxr';

let dir: ReturnType<typeof tempDir>;
const path = (name: string) => join(dir.path, name);

beforeAll(() => {
  ensureBuiltCli();
  dir = tempDir('vip-imaging-cli-');
});
afterAll(() => dir.cleanup());

function expectBadInput(r: VipResult, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trim().split('\n')).toHaveLength(r.stderr.includes('(run with --help') ? 2 : 1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A grayscale PNG's pixels; `channels` is what the file holds (sharp's raw output would widen grey to RGB). */
async function grayPixels(png: string): Promise<{ data: number[]; width: number; height: number; channels: number }> {
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data: [...data], width: info.width, height: info.height, channels: channels ?? 0 };
}

/** A two-frame JPEG 2000 CT with two named windows: frame 2 holds HU -1000, 0, 40, 1000. */
async function ctFile(): Promise<string> {
  const frames = [
    [24, 24, 24, 24],
    [24, 1024, 1064, 2024],
  ];
  const format = {
    width: 2,
    height: 2,
    bitsAllocated: 16,
    bitsStored: 12,
    samplesPerPixel: 1,
    pixelRepresentation: 0,
    photometric: 'MONOCHROME2',
  };
  const encoded = await Promise.all(frames.map((f) => encodeFrame('j2k', sampleBytes(f, 16), format)));
  const file = writeDicom(
    imageElements({
      rows: 2,
      columns: 2,
      frames: 2,
      bitsStored: 12,
      modality: 'CT',
      rescaleIntercept: '-1024',
      windowCenter: '40\\-600',
      windowWidth: '400\\1500',
      windowExplanation: 'MEDIASTINUM\\LUNG',
    }),
    { syntax: TS.j2kLossless, encapsulated: { frames: encoded } },
  );
  writeFileSync(path('ct.dcm'), file);
  return path('ct.dcm');
}

describe('vip inspect', () => {
  it('prints the facts of a DICOM file as JSON', async () => {
    const r = runVip(['inspect', await ctFile(), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const facts = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(facts).toMatchObject({
      kind: 'dicom',
      width: 2,
      height: 2,
      frames: 2,
      photometric: 'MONOCHROME2',
      bits_stored: 12,
      transfer_syntax: '1.2.840.10008.1.2.4.90',
      modality: 'CT',
      windows: [
        { center: 40, width: 400, explanation: 'MEDIASTINUM' },
        { center: -600, width: 1500, explanation: 'LUNG' },
      ],
      attributes: { rescaleIntercept: -1024, windowExplanation: ['MEDIASTINUM', 'LUNG'] },
    });
    expect(JSON.stringify(facts)).not.toMatch(/DOE|PID-1/); // patient name and ID are not shown
  });

  it('describes an ordinary image', async () => {
    await sharp({ create: { width: 5, height: 3, channels: 3, background: '#804020' } })
      .png()
      .toFile(path('photo.png'));
    const r = runVip(['inspect', path('photo.png'), '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: 'image',
      width: 5,
      height: 3,
      frames: 1,
      photometric: 'RGB',
      bits_stored: 8,
      transfer_syntax: null,
      windows: [],
    });
    const human = runVip(['inspect', path('photo.png')]);
    expect(human.stdout).toMatch(/^image 5 x 3, 1 frame\(s\), RGB, 8 bits stored$/m);
  });
});

describe('vip render', () => {
  it('writes the chosen frame through the file window or the one asked for', async () => {
    const ct = await ctFile();
    // c = 40, w = 400: -1000 -> 0, 0 -> 102, 40 -> 128, 1000 -> 255 (see voi.test.ts)
    let r = runVip(['render', ct, '--frame', '2', '--out', path('ct.png')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*ct\.png \(2 x 2, window 40\/400\)$/m);
    expect(await grayPixels(path('ct.png'))).toMatchObject({ data: [0, 102, 128, 255], channels: 1 });
    // Lung window: -1000 -> 60, 0 -> 230, 40 -> 236, 1000 -> 255; negative centers work as --window=C,W.
    r = runVip(['render', ct, '--frame', '2', '--window=-600,1500', '--out', path('lung.png')]);
    expect(r.status, r.stderr).toBe(0);
    expect((await grayPixels(path('lung.png'))).data).toEqual([60, 230, 236, 255]);
    r = runVip(['render', ct, '--frame', '2', '--invert', '--json', '--out', path('inverted.png')]);
    expect(JSON.parse(r.stdout)).toMatchObject({ width: 2, height: 2, frame: 2, window: { center: 40, width: 400 } });
    expect((await grayPixels(path('inverted.png'))).data).toEqual([255, 153, 127, 0]);
  });

  it('writes what the model sees with --model-input: a centred square of the display pixels', async () => {
    // 448 x 224 RGB whose columns count up: no resize is needed, the crop keeps columns 112..335.
    const width = 448;
    const data = Buffer.alloc(width * 224 * 3);
    for (let i = 0; i < width * 224; i++) data.fill(Math.floor((i % width) / 2), i * 3, i * 3 + 3);
    await sharp(data, { raw: { width, height: 224, channels: 3 } })
      .png()
      .toFile(path('wide.png'));
    const r = runVip(['render', path('wide.png'), '--model-input', '--out', path('model.png')]);
    expect(r.status, r.stderr).toBe(0);
    const model = await sharp(path('model.png')).raw().toBuffer({ resolveWithObject: true });
    expect([model.info.width, model.info.height]).toEqual([224, 224]);
    // Column x of the crop is column 112 + x of the image, value floor((112 + x) / 2); normalising and back: +-1.
    for (const x of [0, 1, 100, 223])
      expect(Math.abs(model.data[x * 3]! - Math.floor((112 + x) / 2))).toBeLessThanOrEqual(1);
  });

  it('answers bad input with exit code 2 and one line', async () => {
    writeFileSync(path('notes.txt'), 'not an image');
    expectBadInput(
      runVip(['render', path('notes.txt'), '--out', path('x.png')]),
      /^vip: .*notes\.txt: not a supported image/,
    );
    expectBadInput(runVip(['inspect', path('nothing-here.dcm')]), /^vip: .*nothing-here\.dcm: no such file$/m);
    const plan = writeDicom(
      imageElements({ rows: 0, columns: 0, sopClassUid: '1.2.840.10008.5.1.4.1.1.481.5', modality: 'RTPLAN' }).filter(
        (e) => e.tag < 0x00280000,
      ),
    );
    writeFileSync(path('plan.dcm'), plan);
    expectBadInput(
      runVip(['inspect', path('plan.dcm')]),
      /^vip: .*plan\.dcm: DICOM file has no pixel data: it is an RT Plan/,
    );
    const ct = await ctFile();
    expectBadInput(runVip(['render', ct, '--frame', '3', '--out', path('x.png')]), /frame 3 does not exist/);
    expectBadInput(runVip(['render', ct, '--frame', '0', '--out', path('x.png')]), /positive whole number/);
    expectBadInput(runVip(['render', ct, '--window', '40', '--out', path('x.png')]), /CENTER,WIDTH/);
    expectBadInput(
      runVip(['render', ct, '--out', path('no-such-folder/x.png')]),
      /^vip: .*cannot write .*x\.png \(ENOENT\)$/m,
    );
    const huge = writeDicom(imageElements({ rows: 40000, columns: 40000, pixelData: nativePixelData([1, 2]) }));
    writeFileSync(path('huge.dcm'), huge);
    expectBadInput(runVip(['render', path('huge.dcm'), '--out', path('x.png')]), /exceeds the pixel budget/);
  });
});

describe('a chest radiograph', () => {
  it('renders with lungs dark, bone bright and air black; MONOCHROME1 the same', async () => {
    writeFileSync(path('cxr.dcm'), syntheticCxrDicom({ size: 2048 }));
    const artifacts = join(repoRoot, 'test', 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    const out = join(artifacts, 'synthetic-cxr.png');
    const r = runVip(['render', path('cxr.dcm'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const png = await grayPixels(out);
    expect([png.width, png.height, png.channels]).toEqual([2048, 2048, 1]);
    const mean = (u0: number, v0: number, u1: number, v1: number): number => {
      let sum = 0;
      let n = 0;
      for (let y = Math.round(v0 * 2048); y < Math.round(v1 * 2048); y++) {
        for (let x = Math.round(u0 * 2048); x < Math.round(u1 * 2048); x++) {
          sum += png.data[y * 2048 + x]!;
          n++;
        }
      }
      return sum / n;
    };
    const air = mean(0, 0, 0.05, 0.05);
    const rightLung = mean(0.22, 0.3, 0.32, 0.45);
    const leftLung = mean(0.68, 0.3, 0.78, 0.45);
    const mediastinum = mean(0.47, 0.3, 0.53, 0.4);
    const abdomen = mean(0.3, 0.85, 0.4, 0.95);
    const humeralHead = mean(0.04, 0.19, 0.07, 0.22);
    const chestWall = mean(0.04, 0.4, 0.06, 0.45); // soft tissue lateral to the lung
    // The clavicle crosses column 0.31 somewhere between heights 0.13 and 0.17; the lung apex lies just below.
    let clavicle = 0;
    for (let v = 0.13; v < 0.17; v += 1 / 2048) clavicle = Math.max(clavicle, mean(0.3, v, 0.32, v + 2 / 2048));
    const apexBelowClavicle = mean(0.3, 0.172, 0.32, 0.18);
    expect(air).toBeLessThan(5);
    for (const lung of [rightLung, leftLung]) {
      expect(lung).toBeGreaterThan(30); // dark, not black: the window shows the lung
      expect(lung).toBeLessThan(110);
      expect(mediastinum - lung).toBeGreaterThan(50);
      expect(abdomen - lung).toBeGreaterThan(50);
    }
    // Bone is brighter than what surrounds it.
    expect(humeralHead - chestWall).toBeGreaterThan(20);
    expect(clavicle - apexBelowClavicle).toBeGreaterThan(50);

    // The same radiograph stored MONOCHROME1 (inverted values, inverted window) looks the same.
    writeFileSync(path('cxr-m1.dcm'), syntheticCxrDicom({ size: 256, monochrome1: true }));
    writeFileSync(path('cxr-m2.dcm'), syntheticCxrDicom({ size: 256 }));
    runVip(['render', path('cxr-m1.dcm'), '--out', path('m1.png')]);
    runVip(['render', path('cxr-m2.dcm'), '--out', path('m2.png')]);
    const [m1, m2] = [await grayPixels(path('m1.png')), await grayPixels(path('m2.png'))];
    expect(m1.data.length).toBe(256 * 256);
    expect(Math.max(...m1.data.map((v, i) => Math.abs(v - m2.data[i]!)))).toBeLessThanOrEqual(1);
  });
});
