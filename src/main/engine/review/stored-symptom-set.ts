/** A symptom set version of the store, by id, as training and the training preview use it. */
import { notFound } from '@shared/errors';
import { getSymptomSetVersion } from '../store/symptom-set-repo';
import type { Store } from '../store/store';
import { parseSymptomSetText, type SymptomSet } from '../vip/symptom-set';

export interface StoredSymptomSet {
  symptoms: SymptomSet;
  name: string;
  task: string;
  /** For the run's record. */
  source: string;
}

export function storedSymptomSet(store: Store, id: number): StoredSymptomSet {
  const v = getSymptomSetVersion(store.db, id);
  if (!v) throw notFound(`No symptom set version ${id} (see the Symptoms screen or \`vip symptoms list\`)`);
  return {
    symptoms: parseSymptomSetText(v.classesJson, { label: `symptom set ${v.name} v${v.version}` }),
    name: v.name,
    task: v.task,
    source: `symptom set ${v.name} v${v.version} (id ${v.id})`,
  };
}
