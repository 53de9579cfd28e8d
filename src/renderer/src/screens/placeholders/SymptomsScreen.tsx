import type { ReactNode } from 'react';
import { PlannedScreen } from './PlannedScreen';

export function SymptomsScreen(): ReactNode {
  return (
    <PlannedScreen
      title="Symptoms"
      summary="Visual symptoms are short descriptions of what each class looks like, written by an LLM (at the address set in Settings) and reviewed by a person; the model compares images against them."
      plans={[
        'Symptom sets per task, their versions and where each came from (LLM, model, prompt, editor).',
        'Generating a set with the LLM in two stages, and editing it by hand.',
        'Which model versions were trained on which symptom set.',
      ]}
    />
  );
}
