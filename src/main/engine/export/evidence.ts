/**
 * A saved prediction's evidence (what cases.predict stored: kind, classes, logits, prototype_contribution and per-class
 * symptoms) read defensively into one entry per class, in the model's class order. A damaged or missing evidence
 * column gives the probabilities alone.
 */
import type { StoredPrediction } from './case-record';

export interface SymptomEvidenceEntry {
  text: string;
  weight: number;
  similarity: number;
  contribution: number;
}

export interface ClassEvidence {
  className: string;
  probability: number;
  logit: number | null;
  prototypeContribution: number | null;
  symptoms: SymptomEvidenceEntry[];
}

export interface PredictionEvidence {
  /** The text side's kind (vip, zero-shot symptoms, class names), null when unknown. */
  kind: string | null;
  classes: ClassEvidence[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function symptomList(value: unknown): SymptomEvidenceEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((s: unknown) => {
    if (!isRecord(s) || typeof s['text'] !== 'string') return [];
    const weight = num(s['weight']);
    const similarity = num(s['similarity']);
    const contribution = num(s['contribution']);
    if (weight === null || similarity === null || contribution === null) return [];
    return [{ text: s['text'], weight, similarity, contribution }];
  });
}

export function predictionEvidence(p: StoredPrediction): PredictionEvidence {
  const ev = p.evidence ?? {};
  const storedClasses = Array.isArray(ev['classes'])
    ? ev['classes'].filter((c): c is string => typeof c === 'string')
    : [];
  const classes = storedClasses.length > 0 ? storedClasses : Object.keys(p.probabilities);
  const logits = Array.isArray(ev['logits']) ? ev['logits'] : [];
  const prototype = isRecord(ev['prototype_contribution']) ? ev['prototype_contribution'] : {};
  const symptoms = isRecord(ev['symptoms']) ? ev['symptoms'] : {};
  return {
    kind: typeof ev['kind'] === 'string' ? ev['kind'] : null,
    classes: classes.map((className, i) => ({
      className,
      probability: p.probabilities[className] ?? 0,
      logit: num(logits[i]),
      prototypeContribution: num(prototype[className]),
      symptoms: symptomList(symptoms[className]),
    })),
  };
}

/** The predicted class's symptoms, largest contribution first (what the panel and the PDF list). */
export function topSymptoms(evidence: PredictionEvidence, className: string, count: number): SymptomEvidenceEntry[] {
  const cls = evidence.classes.find((c) => c.className === className);
  return [...(cls?.symptoms ?? [])].sort((a, b) => b.contribution - a.contribution).slice(0, count);
}
