/**
 * Reviewing one case: its review history (`cases.reviews`), the note being written, and `save(label)`, which the
 * review panel's buttons and the viewer's keyboard shortcuts both call.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReviewInfo } from '@shared/contract';
import { useOnReconnect, useVip, useVipEvent } from '../../api/vip-context';

export interface CaseReview {
  reviews: ReviewInfo[] | null;
  loadError: unknown;
  note: string;
  setNote(note: string): void;
  saving: boolean;
  saveError: unknown;
  /** The review saved in this visit, for the confirmation line. */
  justSaved: ReviewInfo | null;
  save(label: string, imageId: number | null): Promise<void>;
}

export function useCaseReview(caseId: number): CaseReview {
  const api = useVip();
  const [state, setState] = useState<{ caseId: number; reviews: ReviewInfo[] | null; error: unknown }>({
    caseId,
    reviews: null,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);
  const [note, setNote] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [justSaved, setJustSaved] = useState<ReviewInfo | null>(null);
  const busy = useRef(false);
  const reload = (): void => setAttempt((a) => a + 1);
  useOnReconnect(reload);
  useVipEvent('cases.changed', (p) => {
    if (p.caseIds.includes(caseId)) reload();
  });

  useEffect(() => {
    let live = true;
    api.call('cases.reviews', { caseId }).then(
      (r) => live && setState({ caseId, reviews: r.reviews, error: null }),
      (error: unknown) => live && setState((s) => ({ ...s, caseId, error })),
    );
    return () => {
      live = false;
    };
  }, [api, caseId, attempt]);

  const save = async (label: string, imageId: number | null): Promise<void> => {
    // A ref, not state: two key presses in one frame must not save twice.
    if (busy.current) return;
    busy.current = true;
    setSaving(true);
    setSaveError(null);
    try {
      const { review } = await api.call('cases.review', {
        caseId,
        label,
        ...(imageId !== null ? { imageId } : {}),
        ...(note.trim() ? { note } : {}),
      });
      setJustSaved(review);
      setNote('');
      reload();
    } catch (err) {
      setSaveError(err);
    } finally {
      busy.current = false;
      setSaving(false);
    }
  };

  return {
    reviews: state.caseId === caseId ? state.reviews : null,
    loadError: state.error,
    note,
    setNote,
    saving,
    saveError,
    justSaved,
    save,
  };
}
