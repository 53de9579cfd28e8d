import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { builtinSymptomSet, builtinSymptomSets } from '../../src/main/engine/vip/builtin-symptoms';
import {
  checkSymptomsFit,
  parseSymptomSet,
  parseSymptomSetText,
  readSymptomSetFile,
  symptomSetToJson,
  topLevelKeys,
} from '../../src/main/engine/vip/symptom-set';
import { realTokenizer } from './helpers/tiny-tower';

function badInputMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VipError);
    expect((err as VipError).code).toBe('bad_input');
    return (err as VipError).message;
  }
  throw new Error('expected a bad_input error');
}

describe('symptom set parsing', () => {
  it('keeps class order and trims/collapses whitespace', () => {
    const set = parseSymptomSet({ pneumonia: ['  white   patches '], 'normal lung': ['clear fields'] });
    expect(set.classes.map((c) => c.name)).toEqual(['pneumonia', 'normal lung']);
    expect(set.classes[0]?.symptoms).toEqual(['white patches']);
    expect(symptomSetToJson(set)).toEqual({ pneumonia: ['white patches'], 'normal lung': ['clear fields'] });
  });

  it('takes class order from the text, even for integer-like names', () => {
    const set = parseSymptomSetText('{"b": ["x y"], "1": ["one"], "0": ["zero"]}');
    expect(set.classes.map((c) => c.name)).toEqual(['b', '1', '0']);
    expect(set.classes[2]?.symptoms).toEqual(['zero']);
  });

  it('scans top-level keys past nested values and escapes', () => {
    expect(topLevelKeys(' { "a\\"q" : ["x", "]}"] , "b":[] }')).toEqual(['a"q', 'b']);
    expect(topLevelKeys('{}')).toEqual([]);
  });

  it('rejects a class written twice in the text', () => {
    expect(badInputMessage(() => parseSymptomSetText('{"a": ["x"], "b": ["y"], "a": ["z"]}'))).toMatch(
      /class "a" appears twice/,
    );
  });

  it('rejects invalid JSON and wrong shapes', () => {
    expect(badInputMessage(() => parseSymptomSetText('{"a": [', { label: 's.json' }))).toMatch(
      /s\.json is not valid JSON/,
    );
    expect(badInputMessage(() => parseSymptomSet(['a']))).toMatch(/expected an object/);
    expect(badInputMessage(() => parseSymptomSet({ a: 'x', b: ['y'] }))).toMatch(/class "a" must be a list/);
    expect(badInputMessage(() => parseSymptomSet({ a: ['x', 3], b: ['y'] }))).toMatch(
      /class "a", symptom 2 is not a string/,
    );
  });

  it('needs at least two classes', () => {
    expect(badInputMessage(() => parseSymptomSet({ only: ['x'] }))).toMatch(/only one class \("only"\).*at least two/);
    expect(badInputMessage(() => parseSymptomSet({}))).toMatch(/no classes/);
  });

  it('rejects empty classes, empty symptoms and empty class names', () => {
    expect(badInputMessage(() => parseSymptomSet({ a: [], b: ['y'] }))).toMatch(/class "a" has no symptoms/);
    expect(badInputMessage(() => parseSymptomSet({ a: ['x', '   '], b: ['y'] }))).toMatch(
      /class "a", symptom 2 is empty/,
    );
    expect(badInputMessage(() => parseSymptomSet({ ' ': ['x'], b: ['y'] }))).toMatch(/class 1 has an empty name/);
  });

  it('rejects duplicate symptoms within and across classes, ignoring case and spacing', () => {
    expect(badInputMessage(() => parseSymptomSet({ a: ['White patches', 'white  patches'], b: ['y'] }))).toMatch(
      /class "a" lists the symptom "white patches" twice/,
    );
    expect(badInputMessage(() => parseSymptomSet({ a: ['Round shape'], b: ['round   SHAPE'] }))).toMatch(
      /appears in class "a" and in class "b"/,
    );
    expect(badInputMessage(() => parseSymptomSet({ Nevus: ['x'], 'nevus ': ['y'] }))).toMatch(/differ only in case/);
  });

  it('rejects a symptom too long for the context with the placeholders, naming class and symptom', () => {
    const tokenizer = realTokenizer();
    const long = Array.from({ length: 70 }, () => 'spot').join(' ');
    // 70 words + 4 placeholders + "." + start + end = 77 tokens: fits exactly; one more word does not.
    expect(tokenizer.encode(long + '.').length).toBe(71);
    const fits = parseSymptomSet({ a: [long], b: ['y'] }, { fit: { tokenizer } });
    expect(fits.classes[0]?.symptoms[0]).toBe(long);
    const msg = badInputMessage(() => parseSymptomSet({ a: ['x'], b: [long + ' spot'] }, { fit: { tokenizer } }));
    expect(msg).toMatch(/class "b", symptom "spot spot.*" is too long: 78 tokens with 4 context placeholders/);
    expect(msg).toMatch(/at most 77/);
    // Without CoP the same symptom fits; a shorter context length makes short ones fail.
    expect(() => parseSymptomSet({ a: ['x'], b: [long + ' spot'] }, { fit: { tokenizer, nCtx: 0 } })).not.toThrow();
    expect(
      badInputMessage(() => parseSymptomSet({ a: ['x y z'], b: ['y'] }, { fit: { tokenizer, contextLength: 8 } })),
    ).toMatch(/class "a", symptom "x y z" is too long: 10 tokens/);
  });

  it('reads a file and reports an unreadable one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vip-symptoms-'));
    try {
      const path = join(dir, 'set.json');
      writeFileSync(path, JSON.stringify({ a: ['x'], b: ['y'] }));
      expect(readSymptomSetFile(path).classes.length).toBe(2);
      expect(badInputMessage(() => readSymptomSetFile(join(dir, 'missing.json')))).toMatch(/cannot read symptom set/);
      writeFileSync(path, JSON.stringify({ a: ['x'] }));
      expect(badInputMessage(() => readSymptomSetFile(path))).toContain(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('built-in symptom sets', () => {
  it('are valid, four symptoms per class, fit the context and avoid the class names', () => {
    const tokenizer = realTokenizer();
    expect(builtinSymptomSets.map((s) => s.id)).toEqual(['chest-xray', 'dermoscopy']);
    for (const { id } of builtinSymptomSets) {
      const set = builtinSymptomSet(id);
      if (!set) throw new Error(id);
      checkSymptomsFit(set, { tokenizer });
      for (const cls of set.classes) {
        expect(cls.symptoms).toHaveLength(4);
        for (const s of cls.symptoms) for (const c of set.classes) expect(s.toLowerCase()).not.toContain(c.name);
      }
    }
    expect(builtinSymptomSet('chest-xray')?.classes.map((c) => c.name)).toEqual(['normal lung', 'pneumonia']);
    expect(builtinSymptomSet('dermoscopy')?.classes.map((c) => c.name)).toEqual(['melanoma', 'nevus']);
    expect(builtinSymptomSet('nope')).toBeUndefined();
  });
});
