/**
 * When are two symptom phrases the same? Two measures, either of which can say yes:
 *   - normalised string similarity: the Dice overlap of stemmed content words, or of character trigrams (catches
 *     "colour"/"color", plurals, reordered words);
 *   - the cosine of their CLIP text features (catches paraphrases), when a text embedder is given. The demo model has
 *     random weights, so its cosines mean nothing: callers leave the embedder out for it, and the thresholds are options.
 * Two strengths: a near duplicate (drop one of the two) and the same feature (stage 2 confirming stage 1, or the same
 * feature seen in two grids), the second looser than the first.
 */

/** Unit-length text features; the same text always gives the same vector. */
export interface TextEmbedder {
  /** Names the model, for the provenance record. */
  readonly label: string;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export interface MatchThresholds {
  /** String similarity at or above which two phrases are near duplicates. Default 0.8. */
  duplicate: number;
  /** String similarity at or above which two phrases name the same feature. Default 0.5. */
  sameFeature: number;
  /** CLIP cosine for near duplicates. Default 0.95. */
  clipDuplicate: number;
  /** CLIP cosine for the same feature. Default 0.88. */
  clipSameFeature: number;
}

export const defaultMatchThresholds: MatchThresholds = {
  duplicate: 0.8,
  sameFeature: 0.5,
  clipDuplicate: 0.95,
  clipSameFeature: 0.88,
};

export interface Similarity {
  string: number;
  clip: number | null;
}

const STOPWORDS = new Set(
  (
    'a an the of in on at to for with without from by and or but as is are be being been was were has have had it its ' +
    'this that these those there their they them which who whose where when while than then so such very more most ' +
    'less least some any each every all both either one two several many much few into onto inside outside within ' +
    'throughout over under above below between across along around near toward towards may can could might often ' +
    'usually typically sometimes appear appears appearing seen visible image images area areas region regions'
  ).split(' '),
);

const SPELLING: Record<string, string> = { colour: 'color', colours: 'colors', grey: 'gray', greyish: 'grayish' };

/** Lowercase letters and digits only, accents removed, British spellings mapped. */
export function normalisePhrase(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .map((w) => SPELLING[w] ?? w)
    .join(' ');
}

/** A crude English stemmer: enough to match plurals and -ing/-ed forms of the same word. */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -3) + 'y';
  if (/(?:ss|sh|ch|x|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is'))
    return word.slice(0, -1);
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('ly') && word.length > 4) return word.slice(0, -2);
  return word;
}

export function contentStems(text: string): Set<string> {
  const words = normalisePhrase(text)
    .split(' ')
    .filter((w) => w !== '' && !STOPWORDS.has(w));
  return new Set(words.map(stem));
}

function dice<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): number {
  if (a.size === 0 && b.size === 0) return 1;
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  return (2 * shared) / (a.size + b.size);
}

function trigrams(text: string): Set<string> {
  const s = ` ${[...contentStems(text)].sort().join(' ')} `;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= s.length; i++) out.add(s.slice(i, i + 3));
  return out;
}

/** 0..1: the larger of the word and the trigram overlap (1 for texts equal up to case, spacing and punctuation). */
export function stringSimilarity(a: string, b: string): number {
  const na = normalisePhrase(a);
  const nb = normalisePhrase(b);
  if (na === nb) return 1;
  return Math.max(dice(contentStems(a), contentStems(b)), dice(trigrams(a), trigrams(b)));
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}

/** Matches phrases by string similarity and, when given an embedder, CLIP cosine. Call `prepare` before comparing. */
export class PhraseMatcher {
  readonly thresholds: MatchThresholds;
  private readonly vectors = new Map<string, Float32Array>();

  constructor(
    private readonly embedder: TextEmbedder | null,
    thresholds: Partial<MatchThresholds> = {},
  ) {
    this.thresholds = { ...defaultMatchThresholds, ...thresholds };
  }

  get usesClip(): boolean {
    return this.embedder !== null;
  }

  get clipLabel(): string | null {
    return this.embedder?.label ?? null;
  }

  /** Embeds every phrase not seen yet (one batch). */
  async prepare(texts: readonly string[]): Promise<void> {
    if (!this.embedder) return;
    const missing = [...new Set(texts)].filter((t) => !this.vectors.has(t));
    if (missing.length === 0) return;
    const vectors = await this.embedder.embed(missing);
    missing.forEach((t, i) => {
      const v = vectors[i];
      if (v) this.vectors.set(t, v);
    });
  }

  similarity(a: string, b: string): Similarity {
    const va = this.vectors.get(a);
    const vb = this.vectors.get(b);
    return { string: stringSimilarity(a, b), clip: va && vb ? cosine(va, vb) : null };
  }

  /** Why a and b count as near duplicates, or null when they do not. */
  duplicateReason(a: string, b: string): string | null {
    const s = this.similarity(a, b);
    if (normalisePhrase(a) === normalisePhrase(b)) return 'the same words';
    if (s.string >= this.thresholds.duplicate) return `string similarity ${s.string.toFixed(2)}`;
    if (s.clip !== null && s.clip >= this.thresholds.clipDuplicate) return `CLIP text cosine ${s.clip.toFixed(3)}`;
    return null;
  }

  sameFeature(a: string, b: string): boolean {
    const s = this.similarity(a, b);
    return s.string >= this.thresholds.sameFeature || (s.clip !== null && s.clip >= this.thresholds.clipSameFeature);
  }

  /** How strongly a and b match, for picking the best partner (the larger of the two measures). */
  score(a: string, b: string): number {
    const s = this.similarity(a, b);
    return Math.max(s.string, s.clip ?? 0);
  }
}
