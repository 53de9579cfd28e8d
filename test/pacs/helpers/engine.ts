/** An engine in a temp data folder for the PACS tests, and retrieve as one awaitable call. */
import type { PacsProgress } from '@shared/contract';
import type { Engine } from '../../../src/main/engine/engine';

/** Starts a retrieve and resolves with its finished event, collecting the progress events before it. */
export async function retrieve(
  engine: Engine,
  params: { name: string; studyInstanceUID: string; seriesInstanceUID?: string },
  onStart?: (jobId: number) => void,
): Promise<{ final: PacsProgress; events: PacsProgress[] }> {
  const events: PacsProgress[] = [];
  let jobId: number | null = null;
  let done: (p: PacsProgress) => void = () => undefined;
  const finished = new Promise<PacsProgress>((r) => (done = r));
  const stop = engine.events.on('pacs.progress', (p) => {
    events.push(p);
    if (p.phase === 'finished' && p.jobId === jobId) done(p);
  });
  try {
    jobId = (await engine.call('pacs.retrieve', params)).jobId;
    onStart?.(jobId);
    const final = await finished;
    return { final, events: events.filter((e) => e.jobId === jobId) };
  } finally {
    stop();
  }
}
