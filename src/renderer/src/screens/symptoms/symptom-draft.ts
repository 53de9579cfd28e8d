/**
 * The clinician's working copy of a symptom set version: reword, reorder, add and remove symptoms per class. Pure
 * functions, so the editor's state changes are easy to follow and test; the engine validates the result on save.
 */
import type { SymptomClass } from '@shared/contract';

export type Draft = SymptomClass[];

export function draftOf(classes: readonly SymptomClass[]): Draft {
  return classes.map((c) => ({ name: c.name, symptoms: [...c.symptoms] }));
}

function mapClass(draft: Draft, classIndex: number, change: (symptoms: string[]) => string[]): Draft {
  return draft.map((c, i) => (i === classIndex ? { ...c, symptoms: change([...c.symptoms]) } : c));
}

export function reword(draft: Draft, classIndex: number, index: number, text: string): Draft {
  return mapClass(draft, classIndex, (s) => s.map((old, i) => (i === index ? text : old)));
}

/** Moves a symptom one place up (-1) or down (+1); at either end nothing moves. */
export function move(draft: Draft, classIndex: number, index: number, by: -1 | 1): Draft {
  return mapClass(draft, classIndex, (s) => {
    const to = index + by;
    if (to < 0 || to >= s.length) return s;
    const [item] = s.splice(index, 1);
    if (item !== undefined) s.splice(to, 0, item);
    return s;
  });
}

export function remove(draft: Draft, classIndex: number, index: number): Draft {
  return mapClass(draft, classIndex, (s) => s.filter((_, i) => i !== index));
}

export function add(draft: Draft, classIndex: number, text: string): Draft {
  const t = text.replace(/\s+/g, ' ').trim();
  return t === '' ? draft : mapClass(draft, classIndex, (s) => [...s, t]);
}

/** Symptoms as they will be saved: trimmed, blanks left out. */
export function cleaned(draft: Draft): Draft {
  return draft.map((c) => ({ name: c.name, symptoms: c.symptoms.map((s) => s.trim()).filter((s) => s !== '') }));
}

export function isChanged(draft: Draft, saved: readonly SymptomClass[]): boolean {
  return JSON.stringify(cleaned(draft)) !== JSON.stringify(draftOf(saved));
}

/** What the engine would refuse, said before the round trip: an empty class or the same symptom twice. */
export function draftProblem(draft: Draft): string | null {
  for (const c of cleaned(draft)) {
    if (c.symptoms.length === 0) return `Class "${c.name}" needs at least one symptom.`;
    const seen = new Set<string>();
    for (const s of c.symptoms) {
      const key = s.toLowerCase().replace(/\s+/g, ' ');
      if (seen.has(key)) return `Class "${c.name}" lists "${s}" twice.`;
      seen.add(key);
    }
  }
  return null;
}
