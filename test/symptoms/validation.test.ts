/**
 * Validation of candidate symptoms: class names (any class's), plain visual English, the text context with the M
 * prompt tokens, near duplicates within and across classes (by words and by CLIP cosine), the top k per class, and a
 * reason for every candidate dropped. The built-in sets pass untouched.
 */
import { describe, expect, it } from 'vitest';
import { PhraseMatcher, stringSimilarity, type TextEmbedder } from '../../src/main/engine/symptoms/phrase-matching';
import { clipTokenizer } from '../../src/main/engine/symptoms/symptom-service';
import {
  languageProblem,
  namedClass,
  selectSymptoms,
  symptomTextProblem,
} from '../../src/main/engine/symptoms/validation';
import { builtinSymptomSets } from '../../src/main/engine/vip/builtin-symptoms';

const tokenizer = clipTokenizer();
const classes = ['normal lung', 'pneumonia'];
const textCtx = { classes, tokenizer };
const words = new PhraseMatcher(null);

describe('single-text checks', () => {
  it('finds any class name, its plurals and words built on a long one-word name', () => {
    expect(namedClass('patchy pneumonia in the right lobe', classes)).toBe('pneumonia');
    expect(namedClass('signs typical of Pneumonias', classes)).toBe('pneumonia');
    expect(namedClass('a pneumonic white patch', classes)).toBe('pneumonia');
    expect(namedClass('looks like a normal lung', classes)).toBe('normal lung');
    expect(namedClass('clear lung fields on both sides', classes)).toBeNull();
    expect(namedClass('several nevi nearby', ['melanoma', 'nevus'])).toBe('nevus');
    expect(namedClass('melanocytic network', ['melanoma', 'nevus'])).toBe('melanoma');
  });

  it('tells English from other languages and scripts', () => {
    expect(languageProblem('white cloudy patches in the lung')).toBeNull();
    expect(languageProblem('blue-white veil')).toBeNull();
    expect(languageProblem('weiße wolkige Flecken in der Lunge')).toMatch(/not in English/);
    expect(languageProblem('taches blanches dans le poumon')).toMatch(/not in English/);
    expect(languageProblem('белые пятна в легких')).toMatch(/not in English/);
    expect(languageProblem('肺部有白色阴影')).toMatch(/not in English/);
  });

  it('gives the reason a text cannot be a symptom', () => {
    const problem = (t: string): string | null => symptomTextProblem(t, textCtx);
    expect(problem('white, cloudy patches inside the lung')).toBeNull();
    expect(problem('consolidation typical of pneumonia')).toBe('names the class "pneumonia"');
    expect(problem('the patient has a fever')).toMatch(/^not something an image shows \("patient"\)/);
    expect(problem('persistent cough')).toBe('not something an image shows ("cough")');
    expect(problem('I cannot see the images clearly')).toMatch(/remark by the LLM/);
    expect(problem('manchas blancas en el pulmón')).toMatch(/not in English/);
    expect(problem('reticulonodular shadows')).toMatch(
      /CLIP hardly knows \("reticulonodular" splits into \d+ pieces\)/,
    );
    expect(problem(Array.from({ length: 22 }, (_, i) => `w${i}`).join(' '))).toMatch(/22 words/);
    expect(problem('...')).toBe('no words');
  });

  it('measures the prompt with the M placeholders against the context length', () => {
    const long = 'dark gray and light gray stripes '.repeat(3).trim();
    expect(symptomTextProblem(long, { ...textCtx, nCtx: 4, contextLength: 77 })).toBeNull();
    const tokens = tokenizer.encode(`X X X X ${long}.`).length + 2;
    expect(symptomTextProblem(long, { ...textCtx, nCtx: 4, contextLength: tokens - 1 })).toBe(
      `too long for the text tower: ${tokens} tokens with 4 context placeholders, start and end; at most ${tokens - 1}`,
    );
  });
});

