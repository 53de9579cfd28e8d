/**
 * The rules every candidate symptom passes before it may stand for its class (VIP_METHOD.md section 2: short, plain
 * visual descriptions that avoid the class name), applied in rank order so the top k per class survive:
 *   - it names no class (any class's name, plurals and, for long one-word names, words built on it);
 *   - plain visual language: English, no patient-felt symptoms or history, no LLM commentary, not too long, no word
 *     the CLIP vocabulary shatters into many pieces (jargon the text tower barely knows);
 *   - it fits the text context with the M prompt tokens in front;
 *   - it is no near duplicate of a better-ranked symptom of its class, nor of any symptom of another class (a
 *     feature listed for two classes cannot tell them apart).
 * Every dropped candidate keeps the reason it was dropped.
 */
import type { ClipTokenizer } from '../model/tokenizer';
import { CLIP_CONTEXT_LENGTH } from '../model/tokenizer';
import { DEFAULT_N_CTX, symptomPromptText } from '../vip/prompts';
import { normalisePhrase, type PhraseMatcher } from './phrase-matching';

export interface DroppedSymptom {
  text: string;
  reason: string;
}

export interface ClassSelection {
  name: string;
  kept: string[];
  dropped: DroppedSymptom[];
}

export interface ValidationContext {
  classes: readonly string[];
  /** Symptoms kept per class. */
  k: number;
  tokenizer: ClipTokenizer;
  nCtx?: number;
  contextLength?: number;
  matcher: PhraseMatcher;
}

export interface SelectionResult {
  classes: ClassSelection[];
  /** One line per class that ended with fewer than k symptoms. */
  warnings: string[];
}

/** A word split into this many BPE pieces or more is one the text tower has hardly seen. */
const SHATTERED_WORD_PIECES = 5;
const MAX_WORDS = 20;

const NOT_VISIBLE = new Set(
  (
    'fever feverish cough coughing pain painful ache aching itch itching itchy tender tenderness history patient ' +
    'patients age aged old family symptom symptoms diagnosis diagnose diagnosed diagnostic biopsy laboratory lab ' +
    'temperature breath breathing breathless shortness auscultation crackles wheezing sputum treatment therapy ' +
    'prognosis genetic hereditary risk sensation feels feel smell odor odour sore fatigue tired weight chills ' +
    'nausea malaise'
  ).split(' '),
);

const COMMENTARY =
  /\b(?:i|i'm|i am|as an ai|ai model|language model|sorry|apologi[sz]e|cannot|can't|unable|consult|doctor|physician|radiologist|dermatologist|medical professional|healthcare)\b/i;

const ENGLISH_WORDS = new Set(
  (
    'a an the of in on at with without and or no not is are has have from to by its into near around over under ' +
    'between across along inside outside than more less very some few many small large dark light bright white ' +
    'black round shape edge edges color colors area areas spot spots patch patches line lines'
  ).split(' '),
);

const FOREIGN_WORDS = new Set(
  (
    'der das und mit ein eine einer nicht ist im dem des oder sind auf bei wie sehr zu ' +
    'du une dans avec sur et est pas les le la aux ou ' +
    'el los las del con una por sin y muy ' +
    'il della nel negli ' +
    'het een van niet zijn ' +
    'não com um uma'
  ).split(' '),
);

/** Words of a class name as the text would contain them, with common plural forms of the last word. */
function classNamePatterns(className: string): RegExp[] {
  const words = normalisePhrase(className).split(' ').filter(Boolean);
  const last = words[words.length - 1];
  if (last === undefined) return [];
  const head = words.slice(0, -1).join(' ');
  const variants = new Set([last, `${last}s`, `${last}es`]);
  if (last.endsWith('us')) variants.add(`${last.slice(0, -2)}i`);
  if (last.endsWith('um')) variants.add(`${last.slice(0, -2)}a`);
  if (last.endsWith('a')) variants.add(`${last}e`);
  if (last.endsWith('is')) variants.add(`${last.slice(0, -2)}es`);
  if (last.endsWith('y')) variants.add(`${last.slice(0, -1)}ies`);
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = [...variants].map((v) => new RegExp(`(?:^| )${escape(head ? `${head} ${v}` : v)}(?: |$)`));
  // "pneumonic", "melanocytic": words built on a long one-word name.
  if (words.length === 1 && last.length >= 6) patterns.push(new RegExp(`(?:^| )${escape(last.slice(0, -2))}`));
  return patterns;
}

/** The class a text names, or null. */
export function namedClass(text: string, classes: readonly string[]): string | null {
  const normal = normalisePhrase(text);
  for (const cls of classes) {
    if (classNamePatterns(cls).some((re) => re.test(normal))) return cls;
  }
  return null;
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}'’]+/u)
    .filter((w) => w !== '');
}

/** Why the text is not plain English, or null. */
export function languageProblem(text: string): string | null {
  const letters = [...text].filter((c) => /\p{L}/u.test(c));
  if (letters.some((c) => !/\p{Script=Latin}/u.test(c))) return 'not in English (CLIP reads English)';
  const ws = words(text);
  const english = ws.filter((w) => ENGLISH_WORDS.has(w)).length;
  const foreign = ws.filter((w) => FOREIGN_WORDS.has(w)).length;
  if (foreign > 0 && foreign >= english) return 'not in English (CLIP reads English)';
  if (english === 0 && ws.length >= 3 && letters.some((c) => !/[a-z]/i.test(c))) {
    return 'not in English (CLIP reads English)';
  }
  return null;
}

