/**
 * One PACS node as a DICOMweb client: dicomweb-client does the QIDO-RS / WADO-RS / STOW-RS requests and the multipart
 * encoding and decoding; this wrapper adds what a workstation needs around it: the auth header, a timeout per
 * request, cancelling every request in flight, and one-line errors that say what went wrong and where.
 */
import { api } from 'dicomweb-client';
import { badInput, VipError } from '@shared/errors';
import type { PacsNode } from './node-repo';
import { redactSecret, resolveSecret, secretEnvVar } from './node-secrets';
import { RecordingXhr, type NetworkFailure } from './node-xhr';

/** A DICOM JSON data set (PS3.18 F.2): tag → { vr, Value }. */
export type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

export type QueryParams = Record<string, string | number>;

/** Why a request failed, for the retry decision: only a transient failure is worth trying again. */
export class PacsRequestError extends VipError {
  constructor(
    code: VipError['code'],
    message: string,
    readonly transient: boolean,
    readonly httpStatus: number | null,
  ) {
    super(code, message);
  }
}

interface DicomWebError extends Error {
  status?: number;
}

/**
 * The part of dicomweb-client used here, typed as its source behaves: its generated .d.ts marks optional options as
 * required (singlepart, mediaTypes) and leaves out `request` on the searches, which its code accepts.
 */
interface RequestOptions {
  instance: RecordingXhr;
}
interface DicomWebClientApi {
  searchForStudies(o: { queryParams: QueryParams; request: RequestOptions }): Promise<unknown>;
  searchForSeries(o: { studyInstanceUID: string; queryParams: QueryParams; request: RequestOptions }): Promise<unknown>;
  searchForInstances(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    queryParams: QueryParams;
    request: RequestOptions;
  }): Promise<unknown>;
  retrieveInstance(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    request: RequestOptions;
  }): Promise<unknown>;
  storeInstances(o: { studyInstanceUID: string; datasets: ArrayBuffer[]; request: RequestOptions }): Promise<unknown>;
}
const DICOMwebClient = api.DICOMwebClient as unknown as new (options: {
  url: string;
  headers: Record<string, string>;
  verbose: boolean;
}) => DicomWebClientApi;

export interface PacsClient {
  readonly node: PacsNode;
  searchForStudies(queryParams: QueryParams): Promise<DicomJson[]>;
  searchForSeries(studyInstanceUID: string, queryParams: QueryParams): Promise<DicomJson[]>;
  searchForInstances(
    studyInstanceUID: string,
    seriesInstanceUID: string,
    queryParams: QueryParams,
  ): Promise<DicomJson[]>;
  /** The instance as a DICOM Part 10 file. */
  retrieveInstance(uids: { study: string; series: string; sop: string }): Promise<Uint8Array>;
  /** STOW-RS into the given study. */
  storeInstances(studyInstanceUID: string, files: readonly Uint8Array[]): Promise<void>;
  /** Aborts every request in flight; later requests fail at once. */
  cancel(): void;
}

function authHeaders(node: PacsNode): Record<string, string> {
  if (node.auth === 'none') return {};
  const secret = resolveSecret(node.name, node.auth).value;
  if (!secret) {
    const what = node.auth === 'basic' ? 'a password' : 'a token';
    throw badInput(
      `PACS "${node.name}" needs ${what}: set ${secretEnvVar(node.name, node.auth) ?? ''} or store it in the PACS settings`,
    );
  }
  if (node.auth === 'bearer') return { Authorization: `Bearer ${secret}` };
  return { Authorization: `Basic ${Buffer.from(`${node.username ?? ''}:${secret}`, 'utf8').toString('base64')}` };
}

function describeNetworkFailure(node: PacsNode, failure: NetworkFailure | null): PacsRequestError {
  const at = `PACS "${node.name}" (${node.url})`;
  if (!failure) return new PacsRequestError('unavailable', `${at}: the request failed`, true, null);
  switch (failure.kind) {
    case 'timeout':
      return new PacsRequestError('unavailable', `${at} did not answer within ${node.timeoutSeconds} s`, false, null);
    case 'aborted':
      return new PacsRequestError('cancelled', `cancelled`, false, null);
    case 'dropped':
      return new PacsRequestError('unavailable', `${at} dropped the connection during the transfer`, true, null);
    case 'malformed':
      return new PacsRequestError(
        'unavailable',
        `${at} sent a response that is not valid DICOMweb (${failure.message})`,
        true,
        null,
      );
    case 'socket':
      switch (failure.code) {
        case 'ECONNREFUSED':
          return new PacsRequestError('unavailable', `cannot connect to ${at}: connection refused`, true, null);
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return new PacsRequestError('unavailable', `cannot connect to ${at}: unknown host`, false, null);
        case 'ECONNRESET':
        case 'EPIPE':
          return new PacsRequestError('unavailable', `${at} dropped the connection`, true, null);
        default:
          return new PacsRequestError(
            'unavailable',
            `cannot connect to ${at}: ${failure.code ?? failure.message}`,
            true,
            null,
          );
      }
  }
}

