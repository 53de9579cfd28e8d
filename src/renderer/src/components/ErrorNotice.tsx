/** A failed call as a readable headline; the error code and technical detail are one click away. */
import type { ReactNode } from 'react';
import { toDisplayError } from '../lib/errors';

export function ErrorNotice(props: { error: unknown; title?: string; onRetry?: () => void }): ReactNode {
  const shown = toDisplayError(props.error);
  return (
    <div className="error-notice" role="alert">
      <p className="error-notice__message">
        {props.title ? <strong>{props.title}: </strong> : null}
        {shown.message}
      </p>
      {shown.code || shown.detail ? (
        <details className="error-notice__details">
          <summary>Details</summary>
          {shown.code ? (
            <p>
              Code: <code>{shown.code}</code>
            </p>
          ) : null}
          {shown.detail ? <pre>{shown.detail}</pre> : null}
        </details>
      ) : null}
      {props.onRetry ? (
        <button type="button" className="button" onClick={props.onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
