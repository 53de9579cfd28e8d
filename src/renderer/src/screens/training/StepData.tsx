/**
 * Step 2: the labelled data (reviewed cases of this workstation, a folder `<root>/<split>/<class>/` on the engine's
 * machine, or both as one dataset), the validation share held out per class, and the class balance as training will
 * see it (for both: of the union, each image once).
 */
import { useState, type ReactNode } from 'react';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useStore } from '../../lib/store';
import { dataKey, dataParams, wizard, type WizardState } from './wizard-state';

function BalanceTable(props: { preview: NonNullable<WizardState['preview']> }): ReactNode {
  const { preview } = props;
  const rows = preview.classes.map((c) => ({ name: c, ...(preview.counts[c] ?? { train: 0, val: 0, test: 0 }) }));
  const most = Math.max(1, ...rows.map((r) => r.train + r.val));
  const trainCounts = rows.map((r) => r.train).filter((n) => n > 0);
  const skew = trainCounts.length > 1 ? Math.max(...trainCounts) / Math.min(...trainCounts) : 1;
  return (
    <>
      <table className="balance" data-testid="class-balance">
        <caption>Class balance</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col" className="num">
              Train
            </th>
            <th scope="col" className="num">
              Validation
            </th>
            <th scope="col" className="num">
              Test
            </th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name}>
              <th scope="row">{r.name}</th>
              <td className="num">{r.train}</td>
              <td className="num">{r.val}</td>
              <td className="num">{r.test}</td>
              <td>
                <span className="balance__bar" aria-hidden="true">
                  <span className="balance__train" style={{ width: `${(r.train / most) * 100}%` }} />
                  <span className="balance__val" style={{ width: `${(r.val / most) * 100}%` }} />
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {preview.sources ? (
        <p className="small" data-testid="data-sources">
          Together: {preview.sources.folder} image{preview.sources.folder === 1 ? '' : 's'} from the folder and{' '}
          {preview.sources.reviewed} from reviewed cases
          {preview.sources.duplicates > 0
            ? `; ${preview.sources.duplicates} duplicate${preview.sources.duplicates === 1 ? '' : 's'} (same image content) counted once`
            : '; no duplicates'}
          .
        </p>
      ) : null}
      <p className="muted small">
        Validation:{' '}
        {preview.valSource === 'dataset'
          ? 'the folder’s own val/ split.'
          : preview.valSource === 'stratified'
            ? `held out of the training images${preview.sources ? ' of both sources' : ''} per class (stratified, seeded).`
            : 'none (the best epoch cannot be chosen on held-out data).'}
        {preview.skipped > 0 ? ` ${preview.skipped} unreadable image(s) will be skipped.` : ''}
      </p>
      {skew >= 3 ? (
        <p className="notice notice--small">
          The classes are unbalanced ({skew.toFixed(1)} : 1). Accuracy can look good while a small class is missed;
          watch the macro-F1 and the confusion matrix.
        </p>
      ) : null}
      {Object.keys(preview.unmatched).length > 0 ? (
        <p className="notice notice--small">
          Reviewed with labels that are no class of this set (not used):{' '}
          {Object.entries(preview.unmatched)
            .map(([label, n]) => `${label} (${n})`)
            .join(', ')}
          .
        </p>
      ) : null}
      {preview.problem ? <p className="field__problem">Cannot train on this yet: {preview.problem}</p> : null}
    </>
  );
}

export function StepData(): ReactNode {
  const api = useVip();
  const s = useStore(wizard);
  const [counting, setCounting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (patch: Partial<WizardState>): void => wizard.set((w) => ({ ...w, ...patch }));
  const fresh = s.preview !== null && s.previewKey === dataKey(s);

  const count = async (): Promise<void> => {
    const snapshot = wizard.get();
    setCounting(true);
    setError(null);
    try {
      const preview = await api.call('training.preview', dataParams(snapshot));
      wizard.set((w) => ({ ...w, preview, previewKey: dataKey(snapshot) }));
    } catch (err) {
      setError(err);
      wizard.set((w) => ({ ...w, preview: null, previewKey: null }));
    } finally {
      setCounting(false);
    }
  };

  return (
    <fieldset className="wizard-step">
      <legend>Labelled data</legend>
      <div className="choice-list" role="radiogroup" aria-label="Data source">
        <label className="choice">
          <input
            type="radio"
            name="data-source"
            checked={s.source === 'reviews'}
            onChange={() => set({ source: 'reviews' })}
          />
          <span className="choice__body">
            <span className="choice__title">Reviewed cases</span>
            <span className="choice__sub">Every image of each reviewed case, labelled with its latest review.</span>
          </span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name="data-source"
            checked={s.source === 'folder'}
            onChange={() => set({ source: 'folder' })}
          />
          <span className="choice__body">
            <span className="choice__title">A labelled folder</span>
            <span className="choice__sub">
              On the engine’s machine: <code>&lt;folder&gt;/train/&lt;class&gt;/…</code>, optional <code>val/</code> and{' '}
              <code>test/</code>.
            </span>
          </span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name="data-source"
            checked={s.source === 'both'}
            onChange={() => set({ source: 'both' })}
          />
          <span className="choice__body">
            <span className="choice__title">Reviewed cases and a labelled folder</span>
            <span className="choice__sub">
              One dataset: each image once (by content; the review’s label wins), validation drawn from the union, the
              folder’s <code>test/</code> kept for testing.
            </span>
          </span>
        </label>
      </div>
      {s.source !== 'reviews' ? (
        <div className="field-row">
          <label className="field field--grow">
            <span>Dataset folder</span>
            <input
              type="text"
              value={s.folder}
              placeholder="/data/datasets/lesions"
              onChange={(e) => set({ folder: e.target.value })}
            />
          </label>
          <label className="field field--grow">
            <span>Split file (optional, the authors’ JSON format)</span>
            <input type="text" value={s.splitFile} onChange={(e) => set({ splitFile: e.target.value })} />
          </label>
        </div>
      ) : null}
      <div className="field-row">
        <label className="field">
          <span>Validation share (%)</span>
          <input
            type="number"
            min={0}
            max={50}
            step={5}
            value={s.valPercent}
            onChange={(e) => set({ valPercent: Math.max(0, Math.min(50, Number(e.target.value) || 0)) })}
          />
        </label>
        <label className="field">
          <span>Seed (split and training)</span>
          <input
            type="number"
            min={0}
            step={1}
            value={s.settings.seed}
            onChange={(e) =>
              set({ settings: { ...s.settings, seed: Math.max(0, Math.floor(Number(e.target.value) || 0)) } })
            }
          />
        </label>
        <button type="button" className="button field-row__button" disabled={counting} onClick={() => void count()}>
          {counting ? 'Counting…' : fresh ? 'Count again' : 'Count the data'}
        </button>
      </div>
      {error ? <ErrorNotice title="Could not read the data" error={error} /> : null}
      {s.preview && fresh ? <BalanceTable preview={s.preview} /> : null}
    </fieldset>
  );
}
