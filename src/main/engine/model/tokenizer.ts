/**
 * CLIP's BPE tokenizer, as in OpenAI's simple_tokenizer.py: clean the text (ftfy-like unicode fixes, HTML
 * unescaped twice, whitespace collapsed), lowercase, split with CLIP's regex, map bytes to visible characters,
 * then apply the merges in rank order with `</w>` marking the end of a word.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { badInput } from '@shared/errors';
import { bytesToUnicode, EOT_TOKEN, SOT_TOKEN } from './bpe-files';

export const CLIP_CONTEXT_LENGTH = 77;
export const PAD_ID = 0;

/** CLIP's pre-tokenizer. Python compiles it with IGNORECASE; the text is lowercased first, so `u` suffices. */
const SPLIT_RE = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;

const CACHE_LIMIT = 50_000;

export class ClipTokenizer {
  readonly sotId: number;
  readonly eotId: number;
  /** The largest id in the vocabulary (must be below the text tower's vocab_size). */
  readonly maxId: number;
  private readonly byteEncoder = bytesToUnicode();
  private readonly textEncoder = new TextEncoder();
  private readonly cache = new Map<string, string[]>();

  private constructor(
    private readonly encoder: ReadonlyMap<string, number>,
    private readonly ranks: ReadonlyMap<string, number>,
    source: string,
  ) {
    const sot = encoder.get(SOT_TOKEN);
    const eot = encoder.get(EOT_TOKEN);
    if (sot === undefined || eot === undefined) {
      throw badInput(`${source}: the vocabulary has no ${SOT_TOKEN} / ${EOT_TOKEN} entries; not a CLIP tokenizer`);
    }
    this.sotId = sot;
    this.eotId = eot;
    let max = 0;
    for (const id of encoder.values()) if (id > max) max = id;
    this.maxId = max;
    // The original seeds its cache with the special tokens so a literal "<|endoftext|>" in a text maps to its id.
    this.cache.set(SOT_TOKEN, [SOT_TOKEN]);
    this.cache.set(EOT_TOKEN, [EOT_TOKEN]);
  }

  static fromFiles(vocabJsonPath: string, mergesPath: string): ClipTokenizer {
    return ClipTokenizer.fromStrings(readText(vocabJsonPath), readText(mergesPath), {
      vocab: basename(vocabJsonPath),
      merges: basename(mergesPath),
    });
  }

  /** `vocab.json` (token → id) and `merges.txt` (an optional `#version` header, then "a b" per line). */
  static fromStrings(
    vocabJson: string,
    mergesTxt: string,
    names = { vocab: 'vocab.json', merges: 'merges.txt' },
  ): ClipTokenizer {
    const encoder = parseVocab(parseJson(vocabJson, names.vocab), names.vocab);
    return new ClipTokenizer(encoder, rankMergeLines(mergesTxt, names.merges), names.vocab);
  }

