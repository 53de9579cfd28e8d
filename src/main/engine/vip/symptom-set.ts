/**
 * Symptom sets: `{"class name": ["symptom", ...], ...}`, the classes in key order. Validation happens here, before any
 * long work, so a bad set fails with one line naming the class and symptom at fault.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { badInput } from '@shared/errors';
import { CLIP_CONTEXT_LENGTH, type ClipTokenizer } from '../model/tokenizer';
import { DEFAULT_N_CTX, classNamePromptText, symptomPromptText } from './prompts';

export interface SymptomClass {
  name: string;
  symptoms: string[];
}

/** A validated symptom set; `classes` keep the file's key order, which is the label order everywhere. */
export interface SymptomSet {
  classes: SymptomClass[];
}

/** What the tokenizer check needs: the prompts must fit the text tower with the M placeholders. */
export interface SymptomFitOptions {
  tokenizer: ClipTokenizer;
  /** CoP placeholders in front of each symptom (0 = no CoP). Default 4. */
  nCtx?: number;
  /** The package's text context length. Default 77. */
  contextLength?: number;
}

export interface ParseOptions {
  /** Names the source in errors ("symptoms.json"). */
  label?: string;
  /** When given, every symptom (and class name, for CoOp) must fit the text context. */
  fit?: SymptomFitOptions;
}

const rawSchema = z.record(z.string(), z.array(z.string()));

