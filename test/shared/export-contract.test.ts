/** The export methods' contract: a caller-chosen export id must be a UUID, for export.run and export.cancel alike. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { parseRequest } from '@shared/protocol';

const refusal = (method: string, params: unknown): VipError => {
  try {
    parseRequest(method, params);
  } catch (err) {
    if (err instanceof VipError) return err;
    throw err;
  }
  throw new Error(`${method} accepted ${JSON.stringify(params)}`);
};

describe('export ids in the contract', () => {
  it('export.run takes an optional UUID as exportId', () => {
    const id = randomUUID();
    expect(parseRequest('export.run', { caseIds: [1], out: '/tmp/x.zip', exportId: id }).params).toMatchObject({
      exportId: id,
    });
    expect(parseRequest('export.run', { caseIds: [1], out: '/tmp/x.zip' }).params).not.toHaveProperty('exportId');
  });

  it('export.run refuses an exportId that is not a UUID', () => {
    for (const exportId of ['export-1', '', 42, `${randomUUID()}x`, '../../etc/passwd']) {
      const err = refusal('export.run', { caseIds: [1], out: '/tmp/x.zip', exportId });
      expect(err.code, String(exportId)).toBe('validation');
      expect(err.message).toMatch(/exportId/);
    }
  });

  it('export.cancel needs a UUID and nothing else', () => {
    const id = randomUUID();
    expect(parseRequest('export.cancel', { exportId: id }).params).toEqual({ exportId: id });
    expect(refusal('export.cancel', {}).code).toBe('validation');
    expect(refusal('export.cancel', { exportId: 'abc' }).code).toBe('validation');
    expect(refusal('export.cancel', { exportId: id, force: true }).code).toBe('validation');
  });
});
