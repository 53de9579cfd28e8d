/**
 * The questions of the two VSG stages (VIP_METHOD.md section 5), in this project's own words. Stage 1 asks, per class
 * and without images, which visual features of the modality help diagnose it, in plain words and without the class's
 * name; stage 2 shows a 4x4 grid of 16 images of the class and asks for the colour, shape and texture features they
 * share. Both ask for a numbered list in English, which the parser reads best.
 */

export const SYSTEM_PROMPT =
  'You help build an image classifier that compares medical images with short descriptions. A general image-text ' +
  'model (CLIP) reads the descriptions, so they must use plain, everyday English words about what can be seen. ' +
  'Answer in English.';

export interface PromptClassContext {
  modality: string;
  category: string;
  /** Every class of the task (the answer must name none of them). */
  classes: readonly string[];
}

function forbidden(ctx: PromptClassContext): string {
  const names = [ctx.category, ...ctx.classes.filter((c) => c !== ctx.category)].map((c) => `"${c}"`);
  return names.length === 1 ? `the word ${names[0]}` : `the words ${names.join(', ')}`;
}

/** Stage 1: the text-only question for one class. */
export function stage1Prompt(ctx: PromptClassContext, count: number): string {
  return (
    `Which visual features in ${ctx.modality} images help to diagnose ${ctx.category}? ` +
    `Describe ${count} features in simple words that a general image-text model such as CLIP understands: colour, ` +
    `brightness, shape, size, border, texture, and structures that are present or absent. ` +
    `Do not use ${forbidden(ctx)} or any other diagnosis name, and do not mention symptoms a patient feels. ` +
    `Keep each feature under 12 words. Answer with a numbered list, one feature per line, and nothing else.`
  );
}

/** Stage 2: the question sent with one grid image of one class. */
export function stage2Prompt(ctx: PromptClassContext, cells: number): string {
  return (
    `The picture is a 4 by 4 grid of ${cells} ${ctx.modality} images that all show ${ctx.category}. ` +
    `Which colour, shape and texture features do you see that most of these images have in common? ` +
    `Describe each feature in simple words that a general image-text model such as CLIP understands, ` +
    `without using ${forbidden(ctx)} or any other diagnosis name. Keep each feature under 12 words. ` +
    `Answer with a numbered list, one feature per line, and nothing else.`
  );
}

/** Asked once more when an answer held no usable list (or was not in English). */
export const REMINDER_PROMPT =
  'Please answer again in English: only a numbered list of short visual features, one per line, with no introduction.';
