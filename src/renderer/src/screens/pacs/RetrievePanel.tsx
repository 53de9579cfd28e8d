/**
 * The retrievals of this window, newest first: what was asked for, a progress bar, Cancel while it runs, and at the
 * end the outcome in words with the cases it filled (one click opens them in the viewer). A failure reads as a
 * sentence; the PACS's own answer is behind "Details".
 */
import { useSyncExternalStore, type ReactNode } from 'react';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { routeHref } from '../../lib/router';
import { describeJob, isFinished, jobBar } from './pacs-logic';
import { retrieveJobsFor, type RetrieveJob, type RetrieveJobs } from './retrieve-jobs';

function JobCard(props: { job: RetrieveJob; jobs: RetrieveJobs }): ReactNode {
  const { job } = props;
  const p = job.progress;
  const text = describeJob(p);
  const finished = isFinished(p);
  const bar = jobBar(p);
  const tone = job.startError ? 'error' : text.tone;
  const cases = p?.caseIds ?? [];
  return (
    <li className={`job job--${tone}`} data-testid="pacs-job" aria-label={`Retrieval: ${job.label}`}>
      <div className="job__title">
        <span className="job__label">{job.label}</span>
        <span className="muted job__node">from {job.node}</span>
      </div>
      {job.startError ? (
        <ErrorNotice title="The retrieval did not start" error={job.startError} />
      ) : (
        <>
          <progress max={bar.max} value={bar.value ?? undefined} aria-label={`Progress of ${job.label}`} />
          <p className="job__status" role="status">
            <span>{text.headline}</span>
            {!finished ? (
              <button
                type="button"
                className="button button--small"
                disabled={job.jobId === null || job.cancelling}
                onClick={() => void props.jobs.cancel(job.key)}
              >
                {job.cancelling ? 'Cancelling…' : 'Cancel'}
              </button>
            ) : null}
          </p>
          {p?.status === 'failed' || (p?.status === 'partial' && p.error) ? (
            <ErrorNotice
              error={{
                message:
                  p.status === 'failed'
                    ? `${job.node} did not send this study. Check the connection in Settings and try again.`
                    : `${job.node} did not send every image; retrieving again fetches only the missing ones.`,
                detail: p.error ?? null,
              }}
            />
          ) : null}
          {job.cancelError ? <ErrorNotice title="Could not cancel" error={job.cancelError} /> : null}
          {cases.length > 0 && finished ? (
            <p className="job__cases">
              {cases.slice(0, 8).map((id) => (
                <a key={id} className="button button--small" href={routeHref({ name: 'case', id })}>
                  Open case {id}
                </a>
              ))}
              {cases.length > 8 ? <span className="muted">and {cases.length - 8} more in the worklist</span> : null}
            </p>
          ) : null}
        </>
      )}
    </li>
  );
}

export function RetrievePanel(): ReactNode {
  // The tabs above keep the list in step with the engine (useRetrieveJobs).
  const jobs = retrieveJobsFor(useVip());
  const list = useSyncExternalStore(jobs.subscribe, jobs.getSnapshot);
  const finished = list.filter((j) => j.startError !== null || isFinished(j.progress)).length;
  return (
    <aside className="pacs-jobs" aria-labelledby="pacs-jobs-title">
      <div className="pacs-jobs__head">
        <h2 id="pacs-jobs-title">Retrievals</h2>
        {finished > 0 ? (
          <button type="button" className="button button--small button--quiet" onClick={() => jobs.clearFinished()}>
            Clear finished
          </button>
        ) : null}
      </div>
      {list.length === 0 ? (
        <p className="muted pacs-jobs__empty">
          Tick studies or series and choose <strong>Retrieve</strong>. Retrieved images join the local worklist as
          cases.
        </p>
      ) : (
        <ul className="pacs-jobs__list">
          {list.map((job) => (
            <JobCard key={job.key} job={job} jobs={jobs} />
          ))}
        </ul>
      )}
    </aside>
  );
}