describe('near duplicates', () => {
  it('string similarity sees case, punctuation, plurals, British spelling and word order', () => {
    expect(stringSimilarity('White patches.', 'white  patches')).toBe(1);
    expect(stringSimilarity('grey colour patches', 'gray color patch')).toBe(1);
    expect(stringSimilarity('dark brown and black areas', 'black and dark brown regions')).toBeGreaterThanOrEqual(0.8);
    expect(stringSimilarity('a round shape', 'streaky shadows')).toBeLessThan(0.3);
  });

  it('uses the CLIP cosine when an embedder is given, with its own threshold', async () => {
    // Phrases mapped to fixed unit vectors: "hazy" and "blurry" point almost the same way.
    const table: Record<string, number[]> = {
      'hazy outline of the heart': [1, 0, 0],
      'blurry heart border': [0.97, 0.243, 0],
      'bright round disc': [0, 0, 1],
    };
    const embedder: TextEmbedder = {
      label: 'test vectors',
      embed: async (texts) => texts.map((t) => Float32Array.from(table[t] ?? [0, 1, 0])),
    };
    const matcher = new PhraseMatcher(embedder, { clipDuplicate: 0.95 });
    await matcher.prepare(Object.keys(table));
    expect(matcher.duplicateReason('hazy outline of the heart', 'blurry heart border')).toMatch(
      /^CLIP text cosine 0\.970/,
    );
    expect(matcher.duplicateReason('hazy outline of the heart', 'bright round disc')).toBeNull();
    const strict = new PhraseMatcher(embedder, { clipDuplicate: 0.99 });
    await strict.prepare(Object.keys(table));
    expect(strict.duplicateReason('hazy outline of the heart', 'blurry heart border')).toBeNull();
  });
});

describe('selectSymptoms', () => {
  it('keeps the top k per class and says why each other candidate went', async () => {
    const result = await selectSymptoms(
      [
        {
          name: 'normal lung',
          ranked: [
            'dark, clear lung fields',
            'Dark clear lung fields',
            'sharp outline of the heart',
            'a normal lung',
            'thin branching lines',
            'even texture on both sides',
            'no bright patches',
          ],
        },
        {
          name: 'pneumonia',
          ranked: ['white cloudy patches', 'sharp outlines of the heart', 'streaky shadows', 'persistent cough'],
        },
      ],
      { classes, k: 3, tokenizer, matcher: words },
    );
    const [normal, pneumonia] = result.classes;
    expect(normal?.kept).toEqual(['dark, clear lung fields', 'thin branching lines', 'even texture on both sides']);
    expect(normal?.dropped).toEqual([
      { text: 'Dark clear lung fields', reason: 'near duplicate of "dark, clear lung fields" (the same words)' },
      { text: 'a normal lung', reason: 'names the class "normal lung"' },
      {
        text: 'sharp outline of the heart',
        reason:
          'also listed for class "pneumonia" as "sharp outlines of the heart" (string similarity 1.00): it cannot tell the classes apart',
      },
      { text: 'no bright patches', reason: 'ranked 4, beyond the top 3' },
    ]);
    expect(pneumonia?.kept).toEqual(['white cloudy patches', 'streaky shadows']);
    expect(pneumonia?.dropped.map((d) => d.text)).toEqual(['persistent cough', 'sharp outlines of the heart']);
    expect(result.warnings).toEqual(['class "pneumonia": only 2 valid symptoms of the 3 asked for']);
  });

  it('the built-in sets pass every rule with nothing dropped', async () => {
    for (const builtin of builtinSymptomSets) {
      const names = Object.keys(builtin.symptoms);
      const result = await selectSymptoms(
        Object.entries(builtin.symptoms).map(([name, ranked]) => ({ name, ranked })),
        { classes: names, k: 4, tokenizer, matcher: words },
      );
      expect(result.warnings, builtin.id).toEqual([]);
      expect(
        result.classes.flatMap((c) => c.dropped),
        builtin.id,
      ).toEqual([]);
      expect(result.classes.map((c) => c.kept)).toEqual(Object.values(builtin.symptoms));
    }
  });
});
