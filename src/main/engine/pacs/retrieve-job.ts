/**
 * Retrieving a study (or one of its series) into the case store: list the instances (QIDO-RS), skip those already
 * stored (by SOP Instance UID: that is how a retrieve resumes after a dropped connection), download the rest one by one
 * (WADO-RS, retried with backoff after a transient failure) and hand each to the ordinary importer, which stores an
 * instance completely or not at all and de-duplicates by content hash. A failure that will hit every further instance
 * (server gone, credentials refused, the study deleted meanwhile) stops the job; what landed before stays, and the
 * finished event lists it.
 */
import type { PacsProgress } from '@shared/contract';
import { VipError } from '@shared/errors';
import type { EngineEvents } from '../events';
import { isNonImageSopClass } from '../imaging/non-image-objects';
import { importBatch } from '../store/importer';
import type { SourceEntry } from '../store/import-sources';
import type { Store } from '../store/store';
import { PacsRequestError, type PacsClient } from './pacs-client';
import { toRow } from './query';
import { withRetry, type RetryPolicy } from './retry';

export interface RetrieveRequest {
  jobId: number;
  name: string;
  studyInstanceUID: string;
  seriesInstanceUID?: string | undefined;
}

export interface RetrieveDeps {
  store: Store;
  events: EngineEvents;
  actor: string;
  client: PacsClient;
  retry: RetryPolicy;
  isCancelled(): boolean;
  onProgress(p: PacsProgress): void;
}

interface InstanceRef {
  series: string;
  sop: string;
  sopClass: string | null;
}

const PAGE = 1000;

async function listInstances(deps: RetrieveDeps, req: RetrieveRequest): Promise<InstanceRef[]> {
  const { client } = deps;
  const retried = <T>(fn: () => Promise<T>): Promise<T> => withRetry(deps.retry, deps.isCancelled, fn);
  const study = req.studyInstanceUID;
  let seriesUids: string[];
  if (req.seriesInstanceUID) {
    seriesUids = [req.seriesInstanceUID];
  } else {
    const series = await retried(() => client.searchForSeries(study, { includefield: '0020000E' }));
    seriesUids = series.map((s) => toRow(s).SeriesInstanceUID).filter((u): u is string => !!u);
  }
  const out: InstanceRef[] = [];
  const seen = new Set<string>();
  for (const series of seriesUids) {
    // Paged, in case the server caps its answers; a server that ignores offset repeats itself, which ends the loop.
    for (let offset = 0; ; offset += PAGE) {
      const page = await retried(() =>
        client.searchForInstances(study, series, { limit: PAGE, offset, includefield: '00080016' }),
      );
      let fresh = 0;
      for (const row of page.map(toRow)) {
        if (!row.SOPInstanceUID || seen.has(row.SOPInstanceUID)) continue;
        seen.add(row.SOPInstanceUID);
        out.push({ series, sop: row.SOPInstanceUID, sopClass: row.SOPClassUID });
        fresh++;
      }
      if (page.length < PAGE || fresh === 0) break;
    }
  }
  if (out.length === 0) {
    const what = req.seriesInstanceUID ? `series ${req.seriesInstanceUID} of study ${study}` : `study ${study}`;
    throw new VipError('not_found', `${what} is not on PACS "${req.name}" (or has no instances)`);
  }
  return out;
}

