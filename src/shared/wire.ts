/**
 * JSON encoding for the WebSocket transport: bytes become {"$bytes": "<base64>"}.
 * Works in Node and in the browser (no Buffer).
 */
const BYTES_KEY = '$bytes';

function toBase64(bytes: Uint8Array): string {
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function encodeWire(value: unknown): string {
  // Read the holder's original value: Node's Buffer has a toJSON that runs before the replacer sees it.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    return original instanceof Uint8Array ? { [BYTES_KEY]: toBase64(original) } : v;
  });
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const b = o[BYTES_KEY];
      if (typeof b === 'string' && Object.keys(o).length === 1) return fromBase64(b);
    }
    return v;
  });
}
