/**
 * The model's view of the shown image, in two parts placed around the review: the prediction (what produced it:
 * mode, model version, symptom set, CLIP package; every class probability as a bar, class numbers being the review
 * shortcuts; a "Predict" control for the active version or a zero-shot mode), and the symptom evidence (per class,
 * its symptoms with similarity, MeP weight and contribution, and the prototype term).
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
      <label className="predict-controls__label" htmlFor="predict-mode">
        Model
      </label>
      <select id="predict-mode" value={mode} onChange={(e) => setMode(e.target.value as ModeChoice)}>
        <option value="auto">
          {props.active ? `Active version #${props.active.id} (${props.active.task})` : 'Zero-shot (no active version)'}
        </option>
        <option value="zeroshot-symptoms">Zero-shot · visual symptoms</option>
        <option value="zeroshot-classname">Zero-shot · class names</option>
      </select>
      {zeroShot ? (
        <>
          <label className="predict-controls__label" htmlFor="predict-set">
            Symptoms
          </label>
          <select id="predict-set" value={set} onChange={(e) => setSet(e.target.value as SetChoice)}>
            <option value="">Built-in set by modality</option>
            <option value="chest-xray">Chest X-ray (built-in)</option>
            <option value="dermoscopy">Dermoscopy (built-in)</option>
          </select>
        </>
      ) : null}
      <button
        type="button"
        className="button button--primary predict-controls__go"
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
        <span className="muted"> · {formatTimestamp(p.createdAt)}</span>
      </dd>
    </dl>
  );
}

export function PredictionPanel(props: {
  state: CasePredictions;
  prediction: StoredPrediction | null;
  activeVersion: ModelVersionInfo | null;
}): ReactNode {
  const { state, prediction: p } = props;
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
        </>
      )}
    </section>
  );
}

export function SymptomEvidence(props: { prediction: StoredPrediction | null }): ReactNode {
  const p = props.prediction;
  if (!p) return null;
  const scales = evidenceScales(p);
  return (
    <section className="evidence evidence--symptoms" aria-labelledby="symptoms-title" data-testid="symptom-evidence">
      <h2 id="symptoms-title">Symptom evidence</h2>
      <div className="evidence-legend" aria-hidden="true">
        <span className="evidence-legend__item evidence-legend__item--similarity">Similarity to image</span>
        <span className="evidence-legend__item evidence-legend__item--weight">MeP weight</span>
        <span className="evidence-legend__item evidence-legend__item--contribution">Contribution to score</span>
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
        Each class score is its prototype term plus its symptoms’ contributions. Similarity and contribution bars are
        scaled to the largest value in this prediction; weights to 1.
      </p>
    </section>
  );
}
