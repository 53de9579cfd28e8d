/** Generate a demo CLIP package (`models.createDemo`): an id, a preset and a seed. */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { z } from 'zod';
import { DemoPreset } from '@shared/contract';
import { useModels } from '../../api/models-state';
import { useVip } from '../../api/vip-context';
import { formatBytes } from '../../lib/format';
import { freeId, packageIdProblem } from '../../lib/model-packages';
import { OutcomeNotice } from './OutcomeNotice';

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
  const { view, run, dismissOutcome } = useModels();
  const [preset, setPreset] = useState<Preset>('tiny');
  // null while the user has not typed an id: the suggestion then follows the preset and the installed ids.
  const [idDraft, setIdDraft] = useState<string | null>(null);
  const [seed, setSeed] = useState('0');
  const id = idDraft ?? suggestedId(preset, props.taken);
  const idProblem = packageIdProblem(id.trim(), props.taken);
  const seedError = seedProblem(seed);
  const busy = view.task !== null;
  const outcome = view.outcome?.action === 'create' ? view.outcome : null;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy || idProblem || seedError) return;
    const chosen = { id: id.trim(), preset, seed: Number(seed) };
    const ok = await run('create', `Creating the demo package "${chosen.id}" (${preset})`, async () => {
      const info = await api.call('models.createDemo', chosen);
      return `Created "${info.id}": ${info.architecture ?? preset}, ${formatBytes(info.sizeBytes)}.`;
    });
    if (ok) setIdDraft(null);
  };

  return (
    <form className="form model-form" onSubmit={(e) => void submit(e)} aria-labelledby="create-demo-title">
      <h2 id="create-demo-title">Create a demo package</h2>
      <p className="muted">
        A generated CLIP with random weights: every part of the app works with it, but its predictions mean nothing.
      </p>
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
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={busy || !!idProblem || !!seedError}>
          {view.task?.action === 'create' ? 'Creating…' : 'Create demo package'}
        </button>
      </div>
      {outcome ? <OutcomeNotice outcome={outcome} failTitle="Could not create the demo package" onDismiss={dismissOutcome} /> : null}
    </form>
  );
}
