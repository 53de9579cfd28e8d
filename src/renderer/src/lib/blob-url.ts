/** Rendered pixels arrive as bytes; the browser shows them through an object URL that the caller must revoke. */
export function bytesToObjectUrl(data: Uint8Array, mediaType: string): string {
  // Copy into a plain ArrayBuffer-backed view: Blob rejects views over SharedArrayBuffer.
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return URL.createObjectURL(new Blob([copy], { type: mediaType }));
}
