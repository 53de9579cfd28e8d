/**
 * Generate a demo CLIP package (`models.createDemo`): an id, a preset and a seed; then the build's steps with a
 * progress bar and Cancel, and how it ended.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { z } from 'zod';
import { DemoPreset } from '@shared/contract';
import { useModels } from '../../api/models-state';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { freeId, packageIdProblem } from '../../lib/model-packages';
import { BuildProgressView, JobOutcome, useModelJob } from './ModelJobView';

type Preset = z.infer<typeof DemoPreset>;

const PRESETS: Array<{ value: Preset; label: string }> = [
  { value: 'tiny', label: 'tiny: a small network, seconds and about 30 MB of disk' },
  { value: 'vit-b32', label: 'vit-b32: the size of CLIP ViT-B/32, minutes and GBs' },
  { value: 'vit-b16', label: 'vit-b16: the size of CLIP ViT-B/16, minutes and GBs' },
  { value: 'vit-l14', label: 'vit-l14: the size of CLIP ViT-L/14, the largest' },
];

const MAX_SEED = 0xffffffff;

function suggestedId(preset: Preset, taken: readonly string[]): string {
  return freeId(preset === 'tiny' ? 'demo' : `demo-${preset}`, taken);
}

function seedProblem(text: string): string | null {
  if (!/^\d{1,10}$/.test(text.trim()) || Number(text) > MAX_SEED) return `Use a whole number from 0 to ${MAX_SEED}.`;
  return null;
}

export function CreateDemoForm(props: { taken: readonly string[] }): ReactNode {
  const api = useVip();
  const { view } = useModels();
  const job = useModelJob('create-demo');
  const [preset, setPreset] = useState<Preset>('tiny');
  // null while the user has not typed an id: the suggestion then follows the preset and the installed ids.
  const [idDraft, setIdDraft] = useState<string | null>(null);
  const [seed, setSeed] = useState('0');
  const id = idDraft ?? suggestedId(preset, props.taken);
  const idProblem = packageIdProblem(id.trim(), props.taken);
  const seedError = seedProblem(seed);
  const busy = job.starting || job.active;
  const finished = job.progress?.phase === 'finished' ? job.progress : null;

  // Once the package exists, its id is taken: propose the next free one rather than flag the one typed.
  const completedJob = finished?.status === 'completed' ? finished.jobId : null;
  const [clearedFor, setClearedFor] = useState<number | null>(null);
  if (completedJob !== null && completedJob !== clearedFor) {
    setClearedFor(completedJob);
    setIdDraft(null);
  }

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy || idProblem || seedError) return;
    const chosen = { id: id.trim(), preset, seed: Number(seed) };
    await job.start(() => api.call('models.createDemo', chosen));
  };

  return (
    <form className="form model-form" onSubmit={(e) => void submit(e)} aria-labelledby="create-demo-title">
      <h2 id="create-demo-title">Create a demo package</h2>
      <p className="muted">
        A generated CLIP with random weights: every part of the app works with it, but its predictions mean nothing.
      </p>
      <fieldset className="model-form__fields" disabled={busy}>
        <label className="field">
          <span>Preset</span>
          <select value={preset} onChange={(e) => setPreset(DemoPreset.parse(e.target.value))}>
            {PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
          {preset === 'tiny' ? (
            <small className="muted">Ready in seconds.</small>
          ) : (
            <small className="model-form__caution">
              The larger presets have real CLIP sizes: creating one takes minutes and GBs of disk and memory on the
              engine&apos;s machine.
            </small>
          )}
        </label>
        <div className="model-form__row">
          <label className="field">
            <span>Package id</span>
            <input
              type="text"
              value={id}
              maxLength={64}
              spellCheck={false}
              aria-invalid={idProblem ? true : undefined}
              aria-describedby={idProblem ? 'create-id-problem' : undefined}
              onChange={(e) => setIdDraft(e.target.value)}
            />
            {idProblem ? (
              <small id="create-id-problem" className="field__problem">
                {idProblem}
              </small>
            ) : null}
          </label>
          <label className="field model-form__seed">
            <span>Seed</span>
            <input
              type="text"
              inputMode="numeric"
              value={seed}
              aria-invalid={seedError ? true : undefined}
              aria-describedby={seedError ? 'create-seed-problem' : undefined}
              onChange={(e) => setSeed(e.target.value)}
            />
            {seedError ? (
              <small id="create-seed-problem" className="field__problem">
                {seedError}
              </small>
            ) : null}
          </label>
        </div>
      </fieldset>
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={busy || !!idProblem || !!seedError}>
          {job.starting ? 'Starting…' : job.active ? 'Creating…' : 'Create demo package'}
        </button>
      </div>
      {job.startError ? <ErrorNotice title="Could not create the demo package" error={job.startError} /> : null}
      {job.active && job.jobId !== null ? (
        <BuildProgressView
          kind="create-demo"
          packageId={job.progress?.packageId ?? id}
          progress={job.progress}
          cancelling={job.cancelling}
          onCancel={job.cancel}
        />
      ) : null}
      {finished ? <JobOutcome p={finished} packages={view.list?.packages ?? []} onDismiss={job.dismiss} /> : null}
    </form>
  );
}
