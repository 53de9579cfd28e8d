/** How the evidence numbers read on screen, and the scales their bars share within one prediction. */
import type { StoredPrediction } from '@shared/contract';

export const MODE_LABELS: Record<string, string> = {
  vip: 'ViP (trained model version)',
  'zeroshot-symptoms': 'Zero-shot with visual symptoms',
  'zeroshot-classname': 'Zero-shot with class names',
};

export const modeLabel = (mode: string): string => MODE_LABELS[mode] ?? mode;

export const signed = (v: number, digits = 2): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;

export const percent = (p: number): string => `${(p * 100).toFixed(1)} %`;

export interface EvidenceScales {
  similarity: number;
  /** Some similarity is negative: all similarity bars grow from a centre line, so they stay comparable. */
  similaritySigned: boolean;
  contribution: number;
}

/** One scale per quantity across all classes, so bars compare between classes as well as within one. */
export function evidenceScales(p: StoredPrediction): EvidenceScales {
  let similarity = 0;
  let similaritySigned = false;
  let contribution = 0;
  for (const c of p.classes) {
    for (const s of p.symptoms[c] ?? []) {
      similarity = Math.max(similarity, Math.abs(s.similarity));
      if (s.similarity < 0) similaritySigned = true;
      contribution = Math.max(contribution, Math.abs(s.contribution));
    }
    contribution = Math.max(contribution, Math.abs(p.prototypeContribution[c] ?? 0));
  }
  return { similarity: similarity || 1, similaritySigned, contribution: contribution || 1 };
}
