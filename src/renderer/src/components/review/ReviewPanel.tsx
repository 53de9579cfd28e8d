/**
 * The clinician's verdict on the case: agree with the model (A) or choose the class (1..9), with an optional note.
 * Saved at once with the reviewer name from Settings and the time; the latest review and its history show below.
 */
import type { ReactNode } from 'react';
import type { ReviewInfo, StoredPrediction } from '@shared/contract';
import { formatTimestamp } from '../../lib/format';
import { routeHref } from '../../lib/router';
import { ErrorNotice } from '../ErrorNotice';
import type { CaseReview } from './use-case-review';
import './review.css';

function verdict(r: ReviewInfo): string {
  if (r.agreesWithModel === true) return 'agrees with the model';
  if (r.agreesWithModel === false) return 'differs from the model';
  return 'no model prediction at the time';
}

function ReviewLine(props: { review: ReviewInfo }): ReactNode {
  const r = props.review;
  return (
    <>
      <strong>{r.label}</strong>{' '}
      <span className={`review-verdict review-verdict--${String(r.agreesWithModel)}`}>({verdict(r)})</span>
      <span className="muted">
        {' '}
        · {r.reviewer} · {formatTimestamp(r.createdAt)}
      </span>
      {r.note ? <span className="review-note-text">“{r.note}”</span> : null}
    </>
  );
}

export function ReviewPanel(props: {
  review: CaseReview;
  prediction: StoredPrediction | null;
  imageId: number | null;
  reviewerName: string | null;
}): ReactNode {
  const { review, prediction: p } = props;
  const latest = review.reviews?.[0] ?? null;
  const classes = p?.classes ?? [];
  const save = (label: string): void => void review.save(label, props.imageId);
  return (
    <section className="review" aria-labelledby="review-title" data-testid="review-panel">
      <h2 id="review-title">Review</h2>
      <p className="review__status" data-testid="review-status">
        {latest ? <ReviewLine review={latest} /> : <span className="muted">Not reviewed yet.</span>}
      </p>
      {p ? (
        <>
          <div className="review__actions">
            <button
              type="button"
              className="button button--primary"
              disabled={review.saving}
              onClick={() => save(p.predictedClass)}
            >
              Agree: {p.predictedClass} <kbd>A</kbd>
            </button>
          </div>
          <div className="review__classes" role="group" aria-label="Choose the class">
            {classes.map((c, i) => (
              <button
                key={c}
                type="button"
                className="button button--small"
                disabled={review.saving}
                aria-pressed={latest?.label === c}
                onClick={() => save(c)}
              >
                {i < 9 ? <kbd>{i + 1}</kbd> : null} {c}
              </button>
            ))}
          </div>
        </>
      ) : (
        <p className="muted">Predict first: the review chooses among the prediction’s classes.</p>
      )}
      <label className="field review__note">
        <span>Review note (saved with the next verdict)</span>
        <textarea rows={2} maxLength={20_000} value={review.note} onChange={(e) => review.setNote(e.target.value)} />
      </label>
      <p className="review__saved" role="status">
        {review.saving
          ? 'Saving…'
          : review.justSaved
            ? `Saved: ${review.justSaved.label} by ${review.justSaved.reviewer}.`
            : null}
      </p>
      {props.reviewerName === '' ? (
        <p className="muted review__who">
          Reviews are signed with the computer’s user name. Set your name in{' '}
          <a href={routeHref({ name: 'settings' })}>Settings</a>.
        </p>
      ) : null}
      {review.saveError ? <ErrorNotice title="The review was not saved" error={review.saveError} /> : null}
      {review.loadError ? <ErrorNotice title="Could not load the reviews" error={review.loadError} /> : null}
      {review.reviews && review.reviews.length > 1 ? (
        <details className="review__history">
          <summary>Earlier reviews ({review.reviews.length - 1})</summary>
          <ul className="plain-list">
            {review.reviews.slice(1).map((r) => (
              <li key={r.id}>
                <ReviewLine review={r} />
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
