/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}`, then the raw tensor bytes.
 *
 * Every floating-point tensor is returned as a Float32Array, whatever it was stored as (F64, F32, F16, BF16), because
 * the engine computes in float32 throughout. Integer tensors (old Hugging Face checkpoints carry an I64 `position_ids`
 * buffer) are converted too, so a whole checkpoint reads without special cases; nothing we use needs them.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { badInput } from '@shared/errors';

export const safetensorsDtypes = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type SafetensorsDtype = (typeof safetensorsDtypes)[number];

const bytesPerElement: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface Tensor {
  /** The dtype the file stored; `data` is always float32. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/** A tensor to write: always stored as F32. */
export interface TensorInput {
  shape: readonly number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets into the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: TensorEntry[];
  metadata: Record<string, string>;
  /** Absolute file offset where the data section starts. */
  dataStart: number;
}

export interface ReadOptions {
  /** Only read the tensors this accepts (the others are validated but not converted). */
  only?: (name: string) => boolean;
  /** How to name the source in errors when `src` is bytes. */
  label?: string;
}

// The reference implementation refuses headers over 100 MB; so do we, before allocating anything.
const maxHeaderBytes = 100_000_000;

/** Reads a safetensors file or buffer, validating the header and every offset first. */
export function readSafetensors(src: Uint8Array | string, options: ReadOptions = {}): SafetensorsFile {
  const label = typeof src === 'string' ? src : (options.label ?? 'safetensors data');
  if (typeof src !== 'string') {
    const header = parseHeader(src.length, (offset, length) => src.subarray(offset, offset + length), label);
    return decodeAll(header, options, (offset, length) => src.subarray(offset, offset + length), label, false);
  }
  const fd = openFile(src);
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number): Uint8Array => readExactly(fd, offset, length);
    const header = parseHeader(size, read, label);
    return decodeAll(header, options, read, label, true);
  } finally {
    closeSync(fd);
  }
}

/**
 * The tensors of a file one at a time (the header read and validated once), so a caller can pause, report or stop
 * between them; the file is closed when the iteration ends, also early.
 */
export function* readSafetensorsOneByOne(path: string, options: ReadOptions = {}): Generator<[string, Tensor]> {
  const fd = openFile(path);
  try {
    const read = (offset: number, length: number): Uint8Array => readExactly(fd, offset, length);
    const header = parseHeader(fstatSync(fd).size, read, path);
    for (const e of header.entries) {
      if (options.only && !options.only(e.name)) continue;
      yield [e.name, decodeEntry(header, e, read, path, true)];
    }
  } finally {
    closeSync(fd);
  }
}

/** The header alone (names, dtypes, shapes) without reading tensor data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openFile(path);
  try {
    return parseHeader(fstatSync(fd).size, (offset, length) => readExactly(fd, offset, length), path);
  } finally {
    closeSync(fd);
  }
}

function openFile(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw badInput(`cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function readExactly(fd: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

type ByteReader = (offset: number, length: number) => Uint8Array;

function parseHeader(fileSize: number, read: ByteReader, label: string): SafetensorsHeader {
  const fail = (why: string) => badInput(`${label} is not a valid safetensors file: ${why}`);
  if (fileSize < 8) throw fail(`only ${fileSize} bytes (at least 8 needed)`);
  const lengthBytes = read(0, 8);
  const headerLength = Number(new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > maxHeaderBytes) throw fail(`header length ${headerLength} is over the 100 MB limit`);
  if (8 + headerLength > fileSize) throw fail(`header length ${headerLength} runs past the end of the file`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(read(8, headerLength));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw fail(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, value, fail));
  }

  // The data section must be exactly covered by the tensors, in order, with no gaps or overlaps.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of byOffset) {
    if (e.begin < expected) throw fail(`tensor "${e.name}" overlaps the previous tensor (offset ${e.begin})`);
    if (e.begin > expected) throw fail(`gap before tensor "${e.name}" (offset ${e.begin}, expected ${expected})`);
    if (e.end > dataLength) {
      throw fail(`tensor "${e.name}" ends at byte ${e.end} but only ${dataLength} data bytes exist (truncated file)`);
    }
    expected = e.end;
  }
  if (expected !== dataLength) throw fail(`${dataLength - expected} bytes after the last tensor`);
  return { entries, metadata, dataStart };
}

