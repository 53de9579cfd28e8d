/**
 * Import a Hugging Face CLIPModel folder by path (`models.import`); the path is read where the engine runs. A folder
 * that is not a CLIP is refused at once; then the build's steps with a progress bar and Cancel, and how it ended.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { useModels } from '../../api/models-state';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { freeId, idFromFolder, packageIdProblem } from '../../lib/model-packages';
import { BuildProgressView, JobOutcome, useModelJob } from './ModelJobView';

export function ImportFolderForm(props: { taken: readonly string[] }): ReactNode {
  const api = useVip();
  const { view } = useModels();
  const job = useModelJob('import');
  const [folder, setFolder] = useState('');
  // null while the user has not typed an id: it is then proposed from the folder's name.
  const [idDraft, setIdDraft] = useState<string | null>(null);
  const proposed = idFromFolder(folder);
  const id = idDraft ?? (proposed === '' ? '' : freeId(proposed, props.taken));
  const trimmedFolder = folder.trim();
  const idProblem = trimmedFolder === '' && idDraft === null ? null : packageIdProblem(id.trim(), props.taken);
  const busy = job.starting || job.active;
  const finished = job.progress?.phase === 'finished' ? job.progress : null;

  // An imported folder is done with: clear the form for the next one.
  const completedJob = finished?.status === 'completed' ? finished.jobId : null;
  const [clearedFor, setClearedFor] = useState<number | null>(null);
  if (completedJob !== null && completedJob !== clearedFor) {
    setClearedFor(completedJob);
    setFolder('');
    setIdDraft(null);
  }
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
    await job.start(() => api.call('models.import', chosen));
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
      <fieldset className="model-form__fields" disabled={busy}>
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
      </fieldset>
      <div className="form__actions">
        <button
          type="submit"
          className="button button--primary"
          disabled={busy || trimmedFolder === '' || !!packageIdProblem(id.trim(), props.taken)}
        >
          {job.starting ? 'Starting…' : job.active ? 'Importing…' : 'Import folder'}
        </button>
      </div>
      {job.startError ? <ErrorNotice title="Could not import the folder" error={job.startError} /> : null}
      {job.active && job.jobId !== null ? (
        <BuildProgressView
          kind="import"
          packageId={job.progress?.packageId ?? id}
          progress={job.progress}
          cancelling={job.cancelling}
          onCancel={job.cancel}
        />
      ) : null}
      {finished ? <JobOutcome p={finished} packages={view.list?.packages ?? []} onDismiss={job.dismiss} /> : null}
    </form>
  );
}
