/** The model change in progress, with how long it has run; the rest of the app stays usable meanwhile. */
import type { ReactNode } from 'react';
import type { ModelTask } from '../../api/models-state';
import { useNow } from '../../lib/use-now';

function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function TaskProgress(props: { task: ModelTask }): ReactNode {
  const now = useNow(true);
  return (
    <div className="model-task" role="status" data-testid="model-task">
      <span className="spinner" aria-hidden="true" />
      <span>{props.task.label}…</span>
      <span className="muted">{formatElapsed(now - props.task.startedAt)} elapsed</span>
      <span className="muted model-task__hint">You can use other screens meanwhile.</span>
    </div>
  );
}
