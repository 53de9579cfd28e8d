import { describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { coopPrompts, symptomPrompts, symptomPromptText, templatePrompts } from '../../src/main/engine/vip/prompts';
import { parseSymptomSet } from '../../src/main/engine/vip/symptom-set';
import { realTokenizer } from './helpers/tiny-tower';

const SOT = 49406;
const EOT = 49407;
const X = 343;

describe('prompt layouts against the real tokenizer', () => {
  const tokenizer = realTokenizer();

  it('CoP: "X X X X " + symptom + "." with the placeholders at 1..M', () => {
    const set = parseSymptomSet({ pneumonia: ['Presence of consolidation', 'white patches'], normal: ['clear'] });
    const batch = symptomPrompts(tokenizer, set, 4);
    const first = batch.layouts[0];
    expect(first?.text).toBe('X X X X Presence of consolidation.');
    expect(first?.ids).toEqual([SOT, X, X, X, X, 8848, 539, 41111, 269, EOT]);
    expect(first?.eotIndex).toBe(9);
    expect(first?.nCtx).toBe(4);
    expect(batch.layouts.map((l) => l.classIndex)).toEqual([0, 0, 1]);
    expect(batch.classRows).toEqual([
      { start: 0, count: 2 },
      { start: 2, count: 1 },
    ]);
  });

  it('other M, and no CoP (M = 0): symptom + "."', () => {
    const set = parseSymptomSet({ a: ['Presence of consolidation'], b: ['y'] });
    expect(symptomPrompts(tokenizer, set, 2).layouts[0]?.ids).toEqual([SOT, X, X, 8848, 539, 41111, 269, EOT]);
    const noCop = symptomPrompts(tokenizer, set, 0).layouts[0];
    expect(noCop?.text).toBe('Presence of consolidation.');
    expect(noCop?.ids).toEqual([SOT, 8848, 539, 41111, 269, EOT]);
    expect(noCop?.nCtx).toBe(0);
    expect(symptomPromptText('a', 1)).toBe('X a.');
  });

  it('zero-shot CLIP template and CoOp class-name prompts', () => {
    const zs = templatePrompts(tokenizer, ['melanoma', 'nevus']);
    expect(zs.layouts[0]?.text).toBe('a photo of a melanoma.');
    expect(zs.layouts[0]?.ids).toEqual([SOT, 320, 1125, 539, 320, 40862, 269, EOT]);
    expect(zs.layouts[0]?.nCtx).toBe(0);
    expect(templatePrompts(tokenizer, ['melanoma', 'nevus'], 'dermoscopy of {}').layouts[1]?.text).toBe(
      'dermoscopy of nevus',
    );
    const coop = coopPrompts(tokenizer, ['melanoma', 'nevus'], 4);
    expect(coop.layouts[0]?.ids).toEqual([SOT, X, X, X, X, 40862, 269, EOT]);
    expect(coop.classRows).toEqual([
      { start: 0, count: 1 },
      { start: 1, count: 1 },
    ]);
  });

  it('rejects a template without {} and a bad M', () => {
    expect(() => templatePrompts(tokenizer, ['a', 'b'], 'a photo')).toThrow(VipError);
    expect(() => templatePrompts(tokenizer, ['a', 'b'], 'a photo')).toThrow(/has no \{\}/);
    expect(() => coopPrompts(tokenizer, ['a', 'b'], -1)).toThrow(/whole number from 0 to 32/);
  });
});
