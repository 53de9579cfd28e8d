import type { ReactNode } from 'react';
import { PlannedScreen } from './PlannedScreen';

export function ModelsScreen(): ReactNode {
  return (
    <PlannedScreen
      title="Models"
      summary="There is no model API yet, so no models are listed. A model is a CLIP package (image and text towers) plus trained ViP versions built on it."
      plans={[
        'The installed CLIP packages, with their source, checksums and whether they are the random-weight demo model.',
        'Trained model versions per task with their metrics; which one is active, and switching back in one click.',
        'Importing and exporting a model version as one file with a checksum.',
      ]}
    />
  );
}
