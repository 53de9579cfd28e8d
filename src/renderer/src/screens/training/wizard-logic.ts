/**
 * The training wizard's choices as plain data (DOM-free, tested in Node): presets, the requests built from the
 * choices, and what keeps a step from going on.
 */
import type { Params, TrainingPreview, TrainingSchedule } from '@shared/contract';

export type WizardStep = 1 | 2 | 3 | 4 | 5;

/** Which symptoms the version builds on: an approved version of the store, or a JSON file (approved on start). */
export type SymptomChoice = { kind: 'none' } | { kind: 'stored'; id: number } | { kind: 'file'; path: string };

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: 'sgd' | 'adam';
  views: number;
  seed: number;
}

/** The authors' schedule: SGD (momentum 0.9, weight decay 5e-4), lr 0.002 cosine over 50 epochs, batch 32. */
export const AUTHORS_SETTINGS: TrainSettings = {
  epochs: 50,
  batchSize: 32,
  lr: 0.002,
  optimizer: 'sgd',
  views: 1,
  seed: 1,
};
/** A quick look: Adam converges in far fewer epochs on small data. */
export const FAST_SETTINGS: TrainSettings = {
  epochs: 10,
  batchSize: 16,
  lr: 0.002,
  optimizer: 'adam',
  views: 1,
  seed: 1,
};

export interface WizardState {
  step: WizardStep;
  symptoms: SymptomChoice;
  task: string;
  /** Reviewed cases, a labelled folder, or both together as one dataset. */
  source: 'reviews' | 'folder' | 'both';
  folder: string;
  splitFile: string;
  valPercent: number;
  preview: TrainingPreview | null;
  /** The data request the preview answered; a change of any input makes it stale. */
  previewKey: string | null;
  settings: TrainSettings;
  /** How often the context is updated: fast (every 8 steps, the default) or exact (the authors', every step). */
  schedule: TrainingSchedule;
  /** The run the screen follows (running or just finished). */
  runId: number | null;
}

export const initialWizard: WizardState = {
  step: 1,
  symptoms: { kind: 'none' },
  task: '',
  source: 'reviews',
  folder: '',
  splitFile: '',
  valPercent: 10,
  preview: null,
  previewKey: null,
  settings: FAST_SETTINGS,
  schedule: 'fast',
  runId: null,
};

export function symptomParams(s: WizardState): Pick<Params<'training.start'>, 'symptomSetVersionId' | 'symptomsPath'> {
  if (s.symptoms.kind === 'stored') return { symptomSetVersionId: s.symptoms.id };
  if (s.symptoms.kind === 'file') return { symptomsPath: s.symptoms.path.trim() };
  return {};
}

export function dataParams(s: WizardState): Params<'training.preview'> {
  return {
    ...symptomParams(s),
    ...(s.source !== 'folder' ? { fromReviews: true } : {}),
    ...(s.source !== 'reviews'
      ? { dataset: s.folder.trim(), ...(s.splitFile.trim() ? { splitFile: s.splitFile.trim() } : {}) }
      : {}),
    valFraction: s.valPercent / 100,
    seed: s.settings.seed,
  };
}

export const dataKey = (s: WizardState): string => JSON.stringify(dataParams(s));

export function startParams(s: WizardState): Params<'training.start'> {
  return {
    ...dataParams(s),
    ...(s.task.trim() ? { task: s.task.trim() } : {}),
    epochs: s.settings.epochs,
    batchSize: s.settings.batchSize,
    lr: s.settings.lr,
    optimizer: s.settings.optimizer,
    views: s.settings.views,
    schedule: s.schedule,
  };
}

/** Seconds a run may take with a schedule, from the preview's benchmark-based figures; null without them. */
export function scheduleSeconds(
  preview: TrainingPreview | null,
  schedule: TrainingSchedule,
  epochs: number,
): number | null {
  const e = preview?.estimate;
  return e ? e.featureSeconds + epochs * e.secondsPerEpoch[schedule] : null;
}

/** Problems that keep a step from going on, in words; empty when it may. */
export function stepProblems(s: WizardState, step: WizardStep): string[] {
  const out: string[] = [];
  if (step === 1 && s.symptoms.kind === 'none') out.push('Choose an approved symptom set.');
  if (step === 1 && s.symptoms.kind === 'file' && !s.symptoms.path.trim())
    out.push('Give the path of the symptom set file.');
  if (step === 2 && s.symptoms.kind === 'none') out.push('Choose an approved symptom set first.');
  if (step === 2) {
    if (s.source !== 'reviews' && !s.folder.trim()) out.push('Give the path of the labelled folder.');
    if (!s.preview || s.previewKey !== dataKey(s)) out.push('Count the data first (it checks the folder or reviews).');
    else if (s.preview.problem) out.push(s.preview.problem);
  }
  if (step === 3) {
    const t = s.settings;
    if (!(Number.isInteger(t.epochs) && t.epochs >= 1 && t.epochs <= 10_000)) out.push('Epochs: 1 to 10,000.');
    if (!(Number.isInteger(t.batchSize) && t.batchSize >= 1 && t.batchSize <= 65_536))
      out.push('Batch size: 1 or more.');
    if (!(t.lr > 0 && t.lr <= 10)) out.push('Learning rate: above 0, at most 10.');
    if (!(Number.isInteger(t.views) && t.views >= 1 && t.views <= 64)) out.push('Augmented views: 1 to 64.');
  }
  return out;
}
