/**
 * Messages between the engine and its training worker thread, validated with zod on arrival in both directions
 * (a worker is another JavaScript realm: nothing it sends is trusted by type alone).
 */
import { z } from 'zod';
import { errorCodes } from '@shared/errors';
import { jobProgressSchema, trainingJobResultSchema, trainingJobSpecSchema } from '../training/job-spec';

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), spec: trainingJobSpecSchema }),
  z.object({ type: z.literal('cancel') }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

export const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), progress: jobProgressSchema }),
  z.object({ type: z.literal('done'), result: trainingJobResultSchema }),
  z.object({
    type: z.literal('error'),
    error: z.object({ code: z.enum(errorCodes), message: z.string(), detail: z.string().optional() }),
  }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;
