/** How a model change ended: a short confirmation, or the error with its detail one click away. */
import type { ReactNode } from 'react';
import type { ModelOutcome } from '../../api/models-state';
import { ErrorNotice } from '../../components/ErrorNotice';

export function OutcomeNotice(props: { outcome: ModelOutcome; failTitle: string; onDismiss(): void }): ReactNode {
  const { outcome } = props;
  if (!outcome.ok) return <ErrorNotice title={props.failTitle} error={outcome.error} />;
  return (
    <div className="model-done" role="status">
      <span>{outcome.message}</span>
      <button type="button" className="button button--quiet button--small" onClick={props.onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
