/**
 * Each retrieve job's latest progress, for `pacs.jobs`: running ones, and the last KEEP_FINISHED finished ones. Its own
 * small module so that listing jobs does not load the retrieve code (the importer, image probing).
 */
import type { PacsProgress } from '@shared/contract';

const latest = new Map<number, PacsProgress>();
const KEEP_FINISHED = 50;

export function remember(p: PacsProgress): void {
  latest.set(p.jobId, p);
  if (p.phase !== 'finished') return;
  const finished = [...latest.values()].filter((j) => j.phase === 'finished');
  for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) latest.delete(old.jobId);
}

/** Newest first. */
export function listRetrieves(): PacsProgress[] {
  return [...latest.values()].sort((a, b) => b.jobId - a.jobId);
}
