/** LLM answers in the shapes models really give, read into lists of features. */
import { describe, expect, it } from 'vitest';
import { cleanItem, parseFeatureList } from '../../src/main/engine/symptoms/list-parsing';

describe('parseFeatureList', () => {
  it('reads a numbered list, leaving out the introduction and the closing remark', () => {
    const answer = [
      'Here are some visual features that help:',
      '',
      '1. White, cloudy patches in the lung.',
      '2) A hazy area hiding the heart outline',
      '3. **Dense bright region** - filling one section of the lung',
      '',
      'I hope this helps with your classifier!',
    ].join('\n');
    expect(parseFeatureList(answer)).toEqual({
      format: 'numbered',
      items: [
        'White, cloudy patches in the lung',
        'A hazy area hiding the heart outline',
        'filling one section of the lung',
      ],
    });
  });

  it('reads bulleted lists with headings and "Label: text" items', () => {
    const answer = [
      '## Colour',
      '- **Colour:** several shades of brown and black',
      '* Shape: lopsided and irregular',
      '• a blurry, notched border',
      '## Texture:',
      '- scattered dots near the edge;',
    ].join('\n');
    expect(parseFeatureList(answer)).toEqual({
      format: 'bulleted',
      items: [
        'several shades of brown and black',
        'lopsided and irregular',
        'a blurry, notched border',
        'scattered dots near the edge',
      ],
    });
  });

  it('reads JSON: a list, an object of lists, a list of objects, inside a code fence or prose', () => {
    expect(parseFeatureList('["dark lung fields", "sharp outlines"]').items).toEqual([
      'dark lung fields',
      'sharp outlines',
    ]);
    expect(parseFeatureList('```json\n{"color": ["one even brown"], "shape": ["round", "symmetric"]}\n```')).toEqual({
      format: 'json',
      items: ['one even brown', 'round', 'symmetric'],
    });
    expect(
      parseFeatureList(
        'Sure! {"features": [{"feature": "a fine net of thin lines", "confidence": 0.8}, {"description": "smooth border"}]}',
      ).items,
    ).toEqual(['a fine net of thin lines', 'smooth border']);
  });

  it('reads prose with one feature per line', () => {
    expect(parseFeatureList('White patches in the lung\nBlurred heart outline\nStreaky shadows\n')).toEqual({
      format: 'lines',
      items: ['White patches in the lung', 'Blurred heart outline', 'Streaky shadows'],
    });
  });

  it('splits a single paragraph into sentences as a last resort', () => {
    expect(
      parseFeatureList('The lesion shows several colours. Its border is blurry; there are dots near the edge.'),
    ).toEqual({
      format: 'sentences',
      items: ['The lesion shows several colours', 'Its border is blurry', 'there are dots near the edge'],
    });
  });

  it('finds no list in an empty answer, a refusal, or one long sentence', () => {
    expect(parseFeatureList('')).toEqual({ items: [], format: 'none' });
    expect(parseFeatureList('   \n  ')).toEqual({ items: [], format: 'none' });
    expect(
      parseFeatureList(
        'I am sorry but as a language model I am not able to look at medical pictures or say anything about what they may show to you',
      ).format,
    ).toBe('none');
  });

  it('drops repeated items', () => {
    expect(parseFeatureList('1. dark fields\n2. dark fields.\n3. clear edges').items).toEqual([
      'dark fields',
      'clear edges',
    ]);
  });
});

describe('cleanItem', () => {
  it('strips markdown, quotes and trailing punctuation; headings are not items', () => {
    expect(cleanItem('**"a smooth border."**')).toBe('a smooth border');
    expect(cleanItem('`round shape`;')).toBe('round shape');
    expect(cleanItem('Shape:')).toBeNull();
    expect(cleanItem('### Texture')).toBeNull();
    expect(cleanItem('Here are the features:')).toBeNull();
  });
});
