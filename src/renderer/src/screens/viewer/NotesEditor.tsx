/** The reader's free-text notes on the case, saved with `cases.updateNotes` (button or Ctrl+S). */
import { useState, type KeyboardEvent, type ReactNode } from 'react';
import type { CaseDetail } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/format';

const MAX_NOTES = 20_000;

export function NotesEditor(props: {
  caseId: number;
  notes: string;
  onSaved: (detail: CaseDetail) => void;
  onDirtyChange: (dirty: boolean) => void;
}): ReactNode {
  const api = useVip();
  const [draft, setDraft] = useState(props.notes);
  const [base, setBase] = useState(props.notes);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const dirty = draft !== base;

  // Notes changed elsewhere (another window, the CLI): follow them unless the reader is mid-edit.
  if (props.notes !== base && !dirty) {
    setBase(props.notes);
    setDraft(props.notes);
  }

  const edit = (value: string): void => {
    setDraft(value);
    props.onDirtyChange(value !== base);
  };

  const save = async (): Promise<void> => {
    if (!dirty || saving) return;
    setSaving(true);
    setError(null);
    try {
      const detail = await api.call('cases.updateNotes', { id: props.caseId, notes: draft });
      const saved = detail.notes ?? '';
      setBase(saved);
      setDraft(saved);
      setSavedAt(new Date().toISOString());
      props.onDirtyChange(false);
      props.onSaved(detail);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): void => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      e.preventDefault();
      void save();
    }
  };

  return (
    <div className="notes">
      <label className="field">
        <span>Notes</span>
        <textarea
          rows={6}
          maxLength={MAX_NOTES}
          value={draft}
          onChange={(e) => edit(e.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby="notes-status"
        />
      </label>
      <div className="form__actions">
        <button
          type="button"
          className="button button--primary"
          disabled={!dirty || saving}
          onClick={() => void save()}
        >
          {saving ? 'Saving…' : 'Save notes'}
        </button>
        <button
          type="button"
          className="button"
          disabled={!dirty || saving}
          onClick={() => {
            setDraft(base);
            props.onDirtyChange(false);
          }}
        >
          Discard
        </button>
        <span id="notes-status" className="muted" role="status">
          {dirty ? 'Unsaved changes (Ctrl+S saves)' : savedAt ? `Saved ${formatTimestamp(savedAt)}` : ''}
        </span>
      </div>
      {error ? <ErrorNotice title="Could not save the notes" error={error} /> : null}
    </div>
  );
}
