/**
 * The DICOMweb client wrapper and the query mapping without a PACS: a local HTTP server plays the failures (refused,
 * 401, 404, 503 then success, a timeout, a connection dropped mid-body, a multipart body that does not decode) and
 * checks the auth header; each failure must be one line that names the node, and none may leave a promise pending
 * or crash the process. These run everywhere (no Orthanc needed).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacsQueryParams } from '@shared/contract';
import type { PacsNode } from '../../src/main/engine/pacs/node-repo';
import { readableQuery } from '../../src/main/engine/pacs/node-xhr';
import { pacsClient, PacsRequestError } from '../../src/main/engine/pacs/pacs-client';
import { qidoParams, toRow } from '../../src/main/engine/pacs/query';
import { withRetry } from '../../src/main/engine/pacs/retry';
import { freePort } from './helpers/orthanc';

type Route = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let base: string;
let route: Route = (_req, res) => res.end();
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    route(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/dicom-web`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const node = (over: Partial<PacsNode> = {}): PacsNode => ({
  name: 'unit',
  url: base,
  auth: 'none',
  username: null,
  timeoutSeconds: 5,
  createdAt: '',
  updatedAt: '',
  ...over,
});
const uids = { study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.5' };

describe('DICOMweb client errors', () => {
  it('sends the basic or bearer header, taken from the environment', async () => {
    route = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[]');
    process.env['VIP_PACS_UNIT_PASSWORD'] = 'pw-123456';
    process.env['VIP_PACS_UNIT_TOKEN'] = 'tok-abcdef';
    try {
      seen.length = 0;
      await pacsClient(node({ auth: 'basic', username: 'alice' })).searchForStudies({ limit: 1 });
      expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('alice:pw-123456').toString('base64')}`);
      await pacsClient(node({ auth: 'bearer' })).searchForStudies({ limit: 1 });
      expect(seen[1]?.headers.authorization).toBe('Bearer tok-abcdef');
    } finally {
      delete process.env['VIP_PACS_UNIT_PASSWORD'];
      delete process.env['VIP_PACS_UNIT_TOKEN'];
    }
    expect(() => pacsClient(node({ auth: 'bearer' }))).toThrow('needs a token: set VIP_PACS_UNIT_TOKEN');
  });

  it('names refused credentials, a missing object and a server error', async () => {
    route = (_req, res) => res.writeHead(401).end('no');
    await expect(pacsClient(node()).searchForStudies({})).rejects.toThrow(
      'PACS "unit" refused the credentials (HTTP 401): it needs credentials: set --auth basic or bearer',
    );
    route = (_req, res) => res.writeHead(404).end();
    await expect(pacsClient(node()).retrieveInstance(uids)).rejects.toMatchObject({
      code: 'not_found',
      message: 'instance 1.2.3.4.5 not found on PACS "unit" (HTTP 404)',
      httpStatus: 404,
    });
    route = (_req, res) => res.writeHead(500).end();
    await expect(pacsClient(node()).searchForStudies({})).rejects.toMatchObject({
      message: 'PACS "unit" answered HTTP 500 for the study search',
      transient: false,
    });
  });

  it('retries a busy server with backoff, then succeeds', async () => {
    let calls = 0;
    route = (_req, res) => {
      calls++;
      if (calls < 3) res.writeHead(503).end();
      else
        res
          .writeHead(200, { 'Content-Type': 'application/dicom+json' })
          .end('[{"00100020":{"vr":"LO","Value":["P"]}}]');
    };
    const client = pacsClient(node());
    const rows = await withRetry(
      { attempts: 3, baseDelayMs: 10 },
      () => false,
      () => client.searchForStudies({}),
    );
    expect(calls).toBe(3);
    expect(toRow(rows[0]!).PatientID).toBe('P');
  });

  it('a refused connection, a timeout, a dropped body and an undecodable body each reject with one line', async () => {
    const closed = await freePort();
    await expect(
      pacsClient(node({ url: `http://127.0.0.1:${closed}/dicom-web` })).searchForStudies({}),
    ).rejects.toThrow(`cannot connect to PACS "unit" (http://127.0.0.1:${closed}/dicom-web): connection refused`);

    route = () => undefined; // never answers
    const started = Date.now();
    await expect(pacsClient(node({ timeoutSeconds: 0.3 })).searchForStudies({})).rejects.toThrow(
      `PACS "unit" (${base}) did not answer within 0.3 s`,
    );
    expect(Date.now() - started).toBeLessThan(2000);

    route = (_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'multipart/related; type="application/dicom"; boundary=abc',
        'Content-Length': '1000',
      });
      res.write('--abc\r\nContent-Type: application/dicom\r\n\r\nDICM', () => res.socket?.destroy());
    };
    await expect(pacsClient(node()).retrieveInstance(uids)).rejects.toMatchObject({
      message: `PACS "unit" (${base}) dropped the connection during the transfer`,
      transient: true,
    });

    route = (_req, res) =>
      res
        .writeHead(200, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=abc' })
        .end('garbage');
    await expect(pacsClient(node()).retrieveInstance(uids)).rejects.toThrow(
      /^PACS "unit" \(.*\) sent a response that is not valid DICOMweb/,
    );
  });

  it('cancel ends a request that is waiting for an answer', async () => {
    route = () => undefined;
    const client = pacsClient(node({ timeoutSeconds: 60 }));
    const pending = client.searchForStudies({});
    setTimeout(() => client.cancel(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    await expect(client.searchForStudies({})).rejects.toBeInstanceOf(PacsRequestError);
  });
});

describe('QIDO-RS mapping', () => {
  const q = (over: Partial<PacsQueryParams>): PacsQueryParams => ({
    name: 'n',
    level: 'study',
    limit: 50,
    offset: 0,
    ...over,
  });

  it('turns the filters into query parameters', () => {
    expect(
      qidoParams(q({ patientId: 'P1', patientName: 'DOE^*', accessionNumber: 'A', modality: 'DX' }), 51, 0),
    ).toMatchObject({
      PatientID: 'P1',
      PatientName: 'DOE^*',
      AccessionNumber: 'A',
      ModalitiesInStudy: 'DX',
      limit: 51,
      offset: 0,
    });
    expect(qidoParams(q({ dateFrom: '2024-01-01', dateTo: '2024-02-01' }), 1, 0)['StudyDate']).toBe(
      '20240101-20240201',
    );
    expect(qidoParams(q({ dateFrom: '2024-01-01' }), 1, 0)['StudyDate']).toBe('20240101-');
    expect(qidoParams(q({ dateTo: '20240201' }), 1, 0)['StudyDate']).toBe('-20240201');
    expect(qidoParams(q({ dateFrom: '2024-01-01', dateTo: '2024-01-01' }), 1, 0)['StudyDate']).toBe('20240101');
    expect(() => qidoParams(q({ dateFrom: '2024-02-01', dateTo: '2024-01-01' }), 1, 0)).toThrow('is after');
    expect(qidoParams(q({ level: 'series', modality: 'CR' }), 1, 0)['Modality']).toBe('CR');
  });

  it('reads DICOM JSON rows (person names, numbers as strings, missing attributes)', () => {
    const row = toRow({
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
      '00201208': { vr: 'IS', Value: ['12'] },
      '00080061': { vr: 'CS', Value: ['CR', 'DX'] },
    });
    expect(row).toMatchObject({
      PatientName: 'DOE^JANE',
      NumberOfStudyRelatedInstances: 12,
      ModalitiesInStudy: ['CR', 'DX'],
    });
    expect(row.StudyInstanceUID).toBeNull();
  });

  it('keeps QIDO wildcards and includefield commas readable in the URL', () => {
    expect(readableQuery('/s?PatientName=DOE%5E%2A&x=a%2Cb&includefield=0008%2C0010')).toBe(
      '/s?PatientName=DOE^*&x=a%2Cb&includefield=0008,0010',
    );
    expect(readableQuery('/studies')).toBe('/studies');
  });
});
