/**
 * The CLIP BPE vocabulary as Hugging Face `vocab.json` / `merges.txt` strings, built from the original OpenAI
 * merges list shipped in `resources/clip/bpe_simple_vocab_16e6.txt.gz`. Packages built here (the demo model)
 * then carry the same tokenizer files as an imported openai/clip-vit-* checkpoint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const SOT_TOKEN = '<|startoftext|>';
export const EOT_TOKEN = '<|endoftext|>';
/** The original CLIP keeps the first 49152 - 256 - 2 merges of the list. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;
export const CLIP_VOCAB_SIZE = 49408;

const BPE_FILE = 'bpe_simple_vocab_16e6.txt.gz';

/**
 * GPT-2's reversible byte-to-unicode map: printable bytes stand for themselves, the rest are shifted to
 * code points from 256 up, so every byte string becomes a string of visible characters. Map order matters:
 * it is the order of the first 256 vocabulary entries.
 */
export function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const map = new Map<number, string>();
  bs.forEach((b, i) => map.set(b, String.fromCodePoint(cs[i] ?? 0)));
  return map;
}

/**
 * The folder holding `clip/<BPE file>`. Walks up from this module: that is the source tree under vitest and
 * out/main/ after bundling. A packaged Electron app keeps it under process.resourcesPath.
 */
export function resourcesDir(): string {
  const candidates: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    candidates.push(join(dir, 'resources'));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  if (electronResources) candidates.push(electronResources, join(electronResources, 'resources'));
  const found = candidates.find((c) => existsSync(join(c, 'clip', BPE_FILE)));
  if (!found) throw new Error(`Cannot find resources/clip/${BPE_FILE} above ${fileURLToPath(import.meta.url)}`);
  return found;
}

/** The merges of the original list, each "a b" (line 1 is a header, then one merge per line). */
export function clipMerges(): string[] {
  const text = gunzipSync(readFileSync(join(resourcesDir(), 'clip', BPE_FILE))).toString('utf8');
  const lines = text.split('\n');
  const merges = lines.slice(1, 1 + CLIP_MERGE_COUNT);
  if (merges.length !== CLIP_MERGE_COUNT || merges.some((m) => m.split(' ').length !== 2)) {
    throw new Error(`${BPE_FILE} is damaged: expected ${CLIP_MERGE_COUNT} merges of two symbols each`);
  }
  return merges;
}

/** The vocabulary in id order: bytes, bytes with `</w>`, one entry per merge, then SOT and EOT. */
export function clipVocabList(merges: readonly string[] = clipMerges()): string[] {
  const bytes = [...bytesToUnicode().values()];
  const vocab = [...bytes, ...bytes.map((b) => b + '</w>')];
  for (const merge of merges) vocab.push(merge.replace(' ', ''));
  vocab.push(SOT_TOKEN, EOT_TOKEN);
  return vocab;
}

export interface TokenizerFiles {
  vocabJson: string;
  mergesTxt: string;
}

let cached: TokenizerFiles | undefined;

/** `vocab.json` and `merges.txt` contents in the Hugging Face CLIPTokenizer format (built once, then cached). */
export function clipTokenizerFiles(): TokenizerFiles {
  if (cached) return cached;
  const merges = clipMerges();
  const vocab = clipVocabList(merges);
  // Serialised by hand so the keys stay in id order: JSON.stringify would move digit-only keys first.
  const vocabJson = '{' + vocab.map((token, id) => `${JSON.stringify(token)}: ${id}`).join(', ') + '}';
  const mergesTxt = '#version: 0.2\n' + merges.join('\n') + '\n';
  cached = { vocabJson, mergesTxt };
  return cached;
}
