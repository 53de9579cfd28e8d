/** Import a Hugging Face CLIPModel folder by path (`models.import`); the path is read where the engine runs. */
import { useState, type FormEvent, type ReactNode } from 'react';
import { useModels } from '../../api/models-state';
import { useVip } from '../../api/vip-context';
import { formatBytes } from '../../lib/format';
import { freeId, idFromFolder, packageIdProblem } from '../../lib/model-packages';
import { OutcomeNotice } from './OutcomeNotice';

export function ImportFolderForm(props: { taken: readonly string[] }): ReactNode {
  const api = useVip();
  const { view, run, dismissOutcome } = useModels();
  const [folder, setFolder] = useState('');
  // null while the user has not typed an id: it is then proposed from the folder's name.
  const [idDraft, setIdDraft] = useState<string | null>(null);
  const proposed = idFromFolder(folder);
  const id = idDraft ?? (proposed === '' ? '' : freeId(proposed, props.taken));
  const trimmedFolder = folder.trim();
  const idProblem = trimmedFolder === '' && idDraft === null ? null : packageIdProblem(id.trim(), props.taken);
  const busy = view.task !== null;
  const outcome = view.outcome?.action === 'import' ? view.outcome : null;
  const where =
    api.transport === 'http' ? (
      <>
        on the computer running <code>vip serve</code>, which may not be the one this browser runs on
      </>
    ) : (
      'on this computer, where the desktop app runs its engine'
    );

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy || trimmedFolder === '' || packageIdProblem(id.trim(), props.taken)) return;
    const chosen = { folder: trimmedFolder, id: id.trim() };
    const ok = await run('import', `Importing "${chosen.folder}" as "${chosen.id}"`, async () => {
      const info = await api.call('models.import', chosen);
      return `Imported "${info.id}": ${info.architecture ?? 'CLIP'}, ${formatBytes(info.sizeBytes)}.`;
    });
    if (ok) {
      setFolder('');
      setIdDraft(null);
    }
  };

  return (
    <form className="form model-form" onSubmit={(e) => void submit(e)} aria-labelledby="import-model-title">
      <h2 id="import-model-title">Import a Hugging Face CLIP folder</h2>
      <p className="muted">
        A folder with <code>config.json</code>, <code>model.safetensors</code> (or a sharded index), and{' '}
        <code>vocab.json</code> + <code>merges.txt</code> or <code>tokenizer.json</code>, as saved by{' '}
        <code>CLIPModel.save_pretrained</code>. Or download one below (or with{' '}
        <code>vip models fetch openai/clip-vit-base-patch32</code>) where there is internet access.
      </p>
      <label className="field">
        <span>Folder path on the engine&apos;s machine</span>
        <input
          type="text"
          value={folder}
          maxLength={4096}
          spellCheck={false}
          placeholder="/models/clip-vit-base-patch32"
          aria-describedby="import-where"
          onChange={(e) => setFolder(e.target.value)}
        />
        <small id="import-where" className="muted">
          The engine reads this path itself, {where}. Importing a full-size model takes minutes.
        </small>
      </label>
      <label className="field">
        <span>Package id</span>
        <input
          type="text"
          value={id}
          maxLength={64}
          spellCheck={false}
          placeholder="proposed from the folder name"
          aria-invalid={idProblem ? true : undefined}
          aria-describedby={idProblem ? 'import-id-problem' : undefined}
          onChange={(e) => setIdDraft(e.target.value)}
        />
        {idProblem ? (
          <small id="import-id-problem" className="field__problem">
            {idProblem}
          </small>
        ) : null}
      </label>
      <div className="form__actions">
        <button
          type="submit"
          className="button button--primary"
          disabled={busy || trimmedFolder === '' || !!packageIdProblem(id.trim(), props.taken)}
        >
          {view.task?.action === 'import' ? 'Importing…' : 'Import folder'}
        </button>
      </div>
      {outcome ? (
        <OutcomeNotice outcome={outcome} failTitle="Could not import the folder" onDismiss={dismissOutcome} />
      ) : null}
    </form>
  );
}
