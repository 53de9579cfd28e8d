/** Step 1: which symptom set the new version builds on (built-in, or a JSON file on the engine's machine) and its task. */
import type { ReactNode } from 'react';
import { useStore } from '../../lib/store';
import { BUILTIN_SETS, wizard, type BuiltinSet } from './wizard-state';

export function StepTask(): ReactNode {
  const s = useStore(wizard);
  const set = (patch: Partial<typeof s>): void => wizard.set((w) => ({ ...w, ...patch }));
  const filePath = s.symptoms.kind === 'file' ? s.symptoms.path : '';
  return (
    <fieldset className="wizard-step">
      <legend>Task and symptom set</legend>
      <p className="muted">
        A ViP version learns how to weigh the visual symptoms of each class. The classes come from the symptom set; the
        labelled data must use the same class names.
      </p>
      <div className="choice-list" role="radiogroup" aria-label="Symptom set">
        {(Object.keys(BUILTIN_SETS) as BuiltinSet[]).map((id) => (
          <label key={id} className="choice">
            <input
              type="radio"
              name="symptom-set"
              checked={s.symptoms.kind === 'builtin' && s.symptoms.id === id}
              onChange={() => set({ symptoms: { kind: 'builtin', id } })}
            />
            <span className="choice__body">
              <span className="choice__title">
                {BUILTIN_SETS[id].title} <span className="tag tag--warn">built-in, not approved at this site</span>
              </span>
              <span className="choice__sub">{BUILTIN_SETS[id].classes}</span>
            </span>
          </label>
        ))}
        <label className="choice">
          <input
            type="radio"
            name="symptom-set"
            checked={s.symptoms.kind === 'file'}
            onChange={() => set({ symptoms: { kind: 'file', path: filePath } })}
          />
          <span className="choice__body">
            <span className="choice__title">
              A symptom set file <span className="tag tag--accent">approved by you when training starts</span>
            </span>
            <span className="choice__sub">
              JSON on the engine’s machine: {'{"class": ["symptom", …], …}'}, class order as written.
            </span>
          </span>
        </label>
      </div>
      {s.symptoms.kind === 'file' ? (
        <label className="field">
          <span>Symptom set file (path on the engine’s machine)</span>
          <input
            type="text"
            value={filePath}
            placeholder="/data/symptoms/lesions.json"
            onChange={(e) => set({ symptoms: { kind: 'file', path: e.target.value } })}
          />
        </label>
      ) : null}
      <label className="field field--narrow">
        <span>Task name (optional; defaults to the symptom set’s name)</span>
        <input type="text" maxLength={200} value={s.task} onChange={(e) => set({ task: e.target.value })} />
      </label>
      <p className="muted small">
        Each task has at most one active version; activating a new one replaces the previous one of the same task.
      </p>
    </fieldset>
  );
}
