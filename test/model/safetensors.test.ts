import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import {
  halfToFloat,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from '../../src/main/engine/model/safetensors';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vip-st-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a safetensors file by hand, independently of writeSafetensors. */
function rawFile(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectBadInput(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VipError);
    expect((err as VipError).code).toBe('bad_input');
    expect((err as VipError).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a bad_input error');
}

describe('writeSafetensors / readSafetensors', () => {
  const tensors = new Map([
    ['b.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, -6e-8]) }],
    ['a.bias', { shape: [3], data: Float32Array.from([0.25, 0, -1]) }],
    ['scalar', { shape: [], data: Float32Array.from([4.605]) }],
  ]);

  it('round-trips F32 tensors and metadata through bytes and through a file', () => {
    const bytes = writeSafetensors(tensors, { format: 'pt', note: 'x' });
    const file = join(dir, 'w.safetensors');
    writeFileSync(file, bytes);
    for (const back of [readSafetensors(bytes), readSafetensors(file)]) {
      expect(back.metadata).toEqual({ format: 'pt', note: 'x' });
      expect([...back.tensors.keys()].sort()).toEqual(['a.bias', 'b.weight', 'scalar']);
      for (const [name, t] of tensors) {
        const got = back.tensors.get(name);
        expect(got?.dtype).toBe('F32');
        expect(got?.shape).toEqual(t.shape);
        expect(Array.from(got?.data ?? [])).toEqual(Array.from(t.data));
      }
    }
  });

  it('is deterministic: sorted names, 8-byte aligned header, same bytes whatever the insertion order', () => {
    const a = writeSafetensors(tensors);
    const b = writeSafetensors(new Map([...tensors.entries()].reverse()));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const headerLength = Number(new DataView(a.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(a.subarray(8, 8 + headerLength))) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['a.bias', 'b.weight', 'scalar']);
    expect(header['a.bias']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [0, 12] });
  });

  it('reads only the selected tensors and the header alone', () => {
    const file = join(dir, 'w.safetensors');
    writeFileSync(file, writeSafetensors(tensors));
    expect([...readSafetensors(file, { only: (n) => n.endsWith('.bias') }).tensors.keys()]).toEqual(['a.bias']);
    const header = readSafetensorsHeader(file);
    expect(header.entries.map((e) => e.name).sort()).toEqual(['a.bias', 'b.weight', 'scalar']);
  });

  it('converts F16, BF16, F64 and I64 to float32', () => {
    const f16 = new Uint8Array(8);
    const dv16 = new DataView(f16.buffer);
    [0x3c00, 0xc000, 0x3555, 0x0001].forEach((h, i) => dv16.setUint16(i * 2, h, true)); // 1, -2, ~0.3333, 2^-24
    const bf16 = new Uint8Array(4);
    new DataView(bf16.buffer).setUint16(0, 0x3fc0, true); // 1.5
    new DataView(bf16.buffer).setUint16(2, 0xc2f7, true); // -123.5
    const f64 = new Uint8Array(16);
    new DataView(f64.buffer).setFloat64(0, Math.PI, true);
    new DataView(f64.buffer).setFloat64(8, -1e-3, true);
    const i64 = new Uint8Array(16);
    new DataView(i64.buffer).setBigInt64(0, 76n, true);
    new DataView(i64.buffer).setBigInt64(8, -3n, true);
    const data = new Uint8Array([...f16, ...bf16, ...f64, ...i64]);
    const header = {
      h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
      d: { dtype: 'F64', shape: [2, 1], data_offsets: [12, 28] },
      p: { dtype: 'I64', shape: [1, 2], data_offsets: [28, 44] },
    };
    const back = readSafetensors(rawFile(header, data)).tensors;
    expect(Array.from(back.get('h')?.data ?? [])).toEqual([1, -2, Math.fround(0.333251953125), 2 ** -24]);
    expect(Array.from(back.get('b')?.data ?? [])).toEqual([1.5, -123.5]);
    expect(Array.from(back.get('d')?.data ?? [])).toEqual([Math.fround(Math.PI), Math.fround(-1e-3)]);
    expect(Array.from(back.get('p')?.data ?? [])).toEqual([76, -3]);
    expect(back.get('h')?.dtype).toBe('F16');
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });
});

describe('readSafetensors rejects damaged files with a message naming the file', () => {
  const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const data8 = new Uint8Array(8);

  it('a file shorter than the length prefix', () => {
    const file = join(dir, 'tiny.safetensors');
    writeFileSync(file, new Uint8Array(3));
    expectBadInput(() => readSafetensors(file), /tiny\.safetensors.*only 3 bytes/);
  });

  it('a header length beyond the file', () => {
    const bytes = rawFile(good, data8);
    new DataView(bytes.buffer).setBigUint64(0, 10_000n, true);
    const file = join(dir, 'long.safetensors');
    writeFileSync(file, bytes);
    expectBadInput(() => readSafetensors(file), /long\.safetensors.*header length 10000 runs past the end/);
  });

  it('a header that is not JSON', () => {
    expectBadInput(
      () => readSafetensors(rawFile(null, data8, '{"w": nope'), { label: 'x.st' }),
      /x\.st.*not valid JSON/,
    );
  });

  it('offsets out of range (truncated data)', () => {
    const file = join(dir, 'cut.safetensors');
    writeFileSync(file, rawFile(good, data8).subarray(0, -4));
    expectBadInput(
      () => readSafetensors(file),
      /cut\.safetensors.*"w" ends at byte 8 but only 4 data bytes.*truncated/,
    );
  });

  it('overlapping tensors', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    };
    expectBadInput(() => readSafetensors(rawFile(header, data8)), /"b" overlaps/);
  });

  it('a data size that does not match shape times dtype', () => {
    const header = { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } };
    expectBadInput(() => readSafetensors(rawFile(header, data8)), /"w" holds 8 bytes but shape \[3\] of F32 needs 12/);
  });

  it('an unknown dtype, trailing bytes, and bad metadata', () => {
    const header = { w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } };
    expectBadInput(() => readSafetensors(rawFile(header, data8)), /unsupported dtype "C64"/);
    expectBadInput(() => readSafetensors(rawFile(good, new Uint8Array(12))), /4 bytes after the last tensor/);
    const meta = { ...good, __metadata__: { n: 3 } };
    expectBadInput(() => readSafetensors(rawFile(meta, data8)), /__metadata__\.n is not a string/);
  });

  it('a missing file', () => {
    expectBadInput(() => readSafetensors(join(dir, 'absent.safetensors')), /cannot open .*absent\.safetensors: ENOENT/);
  });
});
