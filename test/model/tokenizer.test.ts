import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { bytesToUnicode, CLIP_MERGE_COUNT, clipTokenizerFiles } from '../../src/main/engine/model/bpe-files';
import { cleanText, ClipTokenizer, unescapeHtml } from '../../src/main/engine/model/tokenizer';

const SOT = 49406;
const EOT = 49407;

let tok: ClipTokenizer;
beforeAll(() => {
  const files = clipTokenizerFiles();
  tok = ClipTokenizer.fromStrings(files.vocabJson, files.mergesTxt);
});

/** Id of a single character followed by `</w>`: 256 + its place in the byte table (independent of the merges). */
function wordEndId(char: string): number {
  const order = [...bytesToUnicode().values()];
  return 256 + order.indexOf(char);
}

describe('tokenizer files', () => {
  it('vocab.json has 49,408 distinct entries with ids 0..49407 and the special tokens last', () => {
    const vocab = JSON.parse(clipTokenizerFiles().vocabJson) as Record<string, number>;
    const ids = Object.values(vocab).sort((a, b) => a - b);
    expect(ids.length).toBe(49408);
    expect(ids[0]).toBe(0);
    expect(ids[ids.length - 1]).toBe(49407);
    expect(new Set(ids).size).toBe(49408);
    expect(vocab['<|startoftext|>']).toBe(SOT);
    expect(vocab['<|endoftext|>']).toBe(EOT);
    expect(vocab['!']).toBe(0);
    expect(vocab['a</w>']).toBe(320);
  });

  it('merges.txt has the HF header and 48,894 merges', () => {
    const lines = clipTokenizerFiles().mergesTxt.trimEnd().split('\n');
    expect(lines[0]).toBe('#version: 0.2');
    expect(lines.length - 1).toBe(CLIP_MERGE_COUNT);
    expect(CLIP_MERGE_COUNT).toBe(48894);
    expect(lines.slice(1).every((l) => l.split(' ').length === 2)).toBe(true);
  });
});

