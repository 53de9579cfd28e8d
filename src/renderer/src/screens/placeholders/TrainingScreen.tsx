import type { ReactNode } from 'react';
import { PlannedScreen } from './PlannedScreen';

export function TrainingScreen(): ReactNode {
  return (
    <PlannedScreen
      title="Training"
      summary="Training fits a ViP head (the CoP context prompt and the MeP merge prompt) on labelled cases, on top of a frozen CLIP and a symptom set."
      plans={[
        'Datasets built from reviewed cases, with their train, validation and test splits.',
        'A training run with live progress: step, loss, accuracy and time left; it can be cancelled.',
        'The resulting model version with its metrics (accuracy, macro-F1, confusion matrix, ROC AUC).',
      ]}
    />
  );
}
