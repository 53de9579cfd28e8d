/**
 * Token layouts of the prompts ViP feeds the text tower. CoP ("class token position: end", as in the authors' code):
 * `"X X X X " + symptom + "."`, whose M placeholder embeddings (positions 1..M, right after the start token) are replaced
 * by the learned context. With M = 0 (the `--no-cop` ablation) the prompt is `symptom + "."`. The baselines: CoOp,
 * `"X X X X " + class + "."`, and zero-shot CLIP, `template.replace('{}', class)`.
 */
import { VipError, badInput } from '@shared/errors';
import { CLIP_CONTEXT_LENGTH, type ClipTokenizer } from '../model/tokenizer';
import type { SymptomSet } from './symptom-set';

/** M in the paper and the authors' configs. */
export const DEFAULT_N_CTX = 4;
export const DEFAULT_TEMPLATE = 'a photo of a {}.';
/** The placeholder word; "x</w>" is one token (343), so M words give M positions to replace. */
const PLACEHOLDER = 'X';

/** One tokenized prompt: what the text tower reads, and where the context goes. */
export interface PromptLayout {
  /** The prompt as text, placeholders included (for logs and tests). */
  text: string;
  /** Token ids with start and end tokens, no padding. */
  ids: number[];
  /** Row read out as the text feature: the end token. */
  eotIndex: number;
  /** Class this prompt belongs to (picks the context row when the context is class-specific). */
  classIndex: number;
  /** Context vectors replace positions 1..nCtx (0: nothing is replaced). */
  nCtx: number;
}

/** Prompts of all classes in class order, with where each class's rows start. */
export interface PromptBatch {
  layouts: PromptLayout[];
  /** For class c: rows `start .. start + count - 1` of `layouts`. */
  classRows: { start: number; count: number }[];
}

export function placeholderPrefix(nCtx: number): string {
  return nCtx > 0 ? Array.from({ length: nCtx }, () => PLACEHOLDER).join(' ') + ' ' : '';
}

/** `"X X X X " + symptom + "."` (the authors append the period whatever the symptom ends with). */
export function symptomPromptText(symptom: string, nCtx: number): string {
  return placeholderPrefix(nCtx) + symptom + '.';
}

/** CoOp's prompt: `"X X X X " + class + "."`. */
export function classNamePromptText(className: string, nCtx: number): string {
  return placeholderPrefix(nCtx) + className + '.';
}

/** Zero-shot CLIP's prompt: the first `{}` of the template replaced by the class name. */
export function templatePromptText(template: string, className: string): string {
  if (!template.includes('{}')) throw badInput(`template "${template}" has no {} where the class name goes`);
  return template.replace('{}', className);
}

/** One prompt per symptom, classes in order (the ViP prompts; `nCtx` 0 gives the no-CoP variant). */
export function symptomPrompts(
  tokenizer: ClipTokenizer,
  set: SymptomSet,
  nCtx: number = DEFAULT_N_CTX,
  contextLength: number = CLIP_CONTEXT_LENGTH,
): PromptBatch {
  checkNCtx(nCtx);
  const layouts: PromptLayout[] = [];
  const classRows: PromptBatch['classRows'] = [];
  set.classes.forEach((cls, classIndex) => {
    classRows.push({ start: layouts.length, count: cls.symptoms.length });
    for (const symptom of cls.symptoms) {
      layouts.push(layout(tokenizer, symptomPromptText(symptom, nCtx), classIndex, nCtx, contextLength));
    }
  });
  return { layouts, classRows };
}

/** One CoOp prompt per class. */
export function coopPrompts(
  tokenizer: ClipTokenizer,
  classes: readonly string[],
  nCtx: number = DEFAULT_N_CTX,
  contextLength: number = CLIP_CONTEXT_LENGTH,
): PromptBatch {
  checkNCtx(nCtx);
  const layouts = classes.map((name, i) => layout(tokenizer, classNamePromptText(name, nCtx), i, nCtx, contextLength));
  return { layouts, classRows: classes.map((_, i) => ({ start: i, count: 1 })) };
}

/** One zero-shot CLIP prompt per class (nothing is replaced). */
export function templatePrompts(
  tokenizer: ClipTokenizer,
  classes: readonly string[],
  template: string = DEFAULT_TEMPLATE,
  contextLength: number = CLIP_CONTEXT_LENGTH,
): PromptBatch {
  const layouts = classes.map((name, i) => layout(tokenizer, templatePromptText(template, name), i, 0, contextLength));
  return { layouts, classRows: classes.map((_, i) => ({ start: i, count: 1 })) };
}

function checkNCtx(nCtx: number): void {
  if (!Number.isInteger(nCtx) || nCtx < 0 || nCtx > 32) {
    throw badInput(`the number of context vectors must be a whole number from 0 to 32, got ${nCtx}`);
  }
}

function layout(
  tokenizer: ClipTokenizer,
  text: string,
  classIndex: number,
  nCtx: number,
  contextLength: number,
): PromptLayout {
  const ids = tokenizer.encodeWithSpecial(text, contextLength);
  const placeholder = tokenizer.encode(PLACEHOLDER);
  // The context must replace exactly the placeholder tokens; a tokenizer that merged them would shift everything.
  if (placeholder.length !== 1 || ids.slice(1, 1 + nCtx).some((id) => id !== placeholder[0])) {
    throw new VipError('internal', `prompt "${text}": the ${nCtx} placeholders are not one token each`);
  }
  return { text, ids, eotIndex: ids.length - 1, classIndex, nCtx };
}
