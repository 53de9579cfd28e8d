/** The worklist's two sources: the local cases and the PACS. Links (each tab has its address), shown as tabs. */
import { useSyncExternalStore, type ReactNode } from 'react';
import { routeHref } from '../../lib/router';
import { useRetrieveJobs } from './use-retrieve-jobs';

export function WorklistTabs(props: { current: 'local' | 'pacs' }): ReactNode {
  const jobs = useRetrieveJobs();
  // The PACS tab says when retrievals are still running, so the reader knows more cases are on their way.
  const running = useSyncExternalStore(jobs.subscribe, () => jobs.running());
  return (
    <nav className="source-tabs" aria-label="Worklist source">
      <a href={routeHref({ name: 'worklist' })} aria-current={props.current === 'local' ? 'page' : undefined}>
        Local cases
      </a>
      <a href={routeHref({ name: 'pacs' })} aria-current={props.current === 'pacs' ? 'page' : undefined}>
        PACS
        {running > 0 ? (
          <span className="source-tabs__badge" title={`${running} retrieval${running === 1 ? '' : 's'} running`}>
            {running}
          </span>
        ) : null}
      </a>
    </nav>
  );
}
