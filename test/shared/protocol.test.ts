import { describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { parseRequest, parseResult } from '@shared/protocol';
import { decodeWire, encodeWire } from '@shared/wire';

describe('wire encoding', () => {
  it('round-trips bytes, including Node Buffers, inside nested values', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    const value = {
      files: [{ name: 'a.png', data: Buffer.from(bytes) }],
      plain: [1, 'x', null],
      top: new Uint8Array([0, 255]),
    };
    const decoded = decodeWire(encodeWire(value)) as typeof value;
    expect(decoded.files[0]?.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.files[0]?.data ?? [])).toEqual(Array.from(bytes));
    expect(Array.from(decoded.top)).toEqual([0, 255]);
    expect(decoded.plain).toEqual([1, 'x', null]);
  });

  it('leaves objects that merely contain a $bytes key among others alone', () => {
    expect(decodeWire('{"a":{"$bytes":"AA==","b":1}}')).toEqual({ a: { $bytes: 'AA==', b: 1 } });
  });
});

describe('request validation', () => {
  it('rejects unknown methods and bad params with a validation error', () => {
    expect(() => parseRequest('cases.delete-everything', {})).toThrowError(/Unknown method/);
    const bad = (): unknown => parseRequest('cases.get', { id: 'one' });
    expect(bad).toThrowError(VipError);
    expect(bad).toThrowError(/id/);
    expect(() => parseRequest('cases.list', { limit: 5, sneaky: true })).toThrowError(/Invalid parameters/);
    expect(() => parseRequest('__proto__', {})).toThrowError(/Unknown method/);
  });

  it('fills defaults for valid params', () => {
    const { params } = parseRequest<'cases.list'>('cases.list', {});
    expect(params).toMatchObject({ offset: 0, limit: 200, sort: 'created_desc' });
  });

  it('rejects an engine result that breaks the contract', () => {
    expect(() => parseResult('settings.get', { reviewerName: 3 })).toThrowError(/invalid settings.get result/);
  });
});