  /** A Hugging Face fast-tokenizer `tokenizer.json` with a BPE model (merges as "a b" strings or [a, b] pairs). */
  static fromTokenizerJson(json: string, name = 'tokenizer.json'): ClipTokenizer {
    const root = parseJson(json, name);
    const model = isRecord(root) ? root['model'] : undefined;
    if (!isRecord(model) || model['type'] !== 'BPE') throw badInput(`${name}: expected a BPE model under "model"`);
    const rawMerges = model['merges'];
    if (!Array.isArray(rawMerges)) throw badInput(`${name}: "model.merges" is not a list`);
    const merges = rawMerges.map((m: unknown, i) => {
      if (typeof m === 'string') return m;
      if (Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string')) return m.join(' ');
      throw badInput(`${name}: model.merges[${i}] is neither "a b" nor ["a", "b"]`);
    });
    return new ClipTokenizer(parseVocab(model['vocab'], `${name} model.vocab`), rankMerges(merges, name), name);
  }

  /** Token ids of the text, without start and end tokens. */
  encode(text: string): number[] {
    const ids: number[] = [];
    const clean = cleanText(text).toLowerCase();
    for (const match of clean.matchAll(SPLIT_RE)) {
      const word = match[0];
      let mapped = '';
      for (const byte of this.textEncoder.encode(word)) mapped += this.byteEncoder.get(byte) ?? '';
      for (const piece of this.bpe(mapped)) {
        const id = this.encoder.get(piece);
        if (id === undefined) throw badInput(`The tokenizer's vocabulary has no entry for "${piece}" (from "${word}")`);
        ids.push(id);
      }
    }
    return ids;
  }

  /** Start token, the text's tokens, end token; a text that does not fit is an error, never cut short. */
  encodeWithSpecial(text: string, contextLength = CLIP_CONTEXT_LENGTH): number[] {
    const ids = [this.sotId, ...this.encode(text), this.eotId];
    if (ids.length > contextLength) {
      const shown = text.length > 60 ? text.slice(0, 60) + '...' : text;
      throw badInput(
        `Text too long: "${shown}" has ${ids.length} tokens with start and end; the text tower takes at most ${contextLength}`,
      );
    }
    return ids;
  }

  /** Right-pads with the padding id (0) to `length`. */
  pad(ids: readonly number[], length = CLIP_CONTEXT_LENGTH): number[] {
    if (ids.length > length) throw badInput(`${ids.length} tokens do not fit a context of ${length}`);
    return [...ids, ...new Array<number>(length - ids.length).fill(PAD_ID)];
  }

  /** Applies the merges to one pre-token (already byte-mapped); returns its symbols. */
  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = Array.from(token);
    const last = chars.pop();
    if (last === undefined) return [];
    let word = [...chars, last + '</w>'];
    while (word.length > 1) {
      let best: [string, string] | undefined;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const a = word[i] as string;
        const b = word[i + 1] as string;
        const rank = this.ranks.get(a + ' ' + b);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = [a, b];
        }
      }
      if (!best) break;
      const [first, second] = best;
      const merged: string[] = [];
      for (let i = 0; i < word.length;) {
        if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i] as string);
          i += 1;
        }
      }
      word = merged;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, word);
    return word;
  }
}

// ---------------------------------------------------------------- text cleaning

/**
 * What CLIP's basic_clean + whitespace_clean do: ftfy.fix_text (the fixes that matter for ordinary text:
 * terminal escapes and control characters removed, curly quotes straightened, Latin ligatures and full-width
 * forms expanded, NFC), HTML unescaped twice (so "&amp;amp;" becomes "&"), whitespace collapsed, stripped.
 * ftfy's mojibake repair is not reproduced: text that arrives here was decoded as UTF-8 already.
 */
export function cleanText(text: string): string {
  let t = fixUnicode(text);
  t = unescapeHtml(unescapeHtml(t)).trim();
  return t.replace(/\s+/gu, ' ').trim();
}

function fixUnicode(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
      .replace(/\r\n?|[\u2028\u2029\x85]/g, '\n')
      // ftfy removes these controls (keeping tab, newline, form feed, carriage return) and the BOM.
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff\ufff9-\ufffc]/g, '')
      .replace(/[\u02bc\u2018-\u201b]/g, "'")
      .replace(/[\u201c-\u201f]/g, '"')
      .replace(/[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06\u3000\uff01-\uffef]/g, (c) =>
        c.normalize('NFKC'),
      )
      .normalize('NFC')
  );
}

