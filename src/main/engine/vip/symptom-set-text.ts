/**
 * A symptom set as JSON text in its class order. `JSON.stringify` of an object puts integer-like keys ("0", "1")
 * first whatever their order, so the text is written key by key; `parseSymptomSetText` reads it back in that order.
 */
import type { SymptomSet } from './symptom-set';

export function symptomSetText(set: SymptomSet, indent = 2): string {
  const pad = ' '.repeat(indent);
  const body = set.classes.map((c) => `${pad}${JSON.stringify(c.name)}: ${JSON.stringify(c.symptoms)}`).join(',\n');
  return `{\n${body}\n}\n`;
}