export async function runRetrieve(deps: RetrieveDeps, req: RetrieveRequest): Promise<PacsProgress> {
  const { store } = deps;
  const caseIds = new Set<number>();
  const landed: string[] = [];
  let total = 0;
  let done = 0;
  let alreadyStored = 0;
  let notImages = 0;
  let failedInstances = 0;
  let firstInstanceError: string | null = null;
  let fatal: VipError | null = null;

  const progress = (phase: PacsProgress['phase']): PacsProgress => ({
    jobId: req.jobId,
    name: req.name,
    studyInstanceUID: req.studyInstanceUID,
    phase,
    done,
    total,
    imported: landed.length,
    alreadyStored,
    notImages,
    caseIds: [...caseIds],
  });
  const finish = (status: NonNullable<PacsProgress['status']>, error?: string): PacsProgress => ({
    ...progress('finished'),
    status,
    landed: [...landed],
    ...(error !== undefined ? { error } : {}),
  });

  deps.onProgress(progress('listing'));
  let instances: InstanceRef[];
  try {
    instances = await listInstances(deps, req);
  } catch (err) {
    const e = asVipError(err);
    return e.code === 'cancelled' ? finish('cancelled') : finish('failed', e.message);
  }
  // SRs, presentation states and the like are not cases' images: the importer would refuse each one.
  const images = instances.filter((i) => !isNonImageSopClass(i.sopClass));
  notImages = instances.length - images.length;
  total = images.length;
  if (images.length === 0)
    return finish(
      'failed',
      `study ${req.studyInstanceUID} holds no images, only ${notImages} other object(s) such as reports`,
    );

  const findBySop = store.db.prepare<[string], { case_id: number }>(
    'SELECT case_id FROM images WHERE sop_instance_uid = ? LIMIT 1',
  );
  const toFetch: InstanceRef[] = [];
  for (const inst of images) {
    const stored = findBySop.get(inst.sop);
    if (stored) {
      alreadyStored++;
      done++;
      caseIds.add(stored.case_id);
    } else {
      toFetch.push(inst);
    }
  }
  deps.onProgress(progress('retrieving'));

  if (toFetch.length > 0) {
    const entries: SourceEntry[] = toFetch.map((inst) => ({
      source: {
        label: `pacs:${req.name}/${inst.sop}`,
        originalName: `${inst.sop}.dcm`,
        read: async () => {
          if (fatal) throw new VipError(fatal.code, `not retrieved: ${fatal.message}`);
          if (deps.isCancelled()) throw (fatal = new VipError('cancelled', 'cancelled'));
          try {
            return await withRetry(deps.retry, deps.isCancelled, () =>
              deps.client.retrieveInstance({ study: req.studyInstanceUID, series: inst.series, sop: inst.sop }),
            );
          } catch (err) {
            fatal = describeFatal(err, req, inst);
            throw fatal;
          }
        },
      },
    }));
    await importBatch(store, entries, {
      actor: deps.actor,
      events: deps.events,
      origin: 'pacs',
      onOutcome: (outcome) => {
        done++;
        if (outcome.status === 'imported') {
          landed.push(outcome.path.slice(outcome.path.lastIndexOf('/') + 1));
          caseIds.add(outcome.caseId);
        } else if (outcome.status === 'duplicate') {
          alreadyStored++;
          caseIds.add(outcome.caseId);
        } else if (!fatal) {
          // The file arrived but the importer refused it (not an image it can store): the others may still be fine.
          failedInstances++;
          firstInstanceError ??= outcome.error;
        }
        deps.onProgress(progress('retrieving'));
      },
    });
  }

  const stored = landed.length + alreadyStored;
  const summary = `${stored} of ${total} instance(s) in the store`;
  const fatalNow = fatal as VipError | null;
  if (fatalNow?.code === 'cancelled') return finish('cancelled');
  if (fatalNow) return finish(stored > 0 ? 'partial' : 'failed', `${fatalNow.message} (${summary})`);
  if (failedInstances > 0)
    return finish(
      stored > 0 ? 'partial' : 'failed',
      `${failedInstances} instance(s) could not be imported, e.g.: ${firstInstanceError ?? '?'} (${summary})`,
    );
  return finish('complete');
}

function asVipError(err: unknown): VipError {
  if (err instanceof VipError) return err;
  return new VipError('internal', err instanceof Error ? err.message : String(err));
}

/** A 404 for an instance just listed means the study (or the instance) was deleted on the PACS meanwhile. */
function describeFatal(err: unknown, req: RetrieveRequest, inst: InstanceRef): VipError {
  if (err instanceof PacsRequestError && err.httpStatus === 404)
    return new VipError(
      'not_found',
      `study ${req.studyInstanceUID} changed on PACS "${req.name}" during the retrieve: instance ${inst.sop} is gone`,
    );
  return asVipError(err);
}
