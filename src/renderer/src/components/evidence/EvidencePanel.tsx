/**
 * The model's view of the shown image: what produced the prediction (mode, model version, symptom set, CLIP
 * package), every class probability as a bar (class numbers are the review shortcuts), and per class its symptoms
 * with similarity, MeP weight and contribution. A "Predict" control runs the active version or a zero-shot mode.
 */
import { useState, type ReactNode } from 'react';
import type { ModelVersionInfo, StoredPrediction } from '@shared/contract';
import { formatTimestamp } from '../../lib/format';
import { ErrorNotice } from '../ErrorNotice';
import { ClassEvidence } from './ClassEvidence';
import { MetricBar } from './MetricBar';
import { evidenceScales, modeLabel, percent } from './evidence-format';
import type { CasePredictions, PredictChoice } from './use-case-predictions';
import './evidence.css';

type ModeChoice = 'auto' | 'zeroshot-symptoms' | 'zeroshot-classname';
type SetChoice = '' | 'chest-xray' | 'dermoscopy';

function PredictControls(props: {
  active: ModelVersionInfo | null;
  busy: boolean;
  hasPrediction: boolean;
  onPredict: (choice: PredictChoice) => void;
}): ReactNode {
  const [mode, setMode] = useState<ModeChoice>('auto');
  const [set, setSet] = useState<SetChoice>('');
  const zeroShot = mode !== 'auto' || !props.active;
  const choice = (): PredictChoice => ({ mode, ...(zeroShot && set ? { symptomSet: set } : {}) });
  return (
    <div className="predict-controls">
      <label className="field field--inline">
        <span>Model</span>
        <select value={mode} onChange={(e) => setMode(e.target.value as ModeChoice)}>
          <option value="auto">
            {props.active ? `Active version: ${props.active.name}` : 'Automatic (no active version: zero-shot)'}
          </option>
          <option value="zeroshot-symptoms">Zero-shot · visual symptoms</option>
          <option value="zeroshot-classname">Zero-shot · class names</option>
        </select>
      </label>
      {zeroShot ? (
        <label className="field field--inline">
          <span>Symptom set</span>
          <select value={set} onChange={(e) => setSet(e.target.value as SetChoice)}>
            <option value="">By modality</option>
            <option value="chest-xray">Chest X-ray (built-in)</option>
            <option value="dermoscopy">Dermoscopy (built-in)</option>
          </select>
        </label>
      ) : null}
      <button
        type="button"
        className="button button--primary"
        disabled={props.busy}
        onClick={() => props.onPredict(choice())}
      >
        {props.busy ? 'Predicting…' : props.hasPrediction ? 'Predict again' : 'Predict'}
      </button>
    </div>
  );
}

function Provenance(props: { p: StoredPrediction }): ReactNode {
  const { p } = props;
  return (
    <dl className="facts provenance" data-testid="prediction-provenance">
      <dt>Mode</dt>
      <dd>{modeLabel(p.mode)}</dd>
      {p.versionId !== null ? (
        <>
          <dt>Version</dt>
          <dd>
            #{p.versionId} {p.versionName ?? ''}
          </dd>
        </>
      ) : null}
      <dt>Symptom set</dt>
      <dd>
        {p.symptomSetName ? `${p.symptomSetName}${p.symptomSetVersion ? ` v${p.symptomSetVersion}` : ''}` : '—'}
        {p.symptomSetApproved === false ? <span className="tag tag--warn">not approved</span> : null}
      </dd>
      <dt>CLIP model</dt>
      <dd>
        {p.modelPackageId ?? '—'}
        {p.randomWeights ? <span className="tag tag--warn">random weights</span> : null}
      </dd>
      <dt>Predicted</dt>
      <dd>{formatTimestamp(p.createdAt)}</dd>
    </dl>
  );
}

export function EvidencePanel(props: {
  state: CasePredictions;
  prediction: StoredPrediction | null;
  activeVersion: ModelVersionInfo | null;
}): ReactNode {
  const { state, prediction: p } = props;
  const scales = p ? evidenceScales(p) : null;
  return (
    <section className="evidence" aria-labelledby="evidence-title" data-testid="evidence-panel">
      <h2 id="evidence-title">Prediction</h2>
      <PredictControls
        active={props.activeVersion}
        busy={state.predicting}
        hasPrediction={p !== null}
        onPredict={(choice) => void state.predict(choice)}
      />
      {state.predictError ? <ErrorNotice title="The prediction failed" error={state.predictError} /> : null}
      {state.loadError ? (
        <ErrorNotice title="Could not load the saved prediction" error={state.loadError} onRetry={state.reload} />
      ) : null}
      {state.failures.length > 0 ? (
        <ErrorNotice
          title="Some images could not be predicted"
          error={{ message: state.failures.map((f) => `image ${f.imageId}: ${f.error}`).join('; ') }}
        />
      ) : null}
      {!p ? (
        <p className="muted evidence__empty">
          {state.predictions === null ? 'Loading…' : 'No prediction for this image yet. Press Predict.'}
        </p>
      ) : (
        <>
          <Provenance p={p} />
          {p.randomWeights ? (
            <p className="notice notice--small">
              Made with a random-weight demo model: the numbers show how the method works, not anything about this
              patient.
            </p>
          ) : null}
          <ol className="class-probs" aria-label="Class probabilities">
            {p.classes.map((c, i) => {
              const prob = p.probabilities[c] ?? 0;
              const top = c === p.predictedClass;
              return (
                <li key={c} className={`class-prob${top ? ' class-prob--top' : ''}`}>
                  <span className="class-prob__name">
                    {i < 9 ? <kbd title={`Review shortcut: ${i + 1}`}>{i + 1}</kbd> : null}
                    {c}
                  </span>
                  <MetricBar
                    tone="probability"
                    value={prob}
                    scale={1}
                    label={`Probability of ${c}`}
                    text={percent(prob)}
                    emphasis={top}
                  />
                </li>
              );
            })}
          </ol>
          <h2>Symptom evidence</h2>
          {scales ? (
            <>
              <div className="evidence-legend" aria-hidden="true">
                <span className="evidence-legend__item evidence-legend__item--similarity">Similarity to image</span>
                <span className="evidence-legend__item evidence-legend__item--weight">MeP weight</span>
                <span className="evidence-legend__item evidence-legend__item--contribution">Contribution</span>
              </div>
              {p.classes.map((c, i) => (
                <ClassEvidence
                  key={`${p.predictionId}:${c}`}
                  prediction={p}
                  className={c}
                  index={i}
                  scales={scales}
                  open={c === p.predictedClass}
                />
              ))}
              <p className="muted evidence__scale-note">
                Similarity and contribution bars are scaled to the largest value in this prediction; weights to 1.
              </p>
            </>
          ) : null}
        </>
      )}
    </section>
  );
}