function parseEntry(name: string, value: unknown, fail: (why: string) => Error): TensorEntry {
  if (typeof value !== 'object' || value === null) throw fail(`entry "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(safetensorsDtypes as readonly string[]).includes(dtype)) {
    throw fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)}`);
  }
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) throw fail(`tensor "${name}" has an invalid shape`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`tensor "${name}" has invalid data_offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`tensor "${name}" has data_offsets ending before they begin`);
  const d = dtype as SafetensorsDtype;
  const want = shape.reduce((a: number, b: number) => a * b, 1) * bytesPerElement[d];
  if (end - begin !== want) {
    throw fail(`tensor "${name}" holds ${end - begin} bytes but shape [${shape.join(', ')}] of ${d} needs ${want}`);
  }
  return { name, dtype: d, shape: shape as number[], begin, end };
}

function decodeAll(
  header: SafetensorsHeader,
  options: ReadOptions,
  read: ByteReader,
  label: string,
  owned: boolean,
): SafetensorsFile {
  const tensors = new Map<string, Tensor>();
  for (const e of header.entries) {
    if (options.only && !options.only(e.name)) continue;
    tensors.set(e.name, decodeEntry(header, e, read, label, owned));
  }
  return { tensors, metadata: header.metadata };
}

function decodeEntry(
  header: SafetensorsHeader,
  e: TensorEntry,
  read: ByteReader,
  label: string,
  owned: boolean,
): Tensor {
  const bytes = read(header.dataStart + e.begin, e.end - e.begin);
  if (bytes.length !== e.end - e.begin) throw badInput(`${label} is truncated inside tensor "${e.name}"`);
  // A buffer read from a file belongs to us alone: F32 data can be used in place instead of copied.
  const ownsBuffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && owned;
  const data = ownsBuffer && e.dtype === 'F32' ? new Float32Array(bytes.buffer) : toFloat32(bytes, e.dtype);
  return { dtype: e.dtype, shape: e.shape, data };
}

/**
 * Decodes little-endian tensor bytes of any supported dtype into a fresh Float32Array (Node runs on little-endian
 * hosts only, so F32 is a plain copy).
 */
export function toFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = bytes.length / bytesPerElement[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      if (bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

/** IEEE 754 binary16 to a JS number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

type TensorMap = ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>;

function sortedEntries(tensors: TensorMap): [string, TensorInput][] {
  const list: [string, TensorInput][] =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, TensorInput>).entries()] : Object.entries(tensors);
  for (const [name, t] of list) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw badInput(`tensor "${name}": shape [${t.shape.join(', ')}] needs ${count} values, got ${t.data.length}`);
    }
  }
  return list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The header bytes (length prefix included) for F32 tensors in sorted-name order, padded to 8 bytes. */
function encodeHeader(list: [string, TensorInput][], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) header['__metadata__'] = Object.fromEntries(metaKeys.map((k) => [k, metadata[k]]));
  let offset = 0;
  for (const [name, t] of list) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned.
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

function float32Bytes(data: Float32Array): Uint8Array {
  // Node only runs on little-endian hosts, so the in-memory layout is already the file layout.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Encodes tensors as F32 safetensors. Deterministic: names sorted, metadata keys sorted, header 8-byte aligned. */
export function writeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const list = sortedEntries(tensors);
  const header = encodeHeader(list, metadata);
  const total = header.length + list.reduce((s, [, t]) => s + t.data.byteLength, 0);
  const out = new Uint8Array(total);
  out.set(header, 0);
  let pos = header.length;
  for (const [, t] of list) {
    out.set(float32Bytes(t.data), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Same bytes as writeSafetensors, written tensor by tensor to an open file so big towers are never copied whole. */
export function writeSafetensorsToFd(fd: number, tensors: TensorMap, metadata: Record<string, string> = {}): number {
  const list = sortedEntries(tensors);
  const header = encodeHeader(list, metadata);
  let written = writeAll(fd, header);
  for (const [, t] of list) written += writeAll(fd, float32Bytes(t.data));
  return written;
}

function writeAll(fd: number, bytes: Uint8Array): number {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  return done;
}
