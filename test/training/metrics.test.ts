/** Metrics against values worked out by hand (the comments show the arithmetic). */
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  binaryAuc,
  confusionMatrix,
  evaluate,
  macroF1,
  perClassMetrics,
  rocAuc,
} from '../../src/main/engine/training/metrics';

// Six samples, three classes.
const labels = [0, 0, 0, 1, 1, 2];
const predicted = [0, 1, 0, 1, 2, 2];

describe('classification metrics', () => {
  it('confusion matrix: rows are true classes, columns predictions', () => {
    expect(confusionMatrix(labels, predicted, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it('accuracy: 4 of 6 right', () => {
    expect(accuracy(labels, predicted)).toBeCloseTo(4 / 6, 12);
  });

  it('per-class precision, recall, F1, support', () => {
    const m = perClassMetrics(confusionMatrix(labels, predicted, 3));
    // class 0: tp 2 of 2 predicted, of 3 true -> P 1, R 2/3, F1 = 2·1·(2/3)/(1 + 2/3) = 0.8
    expect(m[0]?.precision).toBeCloseTo(1, 12);
    expect(m[0]?.recall).toBeCloseTo(2 / 3, 12);
    expect(m[0]?.f1).toBeCloseTo(0.8, 12);
    expect(m[0]?.support).toBe(3);
    // class 1: tp 1 of 2 predicted, of 2 true -> 0.5, 0.5, 0.5
    expect(m[1]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    // class 2: tp 1 of 2 predicted, of 1 true -> P 0.5, R 1, F1 2/3
    expect(m[2]?.precision).toBeCloseTo(0.5, 12);
    expect(m[2]?.recall).toBeCloseTo(1, 12);
    expect(m[2]?.f1).toBeCloseTo(2 / 3, 12);
  });

  it('macro-F1 is the mean of the per-class F1', () => {
    expect(macroF1(labels, predicted, 3)).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it('a class never predicted has precision and F1 0 (no division by zero)', () => {
    const m = perClassMetrics(confusionMatrix([0, 1, 1], [0, 0, 0], 2));
    expect(m[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
    // class 0: P 1/3, R 1 -> F1 = 2·(1/3)/(4/3) = 0.5
    expect(m[0]?.f1).toBeCloseTo(0.5, 12);
  });

  it('refuses labels outside the classes', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 2)).toThrow(/outside/);
  });
});

describe('ROC AUC', () => {
  it('binary: the share of (positive, negative) pairs ranked right', () => {
    // positives 0.35 and 0.8, negatives 0.1 and 0.4: 0.35 beats 0.1 only, 0.8 beats both -> 3/4
    expect(binaryAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(0.75, 12);
  });

  it('ties count one half', () => {
    // positive 0.5 ties negative 0.5 (1/2) and beats 0.2 (1); positive 0.9 beats both (2) -> 3.5 / 4
    expect(binaryAuc([0.5, 0.5, 0.2, 0.9], [true, false, false, true])).toBeCloseTo(0.875, 12);
  });

  it('is undefined without positives or negatives', () => {
    expect(binaryAuc([0.1, 0.2], [true, true])).toBeNull();
    expect(
      rocAuc(
        [0, 0],
        [
          [0.9, 0.1],
          [0.2, 0.8],
        ],
        2,
      ),
    ).toBeNull();
  });

  it('binary models: the AUC of the second class', () => {
    const probs = [
      [0.9, 0.1],
      [0.6, 0.4],
      [0.65, 0.35],
      [0.2, 0.8],
    ];
    // scores of class 1: 0.1, 0.4, 0.35, 0.8 with labels 0, 0, 1, 1 -> 0.75 (first case above)
    expect(rocAuc([0, 0, 1, 1], probs, 2)).toBeCloseTo(0.75, 12);
  });

  it('multi-class: macro mean of one-vs-rest AUCs', () => {
    const probs = [
      [0.5, 0.3, 0.2],
      [0.4, 0.4, 0.2],
      [0.2, 0.3, 0.5],
      [0.3, 0.5, 0.2],
    ];
    // class 0: positives .5 .3 vs negatives .4 .2 -> 3/4; class 1: positive .4 vs .3 .3 .5 -> 2/3;
    // class 2: positive .5 vs .2 .2 .2 -> 1
    expect(rocAuc([0, 1, 2, 0], probs, 3)).toBeCloseTo((0.75 + 2 / 3 + 1) / 3, 12);
  });
});

describe('evaluate', () => {
  it('puts everything together in the shape vip eval prints', () => {
    const probs = [
      [0.9, 0.1],
      [0.6, 0.4],
      [0.65, 0.35],
      [0.2, 0.8],
    ];
    const m = evaluate(['normal lung', 'pneumonia'], [0, 0, 1, 1], probs);
    // predictions 0, 0, 0, 1 -> accuracy 3/4; pneumonia: P 1, R 1/2, F1 2/3; normal: P 2/3, R 1, F1 0.8
    expect(m.n).toBe(4);
    expect(m.accuracy).toBeCloseTo(0.75, 12);
    expect(m.confusion_matrix).toEqual([
      [2, 0],
      [1, 1],
    ]);
    expect(m.per_class['pneumonia']?.f1).toBeCloseTo(2 / 3, 12);
    expect(m.per_class['normal lung']?.f1).toBeCloseTo(0.8, 12);
    expect(m.macro_f1).toBeCloseTo((2 / 3 + 0.8) / 2, 12);
    expect(m.auroc).toBeCloseTo(0.75, 12);
    expect(Object.keys(m)).toEqual(['n', 'accuracy', 'macro_f1', 'per_class', 'confusion_matrix', 'auroc']);
  });
});
