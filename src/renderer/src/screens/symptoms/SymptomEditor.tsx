/**
 * The symptoms of one version, editable: reword, move up or down, remove, add, and take back a candidate the
 * generator dropped. Saving makes a new, unapproved version (the one shown is never changed).
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { SymptomSetVersionDetail } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { add, cleaned, draftOf, draftProblem, isChanged, move, remove, reword, type Draft } from './symptom-draft';

function AddSymptom(props: { className: string; onAdd: (text: string) => void }): ReactNode {
  const [text, setText] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (text.trim() === '') return;
    props.onAdd(text);
    setText('');
  };
  return (
    <form className="symptom-add" onSubmit={submit}>
      <input
        type="text"
        value={text}
        maxLength={300}
        placeholder="A plain visual description"
        aria-label={`New symptom for ${props.className}`}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" className="button button--small" disabled={text.trim() === ''}>
        Add
      </button>
    </form>
  );
}

export function SymptomEditor(props: {
  version: SymptomSetVersionDetail;
  onSaved: (saved: SymptomSetVersionDetail, created: boolean) => void;
  onDirtyChange: (dirty: boolean) => void;
}): ReactNode {
  const api = useVip();
  const { version } = props;
  const [draft, setDraftState] = useState<Draft>(() => draftOf(version.classes));
  const [note, setNote] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const dirty = isChanged(draft, version.classes);
  const problem = dirty ? draftProblem(draft) : null;

  const setDraft = (next: Draft): void => {
    setDraftState(next);
    setError(null);
    props.onDirtyChange(isChanged(next, version.classes));
  };

  const save = async (): Promise<void> => {
    if (!dirty || problem) return;
    setSaving(true);
    setError(null);
    try {
      const result = await api.call('symptoms.saveVersion', {
        baseVersionId: version.id,
        classes: cleaned(draft),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      props.onDirtyChange(false);
      props.onSaved(result.version, result.created);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const takenBack = (className: string, text: string): boolean =>
    draft.some((c) => c.name === className && c.symptoms.some((s) => s.toLowerCase() === text.toLowerCase()));

  return (
    <div className="symptom-editor">
      {draft.map((cls, ci) => (
        <fieldset key={cls.name} className="symptom-class">
          <legend>{cls.name}</legend>
          <ol className="symptom-class__list">
            {cls.symptoms.map((s, i) => (
              <li key={`${i}:${cls.symptoms.length}`} className="symptom-row">
                <input
                  type="text"
                  value={s}
                  maxLength={300}
                  aria-label={`Symptom ${i + 1} of ${cls.name}`}
                  onChange={(e) => setDraft(reword(draft, ci, i, e.target.value))}
                />
                <button
                  type="button"
                  className="button button--small button--quiet"
                  aria-label={`Move symptom ${i + 1} of ${cls.name} up`}
                  disabled={i === 0}
                  onClick={() => setDraft(move(draft, ci, i, -1))}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="button button--small button--quiet"
                  aria-label={`Move symptom ${i + 1} of ${cls.name} down`}
                  disabled={i === cls.symptoms.length - 1}
                  onClick={() => setDraft(move(draft, ci, i, 1))}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="button button--small button--quiet"
                  aria-label={`Remove symptom ${i + 1} of ${cls.name}`}
                  onClick={() => setDraft(remove(draft, ci, i))}
                >
                  ✕
                </button>
              </li>
            ))}
          </ol>
          <AddSymptom className={cls.name} onAdd={(text) => setDraft(add(draft, ci, text))} />
        </fieldset>
      ))}

      {version.dropped.length > 0 ? (
        <details className="symptom-dropped">
          <summary>Candidates the generator dropped ({version.dropped.length}), with the reason for each</summary>
          <ul className="plain-list">
            {version.dropped.map((d) => {
              const ci = draft.findIndex((c) => c.name === d.className);
              return (
                <li key={`${d.className}:${d.text}`} className="symptom-dropped__item">
                  <span>
                    <strong>{d.className}</strong>: “{d.text}” <span className="muted">{d.reason}</span>
                  </span>
                  <button
                    type="button"
                    className="button button--small"
                    disabled={ci < 0 || takenBack(d.className, d.text)}
                    onClick={() => setDraft(add(draft, ci, d.text))}
                  >
                    Add back
                  </button>
                </li>
              );
            })}
          </ul>
        </details>
      ) : null}

      <div className="symptom-save">
        <label className="field">
          <span>Note for the record (optional)</span>
          <input type="text" value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
        </label>
        <div className="form__actions">
          <button
            type="button"
            className="button button--primary"
            disabled={!dirty || saving || problem !== null}
            onClick={() => void save()}
          >
            {saving ? 'Saving…' : 'Save as a new version'}
          </button>
          <button
            type="button"
            className="button"
            disabled={!dirty || saving}
            onClick={() => setDraft(draftOf(version.classes))}
          >
            Discard changes
          </button>
          <span className="muted" role="status">
            {problem ?? (dirty ? 'Unsaved changes: saving creates a new version that needs approval.' : '')}
          </span>
        </div>
        {error ? <ErrorNotice title="Could not save the symptoms" error={error} /> : null}
      </div>
    </div>
  );
}
