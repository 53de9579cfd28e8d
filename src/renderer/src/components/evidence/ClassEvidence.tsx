/**
 * Why one class scored what it did: its logit split into the prototype term and each symptom's contribution, the
 * symptoms ranked by contribution, each with its similarity to this image, its MeP weight and its contribution.
 */
import type { ReactNode } from 'react';
import type { StoredPrediction } from '@shared/contract';
import { MetricBar } from './MetricBar';
import { signed, type EvidenceScales } from './evidence-format';

export function ClassEvidence(props: {
  prediction: StoredPrediction;
  className: string;
  index: number;
  scales: EvidenceScales;
  open: boolean;
}): ReactNode {
  const { prediction: p, className: cls, scales } = props;
  const symptoms = [...(p.symptoms[cls] ?? [])].sort((a, b) => b.contribution - a.contribution);
  const prototype = p.prototypeContribution[cls] ?? 0;
  const fromSymptoms = symptoms.reduce((sum, s) => sum + s.contribution, 0);
  const logit = p.logits[props.index];
  const predicted = cls === p.predictedClass;
  return (
    <details className={`class-evidence${predicted ? ' class-evidence--predicted' : ''}`} open={props.open}>
      <summary>
        <span className="class-evidence__name">{cls}</span>
        <span className="class-evidence__sum">
          {logit !== undefined ? `logit ${logit.toFixed(2)} = ` : ''}prototype {signed(prototype)} + symptoms{' '}
          {signed(fromSymptoms)}
        </span>
      </summary>
      {symptoms.length === 0 ? (
        <p className="muted class-evidence__none">
          Class-name prompt: no symptoms; the whole score is the prototype term.
        </p>
      ) : (
        <ol className="symptom-list" aria-label={`Symptoms of ${cls}, ranked by contribution`}>
          {symptoms.map((s) => (
            <li key={s.text} className="symptom">
              <p className="symptom__text">{s.text}</p>
              <div className="symptom__bars">
                <MetricBar
                  tone="similarity"
                  value={s.similarity}
                  scale={scales.similarity}
                  signed={scales.similaritySigned}
                  label={`Similarity to this image: ${s.text}`}
                  text={s.similarity.toFixed(3)}
                />
                <MetricBar
                  tone="weight"
                  value={s.weight}
                  scale={1}
                  label={`MeP weight: ${s.text}`}
                  text={s.weight.toFixed(2)}
                />
                <MetricBar
                  tone="contribution"
                  value={s.contribution}
                  scale={scales.contribution}
                  signed
                  label={`Contribution to the ${cls} score: ${s.text}`}
                  text={signed(s.contribution)}
                />
              </div>
            </li>
          ))}
        </ol>
      )}
      <div className="prototype-row">
        <span className="prototype-row__label" title="The part of the class score that is no symptom's">
          Prototype term
        </span>
        <MetricBar
          tone="prototype"
          value={prototype}
          scale={scales.contribution}
          signed
          label={`Prototype term of ${cls}`}
          text={signed(prototype)}
        />
      </div>
    </details>
  );
}
