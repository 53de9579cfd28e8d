/** How `vip bench` judges "no memory growth across epochs" from the RSS and the live tfjs tensors after each epoch. */
import { describe, expect, it } from 'vitest';
import { evaluateTargets } from '../../src/main/engine/bench/run-bench';
import { sampleBench } from '../e2e/helpers/bench-fixture';

const MB = 2 ** 20;

function judge(rssMb: number[], tensors: number[]) {
  const phases = sampleBench().phases;
  phases.epoch.exact.rssAfterEpochBytes = rssMb.map((m) => m * MB);
  phases.epoch.exact.tensorsAfterEpoch = tensors;
  const target = evaluateTargets('vit-b16', phases).find((t) => t.name === 'RSS growth across training epochs');
  if (!target) throw new Error('no memory target');
  return target;
}

describe('the memory-growth target', () => {
  it('is met when the resident set and the tensors stay put after the first epoch', () => {
    const t = judge([900, 940, 941], [41, 41, 41]);
    expect(t.met).toBe(true);
    expect(t.measured).toBe('+1 MB from epoch 2 to 3; +41 MB from epoch 1; tfjs tensors 41, 41, 41');
  });

  it('is not met when a tensor is left behind every epoch, however flat the RSS', () => {
    expect(judge([900, 900, 900], [41, 188, 335]).met).toBe(false);
  });

  it('is not met when the resident set keeps growing after the first epoch', () => {
    expect(judge([900, 1000, 1100], [41, 41, 41]).met).toBe(false);
  });

  it('reads two-epoch results of earlier versions, which counted no tensors', () => {
    const t = judge([900, 911], []);
    expect(t.met).toBe(true);
    expect(t.measured).toBe('+11 MB from epoch 1 to 2');
  });

  it('does not judge a single epoch', () => {
    expect(judge([900], [41]).met).toBeNull();
  });
});
