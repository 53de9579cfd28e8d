/**
 * Where a version came from: who made it and when, the generator's record (endpoint, model, every question and raw
 * answer, the grids' images by name), the edits and who made them, and which model versions were trained on it.
 * The record is read by shape: older versions carry less of it.
 */
import type { ReactNode } from 'react';
import type { SymptomSetVersionDetail } from '@shared/contract';

interface CallRecord {
  stage: number;
  className: string;
  grid?: { index: number; sources: string[] };
  prompt: string;
  answer: string | null;
  answeredBy: string | null;
  error?: string;
  at: string;
  ms: number;
}

interface GenerationView {
  startedAt: string;
  finishedAt: string;
  endpoint: string;
  model: string;
  answeredBy: string[];
  status: string;
  options: { k: number; grids: number; stages: number; imagesSource: string | null; matching: { clip: string | null } };
  calls: CallRecord[];
}

interface EditView {
  at: string;
  by: string;
  fromVersionId: number;
  note: string | null;
  changes: Record<string, { added: string[]; removed: string[]; reordered: boolean }>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function generationOf(p: Record<string, unknown> | null): GenerationView | null {
  const g = p?.['generation'];
  return isObject(g) && Array.isArray(g['calls']) ? (g as unknown as GenerationView) : null;
}

function editsOf(p: Record<string, unknown> | null): EditView[] {
  const e = p?.['edits'];
  return Array.isArray(e) ? (e.filter(isObject) as unknown as EditView[]) : [];
}

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function describeChanges(changes: EditView['changes']): string {
  return Object.entries(changes)
    .map(([cls, c]) => {
      const parts = [
        c.added.length ? `added ${c.added.map((s) => `“${s}”`).join(', ')}` : '',
        c.removed.length ? `removed ${c.removed.map((s) => `“${s}”`).join(', ')}` : '',
        c.reordered ? 'reordered' : '',
      ].filter(Boolean);
      return `${cls}: ${parts.join('; ')}`;
    })
    .join(' · ');
}

export function ProvenancePanel(props: { version: SymptomSetVersionDetail }): ReactNode {
  const v = props.version;
  const generation = generationOf(v.provenance);
  const edits = editsOf(v.provenance);
  const source = v.provenance?.['source'];
  return (
    <section className="symptom-provenance" aria-labelledby="provenance-title">
      <h2 id="provenance-title">Provenance</h2>
      <dl className="facts">
        <dt>Origin</dt>
        <dd>
          {v.origin}
          {typeof source === 'string' ? <span className="muted break"> ({source})</span> : null}
        </dd>
        <dt>Created</dt>
        <dd>
          {time(v.createdAt)}
          {v.createdBy ? ` by ${v.createdBy}` : ''}
        </dd>
        <dt>Approval</dt>
        <dd>{v.approved ? `approved by ${v.approvedBy ?? '?'}, ${time(v.approvedAt ?? '')}` : 'not approved'}</dd>
        {generation ? (
          <>
            <dt>LLM</dt>
            <dd className="break">
              {generation.model} at {generation.endpoint}
              {generation.answeredBy.length ? ` (answered by ${generation.answeredBy.join(', ')})` : ''}
            </dd>
            <dt>Generated</dt>
            <dd>
              {time(generation.startedAt)}: {generation.options.stages === 2 ? 'stages 1 and 2' : 'stage 1 only'}, k ={' '}
              {generation.options.k}
              {generation.options.stages === 2
                ? `, ${generation.options.grids} grids per class from ${generation.options.imagesSource ?? 'images'}`
                : ''}
              ; near duplicates by {generation.options.matching.clip ?? 'words only'}
            </dd>
          </>
        ) : null}
        {v.usedBy.length > 0 ? (
          <>
            <dt>Trained on by</dt>
            <dd>{v.usedBy.map((m) => `${m.name} (#${m.id}${m.active ? ', active' : ''})`).join(', ')}</dd>
          </>
        ) : null}
      </dl>
      {v.warnings.length > 0 ? (
        <ul className="notice plain-list symptom-warnings">
          {v.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      {edits.length > 0 ? (
        <>
          <h3>Edits</h3>
          <ol className="symptom-edits">
            {edits.map((e) => (
              <li key={`${e.at}:${e.fromVersionId}`}>
                {time(e.at)}, <strong>{e.by}</strong> (from version #{e.fromVersionId}){e.note ? `: ${e.note}` : ''}
                <div className="muted">{describeChanges(e.changes)}</div>
              </li>
            ))}
          </ol>
        </>
      ) : null}
      {generation ? (
        <>
          <h3>Questions and raw answers ({generation.calls.length})</h3>
          {generation.calls.map((c, i) => (
            <details key={i} className="symptom-call">
              <summary>
                Stage {c.stage}, {c.className}
                {c.grid ? `, grid ${c.grid.index}` : ''} <span className="muted">{time(c.at)}</span>
                {c.error ? <span className="field__problem"> failed</span> : null}
              </summary>
              <p className="muted">Question</p>
              <pre>{c.prompt}</pre>
              {c.grid ? <p className="muted break">Grid images: {c.grid.sources.join(', ')}</p> : null}
              <p className="muted">Answer{c.answeredBy ? ` from ${c.answeredBy}` : ''}</p>
              <pre>{c.answer ?? c.error ?? ''}</pre>
            </details>
          ))}
        </>
      ) : null}
    </section>
  );
}
