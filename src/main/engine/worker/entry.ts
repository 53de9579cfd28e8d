/**
 * The training worker thread (bundled to out/main/worker.js). It waits for one `start` message, runs the job and
 * reports progress, then the result or the error; a `cancel` message aborts the job at its next step.
 */
import { parentPort } from 'node:worker_threads';
import { toErrorInfo } from '@shared/errors';
import { runTrainingJob } from '../training/job';
import { toWorkerSchema, type FromWorker } from './messages';

const port = parentPort;
if (!port) throw new Error('the training worker must run in a worker thread');

const controller = new AbortController();
let started = false;
const send = (message: FromWorker): void => port.postMessage(message);

port.on('message', (raw: unknown) => {
  const parsed = toWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    send({
      type: 'error',
      error: {
        code: 'internal',
        message: `training worker: bad message (${parsed.error.issues[0]?.message ?? 'invalid'})`,
      },
    });
    return;
  }
  const message = parsed.data;
  if (message.type === 'cancel') {
    controller.abort();
    return;
  }
  if (started) return;
  started = true;
  runTrainingJob(message.spec, {
    signal: controller.signal,
    onProgress: (progress) => send({ type: 'progress', progress }),
  })
    .then((result) => send({ type: 'done', result }))
    .catch((err: unknown) => send({ type: 'error', error: toErrorInfo(err) }))
    .finally(() => port.close());
});
