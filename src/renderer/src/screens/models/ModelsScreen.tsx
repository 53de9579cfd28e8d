/**
 * The installed CLIP packages (`models.list`) and the changes to them: create a demo, import a Hugging Face folder,
 * download one from the hub, remove; below them what the engine computes on and the latest benchmark. The list and any running change live in ModelsProvider, shared with the shell's demo-model banner.
 */
import { useEffect, type ReactNode } from 'react';
import { useModels } from '../../api/models-state';
import { ErrorNotice } from '../../components/ErrorNotice';
import { usablePackages } from '../../lib/model-packages';
import { useVip } from '../../api/vip-context';
import { BenchPanel } from './BenchPanel';
import { ComputePanel } from './ComputePanel';
import { CreateDemoForm } from './CreateDemoForm';
import { FetchForm } from './FetchForm';
import { ImportFolderForm } from './ImportFolderForm';
import { OutcomeNotice } from './OutcomeNotice';
import { PackageCard } from './PackageCard';
import { TaskProgress } from './TaskProgress';

export function ModelsScreen(): ReactNode {
  const api = useVip();
  const { view, refresh, run, dismissOutcome } = useModels();
  const { list, task } = view;

  // Packages may have changed from the CLI on the same data folder since the list was loaded.
  useEffect(() => refresh(), [refresh]);

  const taken = list ? list.packages.map((p) => p.id) : [];
  const usable = list ? usablePackages(list) : [];
  const removeOutcome = view.outcome?.action === 'remove' ? view.outcome : null;

  const remove = (id: string): void => {
    void run('remove', `Removing "${id}"`, async () => {
      await api.call('models.remove', { id });
      return `Removed "${id}".`;
    });
  };

  return (
    <section className="screen screen--models" aria-labelledby="models-title">
      <div className="models-head">
        <h1 id="models-title">Models</h1>
        <button type="button" className="button button--small" disabled={view.refreshing} onClick={refresh}>
          {view.refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <p className="muted models-intro">
        CLIP packages hold the frozen image and text towers that ViP builds on. The default package is used when none
        is named: the first one with real weights, otherwise the demo.
      </p>
      {task ? <TaskProgress task={task} /> : null}
      {view.loadError ? (
        <ErrorNotice title="Could not list the model packages" error={view.loadError} onRetry={refresh} />
      ) : null}

      <h2 id="packages-title">
        Installed CLIP packages{list ? <span className="models-count"> ({list.packages.length})</span> : null}
      </h2>
      {removeOutcome ? (
        <OutcomeNotice outcome={removeOutcome} failTitle="Could not remove the package" onDismiss={dismissOutcome} />
      ) : null}
      {list === null ? (
        view.loadError ? null : (
          <p className="muted">Loading…</p>
        )
      ) : list.packages.length === 0 ? (
        <p className="notice">No CLIP package is installed. Create the demo or import a folder below.</p>
      ) : (
        <ul className="model-list" aria-labelledby="packages-title">
          {list.packages.map((pkg) => (
            <PackageCard
              key={pkg.id}
              pkg={pkg}
              isDefault={pkg.id === list.defaultId}
              lastUsable={pkg.ok && usable.length === 1}
              busy={task !== null}
              onRemove={remove}
            />
          ))}
        </ul>
      )}

      <div className="model-forms">
        <CreateDemoForm taken={taken} />
        <ImportFolderForm taken={taken} />
        <FetchForm taken={taken} />
      </div>

      <div className="system-cards">
        <ComputePanel />
        <BenchPanel />
      </div>
    </section>
  );
}
