/**
 * One installed CLIP package: what it is, where it came from, its warnings, and removal behind a confirm step that
 * says plainly when it is the last usable package.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ModelPackageInfo } from '@shared/contract';
import { formatBytes, formatTimestamp } from '../../lib/format';
import { sourceLabel } from '../../lib/model-packages';

interface Props {
  pkg: ModelPackageInfo;
  isDefault: boolean;
  /** No other usable package would remain after removing this one. */
  lastUsable: boolean;
  /** Another model change is running: actions wait for it. */
  busy: boolean;
  onRemove(id: string): void;
}

const RANDOM_NOTE = 'random weights, not for clinical use';

/** A random-weights package's own warning, when it says more than the standard sentence shown anyway. */
function extraWarning(pkg: ModelPackageInfo): boolean {
  const w = pkg.warning?.trim().replace(/\.$/, '').toLowerCase();
  return w !== undefined && w !== '' && w !== RANDOM_NOTE;
}

function inputsLine(pkg: ModelPackageInfo): string | null {
  if (pkg.imageSize === null || pkg.contextLength === null || pkg.projectionDim === null) return null;
  return `${pkg.imageSize} px images, ${pkg.contextLength} text tokens, ${pkg.projectionDim}-d embeddings`;
}

function PackageFacts(props: { pkg: ModelPackageInfo }): ReactNode {
  const { pkg } = props;
  const inputs = inputsLine(pkg);
  return (
    <dl className="facts model-card__facts">
      {pkg.architecture ? (
        <>
          <dt>Architecture</dt>
          <dd>{pkg.architecture}</dd>
        </>
      ) : null}
      {inputs ? (
        <>
          <dt>Inputs</dt>
          <dd>{inputs}</dd>
        </>
      ) : null}
      {pkg.sourceKind ? (
        <>
          <dt>Source</dt>
          <dd className="break">
            {sourceLabel(pkg.sourceKind)}
            {pkg.sourceRef ? (
              <>
                {' '}
                <code>{pkg.sourceRef}</code>
              </>
            ) : null}
          </dd>
        </>
      ) : null}
      {pkg.revision ? (
        <>
          <dt>Revision</dt>
          <dd className="break">
            <code>{pkg.revision}</code>
          </dd>
        </>
      ) : null}
      <dt>Size</dt>
      <dd>{formatBytes(pkg.sizeBytes)}</dd>
      {pkg.createdAt ? (
        <>
          <dt>Created</dt>
          <dd>{formatTimestamp(pkg.createdAt)}</dd>
        </>
      ) : null}
    </dl>
  );
}

function ConfirmRemove(props: {
  pkg: ModelPackageInfo;
  isDefault: boolean;
  lastUsable: boolean;
  busy: boolean;
  onConfirm(): void;
  onCancel(): void;
}): ReactNode {
  const { pkg } = props;
  const cancelRef = useRef<HTMLButtonElement>(null);
  // Focus the safe choice: Enter right after "Remove…" must not delete anything.
  useEffect(() => cancelRef.current?.focus(), []);
  return (
    <div className="model-card__confirm" role="group" aria-label={`Confirm removing ${pkg.id}`}>
      <p>
        Remove <code>{pkg.id}</code> and delete its files ({formatBytes(pkg.sizeBytes)}) from the data folder? This
        cannot be undone.
        {props.isDefault ? ' It is the default package, used when none is named.' : ''}
      </p>
      {props.lastUsable ? (
        <p className="model-card__danger">
          <strong>This is the last usable CLIP package.</strong> Until you create or import another, nothing can be
          embedded, trained or classified. (The app creates the tiny demo again the next time it starts.)
        </p>
      ) : null}
      <div className="form__actions">
        <button type="button" className="button button--danger" disabled={props.busy} onClick={props.onConfirm}>
          {props.lastUsable ? 'Remove the last model' : 'Remove'}
        </button>
        <button type="button" className="button" ref={cancelRef} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function PackageCard(props: Props): ReactNode {
  const { pkg } = props;
  const [confirming, setConfirming] = useState(false);
  const removeRef = useRef<HTMLButtonElement>(null);
  const titleId = `model-${pkg.id}`;

  // After Cancel, focus goes back to the "Remove…" button once React has put it back.
  const returnFocus = useRef(false);
  useEffect(() => {
    if (confirming || !returnFocus.current) return;
    returnFocus.current = false;
    removeRef.current?.focus();
  }, [confirming]);

  const cancel = (): void => {
    returnFocus.current = true;
    setConfirming(false);
  };

  return (
    <li
      className={`model-card${pkg.ok ? '' : ' model-card--damaged'}${props.isDefault ? ' model-card--default' : ''}`}
      aria-labelledby={titleId}
      data-testid={`model-${pkg.id}`}
    >
      <div className="model-card__head">
        <h3 id={titleId} className="model-card__id">
          {pkg.id}
        </h3>
        {props.isDefault ? <span className="tag tag--accent">Default</span> : null}
        {pkg.randomWeights ? <span className="tag tag--warn">Random weights</span> : null}
        {pkg.ok ? null : <span className="tag tag--danger">Damaged</span>}
        <span className="model-card__spacer" />
        {confirming ? null : (
          <button
            type="button"
            className="button button--small"
            ref={removeRef}
            disabled={props.busy}
            aria-label={`Remove ${pkg.id}…`}
            onClick={() => setConfirming(true)}
          >
            Remove…
          </button>
        )}
      </div>
      {pkg.name && pkg.name !== pkg.id ? <p className="model-card__name">{pkg.name}</p> : null}
      {pkg.ok ? (
        <PackageFacts pkg={pkg} />
      ) : (
        <p className="model-card__error break">{pkg.error ?? 'This package cannot be opened.'}</p>
      )}
      {pkg.randomWeights ? (
        <p className="model-card__warning">
          <span aria-hidden="true">⚠ </span>
          Random weights, not for clinical use: predictions made with this package mean nothing.
          {extraWarning(pkg) ? <span className="muted"> Package note: {pkg.warning}</span> : null}
        </p>
      ) : pkg.warning ? (
        <p className="model-card__warning">
          <span aria-hidden="true">⚠ </span>
          {pkg.warning}
        </p>
      ) : null}
      {confirming ? (
        <ConfirmRemove
          pkg={pkg}
          isDefault={props.isDefault}
          lastUsable={props.lastUsable}
          busy={props.busy}
          onCancel={cancel}
          onConfirm={() => {
            setConfirming(false);
            props.onRemove(pkg.id);
          }}
        />
      ) : null}
    </li>
  );
}
