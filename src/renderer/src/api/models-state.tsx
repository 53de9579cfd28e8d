/**
 * The installed CLIP packages, loaded once for the whole window: the Models screen lists them and the shell's banner
 * warns while the default has random weights. Removals run here (not in the screen) so one keeps its busy state, and
 * the model jobs' events are recorded here (builds and downloads: see model-jobs.ts), so the list is refreshed when
 * one ends even if the user has moved to another screen meanwhile.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Result } from '@shared/contract';
import { recordJobProgress, syncModelJobs } from './model-jobs';
import { useOnReconnect, useVip, useVipEvent } from './vip-context';

export type ModelList = Result<'models.list'>;
/** Builds and downloads are engine jobs (model-jobs.ts); removal is the one change that runs as a plain call. */
export type ModelAction = 'remove';

/** The removal in progress; one at a time. */
export interface ModelTask {
  action: ModelAction;
  label: string;
  startedAt: number;
}

/** How the last model change ended: a message on success, the error otherwise. */
export type ModelOutcome =
  { action: ModelAction; ok: true; message: string } | { action: ModelAction; ok: false; error: unknown };

export interface ModelsView {
  list: ModelList | null;
  loadError: unknown;
  refreshing: boolean;
  task: ModelTask | null;
  outcome: ModelOutcome | null;
}

export interface ModelsRuntime {
  view: ModelsView;
  refresh(): void;
  /** Runs `work` as the current task; `work` returns the success message. Resolves to whether it succeeded. */
  run(action: ModelAction, label: string, work: () => Promise<string>): Promise<boolean>;
  dismissOutcome(): void;
}

const ModelsContext = createContext<ModelsRuntime | null>(null);

export function ModelsProvider(props: { children: ReactNode }): ReactNode {
  const api = useVip();
  const [list, setList] = useState<ModelList | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  // Each refresh is a new attempt; the list request of an older attempt is ignored when it answers late.
  const [attempt, setAttempt] = useState(0);
  const [settled, setSettled] = useState(-1);
  const [task, setTask] = useState<ModelTask | null>(null);
  const [outcome, setOutcome] = useState<ModelOutcome | null>(null);
  const running = useRef(false);

  const refresh = useCallback(() => setAttempt((a) => a + 1), []);
  // Jobs started before a reload, or whose events were lost while the connection was down, come from the engine.
  const syncJobs = useCallback(() => {
    api.call('models.jobs', {}).then(
      (r) => syncModelJobs(r.jobs),
      () => undefined, // Not connected (again): the next reconnect asks once more.
    );
  }, [api]);
  useEffect(syncJobs, [syncJobs]);
  useOnReconnect(() => {
    refresh();
    syncJobs();
  });
  useVipEvent('models.jobProgress', (e) => {
    recordJobProgress(e);
    if (e.phase === 'finished' && e.status === 'completed') refresh();
  });

  useEffect(() => {
    let live = true;
    api.call('models.list', {}).then(
      (next) => {
        if (!live) return;
        setList(next);
        setLoadError(null);
        setSettled(attempt);
      },
      (err: unknown) => {
        if (!live) return;
        setLoadError(err);
        setSettled(attempt);
      },
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  const refreshing = settled !== attempt;

  const run = useCallback(
    async (action: ModelAction, label: string, work: () => Promise<string>): Promise<boolean> => {
      if (running.current) return false;
      running.current = true;
      setTask({ action, label, startedAt: Date.now() });
      setOutcome(null);
      try {
        const message = await work();
        setOutcome({ action, ok: true, message });
        return true;
      } catch (error) {
        setOutcome({ action, ok: false, error });
        return false;
      } finally {
        running.current = false;
        setTask(null);
        refresh();
      }
    },
    [refresh],
  );

  const dismissOutcome = useCallback(() => setOutcome(null), []);

  const value = useMemo<ModelsRuntime>(
    () => ({ view: { list, loadError, refreshing, task, outcome }, refresh, run, dismissOutcome }),
    [list, loadError, refreshing, task, outcome, refresh, run, dismissOutcome],
  );
  return <ModelsContext.Provider value={value}>{props.children}</ModelsContext.Provider>;
}

export function useModels(): ModelsRuntime {
  const runtime = useContext(ModelsContext);
  if (!runtime) throw new Error('ModelsProvider is missing above this component');
  return runtime;
}