/** Why a single candidate cannot be a symptom (before comparing it with the others), or null. */
export function symptomTextProblem(
  text: string,
  ctx: Pick<ValidationContext, 'classes' | 'tokenizer' | 'nCtx' | 'contextLength'>,
): string | null {
  const ws = words(text);
  if (ws.filter((w) => /\p{L}/u.test(w)).length === 0) return 'no words';
  const named = namedClass(text, ctx.classes);
  if (named !== null) return `names the class "${named}"`;
  const language = languageProblem(text);
  if (language) return language;
  if (COMMENTARY.test(text)) return 'not a visual feature (a remark by the LLM)';
  const felt = ws.find((w) => NOT_VISIBLE.has(w));
  if (felt !== undefined) return `not something an image shows ("${felt}")`;
  if (ws.length > MAX_WORDS) return `too long for a plain visual phrase (${ws.length} words; at most ${MAX_WORDS})`;
  const nCtx = ctx.nCtx ?? DEFAULT_N_CTX;
  const contextLength = ctx.contextLength ?? CLIP_CONTEXT_LENGTH;
  const tokens = ctx.tokenizer.encode(symptomPromptText(text, nCtx)).length + 2;
  if (tokens > contextLength) {
    return `too long for the text tower: ${tokens} tokens with ${nCtx} context placeholders, start and end; at most ${contextLength}`;
  }
  for (const w of ws) {
    if (!/^\p{L}+$/u.test(w)) continue;
    const pieces = ctx.tokenizer.encode(w).length;
    if (pieces >= SHATTERED_WORD_PIECES) {
      return `uses a word CLIP hardly knows ("${w}" splits into ${pieces} pieces); say it in plainer words`;
    }
  }
  return null;
}

/**
 * Candidates per class, best first, to the kept top k and the dropped rest (each with its reason). Runs the matcher's
 * embedder once over every candidate that passed the single-text checks.
 */
export async function selectSymptoms(
  candidates: readonly { name: string; ranked: readonly string[] }[],
  ctx: ValidationContext,
): Promise<SelectionResult> {
  const selections: ClassSelection[] = candidates.map((c) => ({ name: c.name, kept: [], dropped: [] }));
  const survivors: string[][] = candidates.map((c, ci) => {
    const sel = selections[ci] as ClassSelection;
    const out: string[] = [];
    for (const text of c.ranked) {
      const problem = symptomTextProblem(text, ctx);
      if (problem) {
        sel.dropped.push({ text, reason: problem });
        continue;
      }
      const dupOf = out.find((o) => ctx.matcher.duplicateReason(o, text) !== null);
      if (dupOf !== undefined) {
        sel.dropped.push({
          text,
          reason: `near duplicate of "${dupOf}" (${ctx.matcher.duplicateReason(dupOf, text) ?? ''})`,
        });
        continue;
      }
      out.push(text);
    }
    return out;
  });

  await ctx.matcher.prepare(survivors.flat());
  // Within each class again, now that CLIP cosines are known.
  survivors.forEach((list, ci) => {
    const sel = selections[ci] as ClassSelection;
    const out: string[] = [];
    for (const text of list) {
      const dupOf = out.find((o) => ctx.matcher.duplicateReason(o, text) !== null);
      if (dupOf !== undefined) {
        sel.dropped.push({
          text,
          reason: `near duplicate of "${dupOf}" (${ctx.matcher.duplicateReason(dupOf, text) ?? ''})`,
        });
      } else out.push(text);
    }
    survivors[ci] = out;
  });

  // Across classes: a feature listed for two classes tells neither apart, so both go.
  const clash = new Map<string, string>();
  survivors.forEach((list, ci) => {
    for (const text of list) {
      survivors.forEach((other, cj) => {
        if (cj === ci || clash.has(`${ci}:${text}`)) return;
        const match = other.find((o) => ctx.matcher.duplicateReason(text, o) !== null);
        if (match !== undefined) {
          const why = ctx.matcher.duplicateReason(text, match) ?? '';
          clash.set(
            `${ci}:${text}`,
            `also listed for class "${candidates[cj]?.name ?? ''}" as "${match}" (${why}): it cannot tell the classes apart`,
          );
        }
      });
    }
  });

  const warnings: string[] = [];
  survivors.forEach((list, ci) => {
    const sel = selections[ci] as ClassSelection;
    let rank = 0;
    for (const text of list) {
      const reason = clash.get(`${ci}:${text}`);
      if (reason !== undefined) {
        sel.dropped.push({ text, reason });
        continue;
      }
      rank++;
      if (sel.kept.length < ctx.k) sel.kept.push(text);
      else sel.dropped.push({ text, reason: `ranked ${rank}, beyond the top ${ctx.k}` });
    }
    if (sel.kept.length < ctx.k) {
      warnings.push(
        sel.kept.length === 0
          ? `class "${sel.name}": no valid symptom`
          : `class "${sel.name}": only ${sel.kept.length} valid symptom${sel.kept.length === 1 ? '' : 's'} of the ${ctx.k} asked for`,
      );
    }
  });
  return { classes: selections, warnings };
}
