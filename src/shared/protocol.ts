/**
 * Envelopes shared by the transports, and validation of what arrives in them.
 * Electron IPC and the WebSocket carry the same envelopes; only the byte encoding differs (see wire.ts).
 */
import { z } from 'zod';
import {
  events,
  isMethodName,
  methods,
  type EventName,
  type EventPayload,
  type MethodName,
  type Params,
  type ParsedParams,
  type Result,
} from './contract';
import { errorCodes, VipError, type ErrorInfo } from './errors';

export const RequestEnvelope = z
  .object({ id: z.number().int().nonnegative(), method: z.string().max(100), params: z.unknown() })
  .strict();
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

export const ErrorInfoSchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  detail: z.string().optional(),
});

export const ResponseEnvelope = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ id: z.number().int(), ok: z.literal(false), error: ErrorInfoSchema }).strict(),
]);
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

export const EventEnvelope = z.object({ event: z.string(), payload: z.unknown() }).strict();
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** Summarise a zod error in one line a person can act on. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
    .join('; ');
}

/** Validate a method name and its params; throws VipError('validation') before anything reaches the engine. */
export function parseRequest<M extends MethodName>(
  method: unknown,
  params: unknown,
): { method: M; params: ParsedParams<M> } {
  if (!isMethodName(method)) throw new VipError('validation', `Unknown method: ${String(method).slice(0, 100)}`);
  const parsed = methods[method].params.safeParse(params ?? {});
  if (!parsed.success)
    throw new VipError('validation', `Invalid parameters for ${method}: ${describeZodError(parsed.error)}`);
  return { method: method as M, params: parsed.data as ParsedParams<M> };
}

export function parseResult<M extends MethodName>(method: M, result: unknown): Result<M> {
  const parsed = methods[method].result.safeParse(result);
  if (!parsed.success)
    throw new VipError('internal', `Engine returned an invalid ${method} result: ${describeZodError(parsed.error)}`);
  return parsed.data as Result<M>;
}

export function parseEvent<E extends EventName>(event: E, payload: unknown): EventPayload<E> {
  const parsed = events[event].safeParse(payload);
  if (!parsed.success) throw new VipError('validation', `Invalid ${event} event: ${describeZodError(parsed.error)}`);
  return parsed.data as EventPayload<E>;
}

/** The API the renderer sees as `window.vip`, identical over Electron IPC and the WebSocket. */
export interface VipApi {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
  /** Which transport carries the calls; the UI shows it and picks file dialogs accordingly. */
  readonly transport: 'electron' | 'http';
}

/** Error thrown on the calling side when the engine answers with an error. */
export class RemoteError extends Error {
  readonly code: ErrorInfo['code'];
  readonly detail: string | undefined;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'RemoteError';
    this.code = info.code;
    this.detail = info.detail;
  }
}
