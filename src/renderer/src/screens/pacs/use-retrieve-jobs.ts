/**
 * The window's retrieval list for a screen that shows it: brought up to date with the engine (`pacs.jobs`) when the
 * screen opens and after a reconnect. Jobs this window did not start are named from the PACS tab's results when known.
 */
import { useEffect } from 'react';
import type { PacsProgress } from '@shared/contract';
import { useOnReconnect, useVip } from '../../api/vip-context';
import { studyLabel } from './pacs-logic';
import { pacsView } from './pacs-view';
import { retrieveJobsFor, type RetrieveJobs } from './retrieve-jobs';

function labelOf(p: PacsProgress): string {
  const row = pacsView.get().seen.get(p.studyInstanceUID);
  return row ? studyLabel(row) : `Study ${p.studyInstanceUID}`;
}

export function useRetrieveJobs(): RetrieveJobs {
  const api = useVip();
  const jobs = retrieveJobsFor(api);
  useEffect(() => {
    void jobs.sync(labelOf);
  }, [jobs]);
  useOnReconnect(() => void jobs.sync(labelOf));
  return jobs;
}
