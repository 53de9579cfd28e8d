/**
 * The worklist's PACS tab: choose a node, search its studies (QIDO-RS through `pacs.query`), page through them,
 * expand a study to its series, tick studies or series and retrieve them (`pacs.retrieve`, progress as
 * `pacs.progress`). Retrieved images become local cases (the engine's `cases.changed` refreshes the local tab).
 */
import { useEffect, type ReactNode } from 'react';
import type { PacsNodeInfo, PacsRow } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { routeHref } from '../../lib/router';
import { useStore } from '../../lib/store';
import {
  emptySearch,
  emptySelection,
  retrieveRequests,
  selectionLabel,
  seriesQuery,
  studyLabel,
  studyQuery,
  toggleSeries,
  toggleStudy,
  PAGE_SIZE,
} from './pacs-logic';
import { pacsView } from './pacs-view';
import { PacsSearchForm } from './PacsSearchForm';
import { retrieveJobsFor } from './retrieve-jobs';
import { RetrievePanel } from './RetrievePanel';
import { StudyTable } from './StudyTable';
import { usePacsNodes } from './use-pacs-nodes';
import { WorklistTabs } from './WorklistTabs';
import './pacs.css';

/** Which node the tab uses: the one chosen before if it still exists, else the first. */
function chosenNode(nodes: PacsNodeInfo[] | null, current: string | null): PacsNodeInfo | null {
  if (!nodes || nodes.length === 0) return null;
  return nodes.find((n) => n.name === current) ?? nodes[0] ?? null;
}