// prettier-ignore
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009',
  ndash: '\u2013', mdash: '\u2014', hellip: '\u2026', lsquo: '\u2018', rsquo: '\u2019', sbquo: '\u201a',
  ldquo: '\u201c', rdquo: '\u201d', bdquo: '\u201e', laquo: '\u00ab', raquo: '\u00bb', bull: '\u2022',
  middot: '\u00b7', deg: '\u00b0', plusmn: '\u00b1', times: '\u00d7', divide: '\u00f7', micro: '\u00b5',
  copy: '\u00a9', reg: '\u00ae', trade: '\u2122', euro: '\u20ac', pound: '\u00a3', yen: '\u00a5', cent: '\u00a2',
  sect: '\u00a7', para: '\u00b6', frac12: '\u00bd', frac14: '\u00bc', frac34: '\u00be', sup1: '\u00b9',
  sup2: '\u00b2', sup3: '\u00b3', le: '\u2264', ge: '\u2265', ne: '\u2260', asymp: '\u2248', infin: '\u221e',
  minus: '\u2212', larr: '\u2190', rarr: '\u2192', uarr: '\u2191', darr: '\u2193', prime: '\u2032', Prime: '\u2033',
  alpha: '\u03b1', beta: '\u03b2', gamma: '\u03b3', delta: '\u03b4', epsilon: '\u03b5', lambda: '\u03bb',
  mu: '\u03bc', pi: '\u03c0', sigma: '\u03c3', omega: '\u03c9', Delta: '\u0394', eacute: '\u00e9', egrave: '\u00e8',
  aacute: '\u00e1', agrave: '\u00e0', iacute: '\u00ed', oacute: '\u00f3', uacute: '\u00fa', auml: '\u00e4',
  ouml: '\u00f6', uuml: '\u00fc', Auml: '\u00c4', Ouml: '\u00d6', Uuml: '\u00dc', szlig: '\u00df', ccedil: '\u00e7',
  ntilde: '\u00f1', shy: '\u00ad', iexcl: '\u00a1', iquest: '\u00bf', ordm: '\u00ba', ordf: '\u00aa', not: '\u00ac',
  macr: '\u00af', acute: '\u00b4',
};
/** HTML 4 entities that browsers (and Python's html.unescape) also accept without the semicolon. */
const LEGACY_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'nbsp', 'copy', 'reg', 'deg', 'times', 'micro']);
/** Python's html.unescape maps numeric references in 0x80..0x9f through windows-1252. */
// prettier-ignore
const CP1252: Record<number, number> = {
  0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x0192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02c6,
  0x89: 0x2030, 0x8a: 0x0160, 0x8b: 0x2039, 0x8c: 0x0152, 0x8e: 0x017d, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201c,
  0x94: 0x201d, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02dc, 0x99: 0x2122, 0x9a: 0x0161, 0x9b: 0x203a,
  0x9c: 0x0153, 0x9e: 0x017e, 0x9f: 0x0178,
};

/** One pass of HTML character-reference decoding (numeric references and the common named ones). */
export function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]{0,31};?)/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const digits = ref.replace(/;$/, '');
      const code =
        digits[1] === 'x' || digits[1] === 'X' ? parseInt(digits.slice(2), 16) : parseInt(digits.slice(1), 10);
      const mapped = CP1252[code];
      if (mapped !== undefined) return String.fromCodePoint(mapped);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(code);
    }
    if (ref.endsWith(';')) {
      const named = NAMED_ENTITIES[ref.slice(0, -1)];
      return named ?? whole;
    }
    // Without a semicolon only the legacy names count, as a prefix ("&ampx" is "&x").
    for (let len = Math.min(ref.length, 6); len >= 2; len--) {
      const name = ref.slice(0, len);
      if (LEGACY_ENTITIES.has(name)) return (NAMED_ENTITIES[name] ?? '') + ref.slice(len);
    }
    return whole;
  });
}

// ---------------------------------------------------------------- file parsing

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw badInput(`Cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badInput(`${name} is not valid JSON (${(err as Error).message})`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseVocab(raw: unknown, name: string): Map<string, number> {
  if (!isRecord(raw)) throw badInput(`${name}: expected an object of token to id`);
  const vocab = new Map<string, number>();
  // for-in rather than Object.entries: no array of 49k pairs (a CLI prediction builds this at every start).
  for (const token in raw) {
    const id = raw[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw badInput(`${name}: the id of "${token}" is not a whole number`);
    vocab.set(token, id);
  }
  return vocab;
}

/**
 * The ranks of `merges.txt` (an optional `#version` header, then "a b" per line, blank lines skipped), scanned
 * in place rather than split into arrays; the same checks and ranks as `rankMerges`.
 */
function rankMergeLines(text: string, name: string): Map<string, number> {
  const ranks = new Map<string, number>();
  let start = 0;
  let rank = 0;
  let first = true;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (first) {
      first = false;
      if (line.startsWith('#')) continue;
    }
    if (line.trim() === '') continue;
    const space = line.indexOf(' ');
    if (space <= 0 || space === line.length - 1 || line.indexOf(' ', space + 1) !== -1)
      throw badInput(`${name}: merge ${rank + 1} ("${line}") is not two symbols`);
    if (!ranks.has(line)) ranks.set(line, rank);
    rank++;
  }
  return ranks;
}

function rankMerges(merges: readonly string[], name: string): Map<string, number> {
  const ranks = new Map<string, number>();
  merges.forEach((merge, rank) => {
    const parts = merge.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw badInput(`${name}: merge ${rank + 1} ("${merge}") is not two symbols`);
    if (!ranks.has(merge)) ranks.set(merge, rank);
  });
  return ranks;
}