/** Names of classes and symptoms compare equal when they differ only in case or spacing. */
export function normaliseForComparison(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

/** A parsed JSON value (an object), classes in `Object.keys` order. */
export function parseSymptomSet(value: unknown, options: ParseOptions = {}): SymptomSet {
  const label = options.label ?? 'symptom set';
  const parsed = rawSchema.safeParse(value);
  if (!parsed.success) throw badInput(`${label}: ${describeShapeError(value, parsed.error)}`);
  return validate(Object.entries(parsed.data), label, options.fit);
}

/**
 * JSON text. Class order comes from the text itself, because a JS object lists integer-like keys ("0", "1") first
 * whatever the file says; a class written twice is an error rather than silently the last one.
 */
export function parseSymptomSetText(text: string, options: ParseOptions = {}): SymptomSet {
  const label = options.label ?? 'symptom set';
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw badInput(`${label} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = rawSchema.safeParse(value);
  if (!parsed.success) throw badInput(`${label}: ${describeShapeError(value, parsed.error)}`);
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw badInput(`${label}: class "${key}" appears twice`);
    seen.add(key);
  }
  const data = parsed.data;
  return validate(
    keys.map((k) => [k, data[k] ?? []]),
    label,
    options.fit,
  );
}

export function readSymptomSetFile(path: string, options: Omit<ParseOptions, 'label'> = {}): SymptomSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw badInput(`cannot read symptom set ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseSymptomSetText(text, { ...options, label: path });
}

/** The set as the JSON object it came from (key order = class order). */
export function symptomSetToJson(set: SymptomSet): Record<string, string[]> {
  return Object.fromEntries(set.classes.map((c) => [c.name, [...c.symptoms]]));
}

export function classNames(set: SymptomSet): string[] {
  return set.classes.map((c) => c.name);
}

/**
 * Throws badInput for the first symptom whose CoP prompt (`"X " * M + symptom + "."`) or class name (CoOp prompt) does
 * not fit the context; the message names the class and the symptom.
 */
export function checkSymptomsFit(set: SymptomSet, fit: SymptomFitOptions, label = 'symptom set'): void {
  const nCtx = fit.nCtx ?? DEFAULT_N_CTX;
  const contextLength = fit.contextLength ?? CLIP_CONTEXT_LENGTH;
  const tokens = (text: string): number => fit.tokenizer.encode(text).length + 2;
  for (const cls of set.classes) {
    const nameTokens = tokens(classNamePromptText(cls.name, nCtx));
    if (nameTokens > contextLength) {
      throw badInput(
        `${label}: class name "${shorten(cls.name)}" is too long: ${nameTokens} tokens with ${nCtx} context placeholders, start and end; the text tower takes at most ${contextLength}`,
      );
    }
    for (const symptom of cls.symptoms) {
      const n = tokens(symptomPromptText(symptom, nCtx));
      if (n > contextLength) {
        throw badInput(
          `${label}: class "${cls.name}", symptom "${shorten(symptom)}" is too long: ${n} tokens with ${nCtx} context placeholders, start and end; the text tower takes at most ${contextLength}`,
        );
      }
    }
  }
}

function validate(entries: [string, string[]][], label: string, fit: SymptomFitOptions | undefined): SymptomSet {
  if (entries.length < 2) {
    const names = entries.map(([k]) => `"${k}"`).join(', ');
    throw badInput(
      `${label}: ${entries.length === 0 ? 'no classes' : `only one class (${names})`}; at least two classes are needed`,
    );
  }
  const classByName = new Map<string, string>();
  const symptomOwner = new Map<string, string>();
  const classes: SymptomClass[] = [];
  entries.forEach(([rawName, rawSymptoms], classIndex) => {
    const name = rawName.trim();
    if (name === '') throw badInput(`${label}: class ${classIndex + 1} has an empty name`);
    const nameKey = normaliseForComparison(name);
    const clash = classByName.get(nameKey);
    if (clash !== undefined)
      throw badInput(`${label}: classes "${clash}" and "${name}" differ only in case or spacing`);
    classByName.set(nameKey, name);
    if (rawSymptoms.length === 0) throw badInput(`${label}: class "${name}" has no symptoms`);
    const symptoms = rawSymptoms.map((raw, i) => {
      const symptom = raw.replace(/\s+/gu, ' ').trim();
      if (symptom === '') throw badInput(`${label}: class "${name}", symptom ${i + 1} is empty`);
      const key = normaliseForComparison(symptom);
      const owner = symptomOwner.get(key);
      if (owner !== undefined) {
        throw badInput(
          owner === name
            ? `${label}: class "${name}" lists the symptom "${shorten(symptom)}" twice`
            : `${label}: the symptom "${shorten(symptom)}" appears in class "${owner}" and in class "${name}"`,
        );
      }
      symptomOwner.set(key, name);
      return symptom;
    });
    classes.push({ name, symptoms });
  });
  const set: SymptomSet = { classes };
  if (fit) checkSymptomsFit(set, fit, label);
  return set;
}

function describeShapeError(value: unknown, error: z.ZodError): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'expected an object {"class name": ["symptom", ...], ...}';
  }
  const issue = error.issues[0];
  const [cls, index] = issue?.path ?? [];
  if (cls !== undefined && index === undefined) return `class "${String(cls)}" must be a list of symptom strings`;
  if (cls !== undefined) return `class "${String(cls)}", symptom ${Number(index) + 1} is not a string`;
  return 'expected an object {"class name": ["symptom", ...], ...}';
}

function shorten(text: string): string {
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/**
 * The keys of the top-level object of a JSON text (already known to be valid), in the order written. A small scanner:
 * strings are decoded with JSON.parse, values are skipped by tracking brackets outside strings.
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return keys;
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return keys;
  for (;;) {
    const end = stringEnd(text, i);
    keys.push(JSON.parse(text.slice(i, end)) as string);
    i = skipSpace(text, end);
    i = skipSpace(text, i + 1); // the colon
    i = skipSpace(text, valueEnd(text, i));
    if (text[i] !== ',') return keys;
    i = skipSpace(text, i + 1);
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  return i;
}

/** Index just past the string literal starting at `i` (a quote). */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Index just past the JSON value starting at `i`. */
function valueEnd(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const ch = text[j];
    if (ch === '"') {
      j = stringEnd(text, j);
      if (depth === 0) return j;
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      if (depth === 0) return j;
      depth--;
      if (depth === 0) return j + 1;
    } else if (depth === 0 && (ch === ',' || /\s/.test(ch ?? ''))) return j;
    j++;
  }
  return j;
}