export function PacsScreen(): ReactNode {
  const api = useVip();
  const view = useStore(pacsView);
  const { nodes, error: nodesError, reload: reloadNodes } = usePacsNodes();
  const node = chosenNode(nodes, view.node);

  useEffect(() => {
    if (node && node.name !== view.node) pacsView.set((v) => ({ ...v, node: node.name }));
  }, [node, view.node]);

  const search = async (offset: number, submitted = pacsView.get().submitted): Promise<void> => {
    if (!submitted) return;
    pacsView.set((v) => ({ ...v, submitted, offset, loading: true, error: null }));
    try {
      const result = await api.call('pacs.query', studyQuery(submitted.node, submitted.form, offset));
      pacsView.set((v) =>
        // A newer search may have been sent meanwhile; only its own answer may land.
        v.submitted === submitted && v.offset === offset
          ? {
              ...v,
              result,
              loading: false,
              expanded: new Set(),
              series: new Map(),
              seen: new Map([
                ...(offset === 0 ? [] : v.seen),
                ...result.rows.flatMap((r) => (r.StudyInstanceUID ? [[r.StudyInstanceUID, r] as const] : [])),
              ]),
            }
          : v,
      );
    } catch (error) {
      // The old page belongs to another search (maybe another node): show the error alone.
      pacsView.set((v) =>
        v.submitted === submitted && v.offset === offset
          ? { ...v, loading: false, error, result: null, expanded: new Set(), series: new Map() }
          : v,
      );
    }
  };

  const newSearch = (): void => {
    if (!node) return;
    pacsView.set((v) => ({ ...v, selection: emptySelection }));
    void search(0, { node: node.name, form: pacsView.get().form });
  };

  const loadSeries = async (study: string): Promise<void> => {
    const submitted = pacsView.get().submitted;
    if (!submitted) return;
    const put = (state: { rows: readonly PacsRow[] | null; error: unknown }): void =>
      pacsView.set((v) => ({ ...v, series: new Map(v.series).set(study, state) }));
    put({ rows: null, error: null });
    try {
      const r = await api.call('pacs.query', seriesQuery(submitted.node, study));
      put({ rows: r.rows, error: null });
    } catch (error) {
      put({ rows: null, error });
    }
  };

  const expand = (study: string, open: boolean): void => {
    pacsView.set((v) => {
      const expanded = new Set(v.expanded);
      if (open) expanded.add(study);
      else expanded.delete(study);
      return { ...v, expanded };
    });
    if (open && !pacsView.get().series.get(study)?.rows) void loadSeries(study);
  };

  const retrieve = (): void => {
    const { submitted, selection, seen, series } = pacsView.get();
    if (!submitted) return;
    const jobs = retrieveJobsFor(api);
    for (const request of retrieveRequests(selection)) {
      const study = seen.get(request.studyInstanceUID);
      const seriesRow = request.seriesInstanceUID
        ? series.get(request.studyInstanceUID)?.rows?.find((s) => s.SeriesInstanceUID === request.seriesInstanceUID)
        : null;
      const label =
        (study ? studyLabel(study) : request.studyInstanceUID) +
        (seriesRow
          ? ` · series ${seriesRow.SeriesNumber ?? ''}${seriesRow.SeriesDescription ? ` ${seriesRow.SeriesDescription}` : ''}`
          : '');
      void jobs.start(submitted.node, request, label);
    }
    pacsView.set((v) => ({ ...v, selection: emptySelection }));
  };

  const rows = view.result?.rows ?? [];
  const chosen = selectionLabel(view.selection);
  const first = view.offset + 1;
  const last = view.offset + rows.length;

  return (
    <section className="screen screen--pacs" aria-labelledby="pacs-title">
      <div className="worklist-bar">
        <h1 id="pacs-title">Worklist</h1>
        <WorklistTabs current="pacs" />
        {nodes && nodes.length > 0 ? (
          <label className="field field--inline pacs-node-pick">
            <span>PACS node</span>
            <select
              value={node?.name ?? ''}
              onChange={(e) => pacsView.set((v) => ({ ...v, node: e.target.value }))}
              aria-describedby="pacs-node-url"
            >
              {nodes.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name}
                </option>
              ))}
            </select>
            <code id="pacs-node-url" className="muted pacs-node-pick__url">
              {node?.url}
            </code>
          </label>
        ) : null}
        <a className="button button--quiet pacs-manage" href={routeHref({ name: 'settings' })}>
          Manage PACS nodes
        </a>
      </div>
      {nodesError ? (
        <ErrorNotice title="Could not load the PACS nodes" error={nodesError} onRetry={reloadNodes} />
      ) : null}
      {nodes && nodes.length === 0 ? (
        <div className="pacs-empty pacs-empty--setup">
          <p>
            <strong>No PACS is set up yet.</strong> Add your PACS&apos;s DICOMweb address in Settings to search its
            studies here and retrieve them into the worklist.
          </p>
          <a className="button button--primary" href={routeHref({ name: 'settings' })}>
            Add a PACS node in Settings
          </a>
        </div>
      ) : null}
      {node?.auth !== 'none' && node && !node.hasSecret ? (
        <p className="notice">
          {node.name} needs a {node.auth === 'basic' ? 'password' : 'token'} that this workstation does not have yet:
          enter it in <a href={routeHref({ name: 'settings' })}>Settings › PACS nodes</a>.
        </p>
      ) : null}
      {node ? (
        <>
          <PacsSearchForm
            form={view.form}
            disabled={false}
            searching={view.loading}
            onChange={(patch) => pacsView.set((v) => ({ ...v, form: { ...v.form, ...patch } }))}
            onSearch={newSearch}
            onClear={() => pacsView.set((v) => ({ ...v, form: emptySearch }))}
          />
          <div className="pacs-body">
            <div className="pacs-results">
              <div className="pacs-results__bar">
                <p className="pacs-results__count" role="status" data-testid="pacs-result-count">
                  {view.loading
                    ? `Searching ${view.submitted?.node ?? ''}…`
                    : view.result === null
                      ? view.error
                        ? ''
                        : 'Search by patient, study date, modality or accession number. With every field empty, the search lists all studies, a page at a time.'
                      : rows.length === 0
                        ? view.offset > 0
                          ? 'No more studies.'
                          : 'No study matches this search.'
                        : `Studies ${first.toLocaleString()}–${last.toLocaleString()}${view.result.more ? '' : ` of ${last.toLocaleString()}`} in ${view.submitted?.node ?? ''}`}
                </p>
                <button
                  type="button"
                  className="button button--primary"
                  disabled={chosen === ''}
                  onClick={retrieve}
                  title="Download the ticked studies and series into the local worklist"
                >
                  {chosen ? `Retrieve ${chosen}` : 'Retrieve'}
                </button>
              </div>
              {view.error ? (
                <ErrorNotice
                  title={`The search in ${view.submitted?.node ?? 'the PACS'} failed`}
                  error={view.error}
                  onRetry={() => void search(view.offset)}
                />
              ) : null}
              {rows.length > 0 ? (
                <div className="pacs-table-wrap" aria-busy={view.loading}>
                  <StudyTable
                    rows={rows}
                    selection={view.selection}
                    expanded={view.expanded}
                    series={view.series}
                    onToggleStudy={(s) => pacsView.set((v) => ({ ...v, selection: toggleStudy(v.selection, s) }))}
                    onToggleSeries={(s, ser) =>
                      pacsView.set((v) => ({ ...v, selection: toggleSeries(v.selection, s, ser) }))
                    }
                    onToggleAll={(select) =>
                      pacsView.set((v) => {
                        const studies = new Set(v.selection.studies);
                        const series = new Map(v.selection.series);
                        for (const r of rows) {
                          if (!r.StudyInstanceUID) continue;
                          if (select) studies.add(r.StudyInstanceUID);
                          else studies.delete(r.StudyInstanceUID);
                          series.delete(r.StudyInstanceUID);
                        }
                        return { ...v, selection: { studies, series } };
                      })
                    }
                    onExpand={expand}
                    onRetrySeries={(s) => void loadSeries(s)}
                  />
                </div>
              ) : null}
              {rows.length > 0 || view.offset > 0 ? (
                <div className="pacs-results__foot">
                  {rows.length > 0 ? (
                    <p className="pacs-keys muted" aria-hidden="true">
                      <kbd>↑</kbd>
                      <kbd>↓</kbd> rows · <kbd>Space</kbd> tick · <kbd>→</kbd>
                      <kbd>←</kbd> series · <kbd>/</kbd> search
                    </p>
                  ) : null}
                  {view.result && (view.offset > 0 || view.result.more) ? (
                    <nav className="pacs-pager" aria-label="Result pages">
                      <button
                        type="button"
                        className="button"
                        disabled={view.loading || view.offset === 0}
                        onClick={() => void search(Math.max(0, view.offset - PAGE_SIZE))}
                      >
                        ← Previous {PAGE_SIZE}
                      </button>
                      <span className="muted">Page {Math.floor(view.offset / PAGE_SIZE) + 1}</span>
                      <button
                        type="button"
                        className="button"
                        disabled={view.loading || !view.result.more}
                        onClick={() => void search(view.offset + PAGE_SIZE)}
                      >
                        Next {PAGE_SIZE} →
                      </button>
                    </nav>
                  ) : null}
                </div>
              ) : null}
            </div>
            <RetrievePanel />
          </div>
        </>
      ) : null}
    </section>
  );
}
