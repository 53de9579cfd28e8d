/** Training time estimates from the latest `vip bench` (training/time-estimate.ts), as training.preview gives them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveBench } from '../../src/main/engine/bench/bench-result';
import { estimateTrainingTime } from '../../src/main/engine/training/time-estimate';
import { sampleBench } from '../e2e/helpers/bench-fixture';

const root = mkdtempSync(join(tmpdir(), 'vip-estimate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('training time estimate', () => {
  it('is null without a benchmark', async () => {
    expect(await estimateTrainingTime(join(root, 'none'), { train: 100, val: 10, test: 10 })).toBeNull();
  });

  it("scales the bench's epochs and extraction rate to the images at hand, per schedule", async () => {
    const dir = join(root, 'b16');
    const bench = sampleBench(); // vit-b16: 4,710 + 522 images, epochs of 24.2 s exact and 4.8 s fast, 3.6 images/s
    await saveBench(dir, bench);
    const e = await estimateTrainingTime(dir, { train: 4710, val: 522, test: 0 });
    expect(e?.secondsPerEpoch.exact).toBeCloseTo(24.2, 6);
    expect(e?.secondsPerEpoch.fast).toBeCloseTo(4.8, 6);
    expect(e?.featureSeconds).toBeCloseTo(5232 / 3.6, 6);
    expect(e?.basis).toMatch(/ViT-B\/16/);
    const half = await estimateTrainingTime(dir, { train: 2355, val: 261, test: 100 });
    expect(half?.secondsPerEpoch.exact).toBeCloseTo(12.1, 6);
    expect(half?.featureSeconds).toBeCloseTo(2716 / 3.6, 6);
  });

  it('prefers a ViT-B/16 benchmark to a newer tiny one, and says when it only has the tiny one', async () => {
    const dir = join(root, 'both');
    const tiny = { ...sampleBench(), preset: 'tiny' as const, finishedAt: '2026-11-27T10:00:00.000Z' };
    tiny.phases = {
      ...tiny.phases,
      epoch: { ...tiny.phases.epoch, exact: { ...tiny.phases.epoch.exact, epochSeconds: [1] } },
    };
    await saveBench(dir, tiny);
    const onlyTiny = await estimateTrainingTime(dir, { train: 4710, val: 522, test: 0 });
    expect(onlyTiny?.secondsPerEpoch.exact).toBeCloseTo(1, 6);
    expect(onlyTiny?.basis).toMatch(/tiny demo model/);
    await saveBench(dir, sampleBench());
    expect((await estimateTrainingTime(dir, { train: 4710, val: 522, test: 0 }))?.secondsPerEpoch.exact).toBeCloseTo(
      24.2,
      6,
    );
  });
});