function describeHttpStatus(node: PacsNode, status: number, what: string): PacsRequestError {
  const at = `PACS "${node.name}"`;
  if (status === 401 || status === 403) {
    const hint =
      node.auth === 'none'
        ? 'it needs credentials: set --auth basic or bearer'
        : `check the ${node.auth === 'basic' ? 'user and password' : 'token'} (${secretEnvVar(node.name, node.auth) ?? ''})`;
    return new PacsRequestError('bad_input', `${at} refused the credentials (HTTP ${status}): ${hint}`, false, status);
  }
  if (status === 404) return new PacsRequestError('not_found', `${what} not found on ${at} (HTTP 404)`, false, status);
  const transient = status === 429 || status === 502 || status === 503 || status === 504;
  return new PacsRequestError('unavailable', `${at} answered HTTP ${status} for ${what}`, transient, status);
}

/** Node's XMLHttpRequest is xhr2 (see node-xhr.ts); dicomweb-client takes it per request. */
export function pacsClient(node: PacsNode): PacsClient {
  const headers = authHeaders(node);
  const secret = node.auth === 'none' ? null : resolveSecret(node.name, node.auth).value;
  const client = new DICOMwebClient({ url: node.url, headers, verbose: false });
  /** Requests in flight, with what ends their promise on cancel: xhr2's abort() never settles dicomweb-client's. */
  const inFlight = new Map<RecordingXhr, () => void>();
  let cancelled = false;
  const timeoutMs = Math.round(node.timeoutSeconds * 1000);
  const cancelledError = (): PacsRequestError => new PacsRequestError('cancelled', 'cancelled', false, null);

  async function send<T>(what: string, call: (request: RequestOptions) => Promise<T>): Promise<T> {
    if (cancelled) throw cancelledError();
    const xhr = new RecordingXhr(timeoutMs);
    const aborted = new Promise<never>((_resolve, reject) => {
      inFlight.set(xhr, () => reject(cancelledError()));
    });
    try {
      return await Promise.race([call({ instance: xhr }), aborted]);
    } catch (err) {
      if (err instanceof VipError) throw err;
      const status = (err as DicomWebError).status;
      const failure = xhr.failure ?? (cancelled ? { kind: 'aborted' as const } : null);
      const described =
        typeof status === 'number' && status > 0 && !failure
          ? describeHttpStatus(node, status, what)
          : describeNetworkFailure(node, failure);
      throw new PacsRequestError(
        described.code,
        redactSecret(described.message, secret),
        described.transient,
        described.httpStatus,
      );
    } finally {
      inFlight.delete(xhr);
    }
  }

  const asRows = (value: unknown): DicomJson[] => (Array.isArray(value) ? (value as DicomJson[]) : []);

  return {
    node,
    searchForStudies: async (queryParams) =>
      asRows(await send('the study search', (request) => client.searchForStudies({ queryParams, request }))),
    searchForSeries: async (studyInstanceUID, queryParams) =>
      asRows(
        await send(`study ${studyInstanceUID}`, (request) =>
          client.searchForSeries({ studyInstanceUID, queryParams, request }),
        ),
      ),
    searchForInstances: async (studyInstanceUID, seriesInstanceUID, queryParams) =>
      asRows(
        await send(`series ${seriesInstanceUID}`, (request) =>
          client.searchForInstances({ studyInstanceUID, seriesInstanceUID, queryParams, request }),
        ),
      ),
    retrieveInstance: async (uids) => {
      const body = await send(`instance ${uids.sop}`, (request) =>
        client.retrieveInstance({
          studyInstanceUID: uids.study,
          seriesInstanceUID: uids.series,
          sopInstanceUID: uids.sop,
          request,
        }),
      );
      if (!(body instanceof ArrayBuffer) || body.byteLength === 0)
        throw new PacsRequestError(
          'unavailable',
          `PACS "${node.name}" sent no data for instance ${uids.sop}`,
          true,
          null,
        );
      return new Uint8Array(body);
    },
    storeInstances: async (studyInstanceUID, files) => {
      // dicomweb-client's multipart encoder takes ArrayBuffers; copy each file into one of its own.
      const datasets = files.map((f) => f.slice().buffer);
      await send(`storing into study ${studyInstanceUID}`, (request) =>
        client.storeInstances({ studyInstanceUID, datasets, request }),
      );
    },
    cancel: () => {
      cancelled = true;
      for (const [xhr, settle] of inFlight) {
        xhr.cancel();
        settle();
      }
    },
  };
}
