/**
 * Step 1: which symptom set the new version builds on. Only approved versions can be trained on (a clinician approves
 * them on the Symptoms screen); unapproved ones are listed for reference. A JSON file on the engine's machine is the
 * other way in: starting the run counts as approving it.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { SymptomSetVersionSummary } from '@shared/contract';
import { useOnReconnect, useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/format';
import { routeHref } from '../../lib/router';
import { useStore } from '../../lib/store';
import { wizard } from './wizard-state';

function useSymptomVersions(): { versions: SymptomSetVersionSummary[] | null; error: unknown; reload: () => void } {
  const api = useVip();
  const [state, setState] = useState<{ versions: SymptomSetVersionSummary[] | null; error: unknown }>({
    versions: null,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);
  useEffect(() => {
    let live = true;
    api.call('symptoms.list', {}).then(
      (r) => live && setState({ versions: r.versions, error: null }),
      (error: unknown) => live && setState((s) => ({ ...s, error })),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  return { ...state, reload };
}

const classLine = (v: SymptomSetVersionSummary): string =>
  v.classes.map((c) => `${c.name} (${c.symptoms.length})`).join(' · ');

export function StepTask(): ReactNode {
  const s = useStore(wizard);
  const { versions, error, reload } = useSymptomVersions();
  const set = (patch: Partial<typeof s>): void => wizard.set((w) => ({ ...w, ...patch }));
  const filePath = s.symptoms.kind === 'file' ? s.symptoms.path : '';
  const approved = (versions ?? []).filter((v) => v.approved).sort((a, b) => b.id - a.id);
  const waiting = (versions ?? []).filter((v) => !v.approved).sort((a, b) => b.id - a.id);
  return (
    <fieldset className="wizard-step">
      <legend>Task and symptom set</legend>
      <p className="muted">
        A ViP version learns how to weigh the visual symptoms of each class. The classes come from the symptom set; the
        labelled data must use the same class names. Only approved symptom sets can be trained on.
      </p>
      {error ? <ErrorNotice title="Could not list the symptom sets" error={error} onRetry={reload} /> : null}
      <div className="choice-list" role="radiogroup" aria-label="Symptom set">
        {versions === null && !error ? <p className="muted">Loading the symptom sets…</p> : null}
        {versions !== null && approved.length === 0 ? (
          <p className="notice notice--small">
            No symptom set is approved yet. Approve one on the <a href={routeHref({ name: 'symptoms' })}>Symptoms</a>{' '}
            screen, or use a file below.
          </p>
        ) : null}
        {approved.map((v) => (
          <label key={v.id} className="choice">
            <input
              type="radio"
              name="symptom-set"
              checked={s.symptoms.kind === 'stored' && s.symptoms.id === v.id}
              onChange={() => set({ symptoms: { kind: 'stored', id: v.id } })}
            />
            <span className="choice__body">
              <span className="choice__title">
                {v.name} v{v.version} <span className="tag tag--accent">approved</span>
              </span>
              <span className="choice__sub">
                {classLine(v)} · task {v.task}
                {v.approvedBy ? ` · approved by ${v.approvedBy}` : ''}
                {v.approvedAt ? ` ${formatTimestamp(v.approvedAt)}` : ''}
              </span>
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
              A symptom set file <span className="tag">approved by you when training starts</span>
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
      {waiting.length > 0 ? (
        <details className="unapproved-sets">
          <summary>
            {waiting.length} symptom set version{waiting.length === 1 ? '' : 's'} awaiting approval
          </summary>
          <ul className="plain-list">
            {waiting.slice(0, 20).map((v) => (
              <li key={v.id}>
                {v.name} v{v.version} <span className="muted">· {classLine(v)}</span>
              </li>
            ))}
          </ul>
          <p className="muted small">
            A clinician reviews and approves them on the <a href={routeHref({ name: 'symptoms' })}>Symptoms</a> screen.
          </p>
        </details>
      ) : null}
      <label className="field field--narrow">
        <span>Task name (optional; defaults to the symptom set’s task)</span>
        <input type="text" maxLength={200} value={s.task} onChange={(e) => set({ task: e.target.value })} />
      </label>
      <p className="muted small">
        Each task has at most one active version; activating a new one replaces the previous one of the same task.
      </p>
    </fieldset>
  );
}
