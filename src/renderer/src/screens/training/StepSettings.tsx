/** Step 3: the training settings, from the authors' defaults or the fast preset, and how long it may take. */
import type { ReactNode } from 'react';
import type { ModelVersionInfo, TrainingSchedule } from '@shared/contract';
import { useStore } from '../../lib/store';
import { estimateTraining, formatDuration } from './estimate';
import { AUTHORS_SETTINGS, FAST_SETTINGS, scheduleSeconds, wizard, type TrainSettings } from './wizard-state';

const schedules: { value: TrainingSchedule; label: string; explain: string }[] = [
  {
    value: 'fast',
    label: 'Fast (default)',
    explain: 'Updates the learned context every 8 steps: within 0.1 point of Exact on our benchmark, about 5× quicker.',
  },
  {
    value: 'exact',
    label: 'Exact (authors’)',
    explain: 'Updates the context at every step, as in the paper: the reference, several times slower.',
  },
];

const same = (a: TrainSettings, b: TrainSettings): boolean =>
  a.epochs === b.epochs &&
  a.batchSize === b.batchSize &&
  a.lr === b.lr &&
  a.optimizer === b.optimizer &&
  a.views === b.views;

export function StepSettings(props: { versions: ModelVersionInfo[] | null }): ReactNode {
  const s = useStore(wizard);
  const t = s.settings;
  const set = (patch: Partial<TrainSettings>): void =>
    wizard.set((w) => ({ ...w, settings: { ...w.settings, ...patch } }));
  const preset = (p: TrainSettings): void => set({ ...p, seed: t.seed });
  const trainImages = s.preview ? Object.values(s.preview.counts).reduce((sum, c) => sum + c.train, 0) : 0;
  const estimate = estimateTraining(props.versions, { epochs: t.epochs, trainImages, views: t.views });
  return (
    <fieldset className="wizard-step">
      <legend>Settings</legend>
      <div className="segmented preset-buttons" role="group" aria-label="Presets">
        <button
          type="button"
          className="button"
          aria-pressed={same(t, AUTHORS_SETTINGS)}
          onClick={() => preset(AUTHORS_SETTINGS)}
        >
          Authors’ defaults
        </button>
        <button
          type="button"
          className="button"
          aria-pressed={same(t, FAST_SETTINGS)}
          onClick={() => preset(FAST_SETTINGS)}
        >
          Fast preset
        </button>
      </div>
      <p className="muted small">
        Authors’ defaults: SGD with momentum 0.9 and weight decay 5e-4, learning rate 0.002 on a cosine schedule over 50
        epochs after one warm-up epoch at 1e-5, batch 32, 4 context tokens. Fast preset: Adam, 10 epochs, batch 16. The
        best epoch on the validation images is kept.
      </p>
      <div className="schedule-choice" role="radiogroup" aria-label="Schedule">
        {schedules.map((o) => {
          const seconds = scheduleSeconds(s.preview, o.value, t.epochs);
          return (
            <label key={o.value} className="schedule-option">
              <input
                type="radio"
                name="training-schedule"
                value={o.value}
                checked={s.schedule === o.value}
                onChange={() => wizard.set((w) => ({ ...w, schedule: o.value }))}
              />
              <span>
                <strong>{o.label}</strong>
                {seconds !== null && (
                  <span data-testid={`schedule-estimate-${o.value}`}> · about {formatDuration(seconds)}</span>
                )}
                <span className="muted small schedule-explain">{o.explain}</span>
              </span>
            </label>
          );
        })}
      </div>
      {s.preview?.estimate && (
        <p className="muted small">
          Estimated from the {s.preview.estimate.basis}, for {t.epochs} epochs, image features included.
        </p>
      )}
      <div className="settings-grid">
        <label className="field">
          <span>Epochs</span>
          <input
            type="number"
            min={1}
            max={10000}
            value={t.epochs}
            onChange={(e) => set({ epochs: Math.floor(Number(e.target.value) || 0) })}
          />
        </label>
        <label className="field">
          <span>Batch size</span>
          <input
            type="number"
            min={1}
            value={t.batchSize}
            onChange={(e) => set({ batchSize: Math.floor(Number(e.target.value) || 0) })}
          />
        </label>
        <label className="field">
          <span>Learning rate</span>
          <input
            type="number"
            min={0}
            step={0.0005}
            value={t.lr}
            onChange={(e) => set({ lr: Number(e.target.value) || 0 })}
          />
        </label>
        <label className="field">
          <span>Optimizer</span>
          <select
            value={t.optimizer}
            onChange={(e) => set({ optimizer: e.target.value as TrainSettings['optimizer'] })}
          >
            <option value="sgd">SGD (momentum 0.9)</option>
            <option value="adam">Adam</option>
          </select>
        </label>
        <label className="field">
          <span>Augmented views per image</span>
          <input
            type="number"
            min={1}
            max={64}
            value={t.views}
            onChange={(e) => set({ views: Math.floor(Number(e.target.value) || 0) })}
          />
        </label>
      </div>
      <p className="estimate" data-testid="training-estimate">
        {estimate ? (
          <>
            <strong>Estimated training time: about {formatDuration(estimate.seconds)}</strong>
            <span className="muted">
              {' '}
              (from {estimate.basis}; images not seen before also need their features computed once)
            </span>
          </>
        ) : (
          <span className="muted">
            No earlier training on this workstation to estimate from; the first epoch will tell (the ETA shows then).
          </span>
        )}
      </p>
    </fieldset>
  );
}