describe('reference tokenizations (VIP_METHOD.md section 1)', () => {
  const cases: [string, number[]][] = [
    ['a photo of a melanoma.', [49406, 320, 1125, 539, 320, 40862, 269, 49407]],
    ['X X X X Presence of consolidation.', [49406, 343, 343, 343, 343, 8848, 539, 41111, 269, 49407]],
    ['The spot has blurry, or jagged edges.', [49406, 518, 3049, 791, 21977, 267, 541, 7984, 3480, 20938, 269, 49407]],
    ['Ground-glass opacities, 2 lobes!', [49406, 2461, 268, 3313, 676, 546, 1480, 267, 273, 24148, 256, 49407]],
  ];
  it.each(cases)('%s', (text, ids) => {
    expect(tok.encodeWithSpecial(text)).toEqual(ids);
    expect(tok.encode(text)).toEqual(ids.slice(1, -1));
  });

  it('gives the same ids from files on disk and from tokenizer.json (both merge notations)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vip-tok-'));
    try {
      const files = clipTokenizerFiles();
      writeFileSync(join(dir, 'vocab.json'), files.vocabJson);
      writeFileSync(join(dir, 'merges.txt'), files.mergesTxt);
      const fromFiles = ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'));
      const merges = files.mergesTxt.trimEnd().split('\n').slice(1);
      const vocab = JSON.parse(files.vocabJson) as unknown;
      const asStrings = ClipTokenizer.fromTokenizerJson(JSON.stringify({ model: { type: 'BPE', vocab, merges } }));
      const asPairs = ClipTokenizer.fromTokenizerJson(
        JSON.stringify({ model: { type: 'BPE', vocab, merges: merges.map((m) => m.split(' ')) } }),
      );
      for (const [text, ids] of cases) {
        expect(fromFiles.encodeWithSpecial(text)).toEqual(ids);
        expect(asStrings.encodeWithSpecial(text)).toEqual(ids);
        expect(asPairs.encodeWithSpecial(text)).toEqual(ids);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('text cleaning and splitting', () => {
  it('lowercases', () => {
    expect(tok.encode('A PHOTO OF A MELANOMA.')).toEqual(tok.encode('a photo of a melanoma.'));
  });

  it('collapses and strips whitespace of every kind', () => {
    expect(tok.encode('  a\tphoto\n\n of\u00a0a   melanoma. \r\n')).toEqual(tok.encode('a photo of a melanoma.'));
    expect(cleanText(' a \t\n b ')).toBe('a b');
    expect(tok.encode(' \n\t ')).toEqual([]);
  });

  it('unescapes HTML entities, double-escaped ones too', () => {
    expect(tok.encode('salt &amp; pepper')).toEqual(tok.encode('salt & pepper'));
    expect(tok.encode('salt &amp;amp; pepper')).toEqual(tok.encode('salt & pepper'));
    expect(tok.encode('&lt;5 mm&gt;')).toEqual(tok.encode('<5 mm>'));
    expect(tok.encode('caf&eacute; &#233; &#xE9;')).toEqual(tok.encode('café é é'));
    expect(unescapeHtml('&quot;x&quot; &#39;y&#39; &amp &notanentity;')).toBe('"x" \'y\' & &notanentity;');
    expect(unescapeHtml('&#150;')).toBe('\u2013');
  });

  it('fixes unicode: NFC, curly quotes, ligatures, full-width forms, control characters', () => {
    expect(tok.encode('cafe\u0301')).toEqual(tok.encode('caf\u00e9'));
    expect(tok.encode('it\u2019s \u201cred\u201d')).toEqual(tok.encode('it\'s "red"'));
    expect(tok.encode('\ufb01ne')).toEqual(tok.encode('fine'));
    expect(tok.encode('\uff32\uff45\uff44')).toEqual(tok.encode('red'));
    expect(tok.encode('re\u0000d\ufeff')).toEqual(tok.encode('red'));
    // Non-Latin letters survive as byte-level symbols, never dropped.
    expect(tok.encode('肺炎').length).toBeGreaterThan(0);
  });

  it('splits contractions the way CLIP does', () => {
    const its = tok.encode("it's");
    expect(its.length).toBe(2);
    expect(its[1]).toBe(tok.encode("'s")[0]);
  });

  it('makes every digit its own token', () => {
    expect(tok.encode('2024')).toEqual(['2', '0', '2', '4'].map(wordEndId));
    expect(tok.encode('3.5')).toEqual([wordEndId('3'), wordEndId('.'), wordEndId('5')]);
  });

  it('keeps runs of punctuation together and apart from words', () => {
    const ids = tok.encode('edges!!! (blurry)');
    expect(ids[0]).toBe(tok.encode('edges')[0]);
    expect(ids).toContain(tok.encode('blurry')[0]);
    expect(tok.encode('!!!')).not.toEqual([wordEndId('!'), wordEndId('!'), wordEndId('!')]);
    expect(tok.encode('!')).toEqual([wordEndId('!')]);
  });

  it('maps literal special tokens to their ids, as the original does', () => {
    expect(tok.encode('<|startoftext|>')).toEqual([SOT]);
    expect(tok.encode('red <|endoftext|>')).toEqual([...tok.encode('red'), EOT]);
  });
});

describe('context length', () => {
  it('accepts a text that exactly fills the context and pads with 0', () => {
    const text = 'a '.repeat(75);
    const ids = tok.encodeWithSpecial(text, 77);
    expect(ids.length).toBe(77);
    const padded = tok.pad(tok.encodeWithSpecial('a photo'), 77);
    expect(padded.length).toBe(77);
    expect(padded.slice(0, 4)).toEqual([SOT, 320, 1125, EOT]);
    expect(padded.slice(4).every((id) => id === 0)).toBe(true);
  });

  it('rejects a text over 77 tokens with a bad-input error naming it and its count', () => {
    const text = 'the lesion shows ' + 'a '.repeat(80);
    let err: unknown;
    try {
      tok.encodeWithSpecial(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VipError);
    expect((err as VipError).code).toBe('bad_input');
    const message = (err as VipError).message;
    expect(message).toContain(text.slice(0, 60));
    expect(message).not.toContain(text.slice(0, 70));
    expect(message).toContain(String(tok.encode(text).length + 2));
    expect(message).not.toContain('\n');
  });

  it('rejects padding shorter than the ids', () => {
    expect(() => tok.pad([1, 2, 3], 2)).toThrow(VipError);
  });
});

describe('bad tokenizer files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vip-tok-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file that is missing, not JSON, or not a CLIP vocabulary', () => {
    expect(() => ClipTokenizer.fromFiles(join(dir, 'nope.json'), join(dir, 'merges.txt'))).toThrow(/nope\.json/);
    writeFileSync(join(dir, 'vocab.json'), '{"a": 0,');
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\na b\n');
    expect(() => ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'))).toThrow(
      /vocab\.json is not valid JSON/,
    );
    writeFileSync(join(dir, 'vocab.json'), '{"a": 0}');
    expect(() => ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'))).toThrow(/startoftext/);
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\nabc\n');
    writeFileSync(join(dir, 'vocab.json'), '{"<|startoftext|>": 1, "<|endoftext|>": 2}');
    expect(() => ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'))).toThrow(
      /merges\.txt: merge 1/,
    );
    for (const bad of ['a b c', ' ab', 'ab ', 'a  b']) {
      writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\na b\r\n\n${bad}\n`);
      expect(() => ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt')), bad).toThrow(
        /merges\.txt: merge 2 /,
      );
    }
    writeFileSync(join(dir, 'vocab.json'), '{"<|startoftext|>": 1, "<|endoftext|>": 2, "x": 1.5}');
    expect(() => ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'))).toThrow(
      /the id of "x" is not a whole number/,
    );
  });

  it('reads merges.txt with CRLF line ends, blank lines and no header as the plain file', () => {
    const files = clipTokenizerFiles();
    const body = files.mergesTxt.trimEnd().split('\n').slice(1);
    const variant = ClipTokenizer.fromStrings(files.vocabJson, ['', ...body, ''].join('\r\n') + '\r\n\r\n');
    const text = 'Blunted costophrenic angles with a meniscus sign';
    expect(variant.encode(text)).toEqual(tok.encode(text));
  });
});
