/**
 * Any thrown value as something a person can read: a headline, the error code and the technical detail.
 * Errors can arrive as RemoteError (WebSocket client), as plain Errors whose extra fields were dropped by Electron's
 * context bridge, or as plain objects; all are read by shape rather than by class.
 */
export interface DisplayError {
  message: string;
  code: string | null;
  detail: string | null;
}

function field(value: unknown, key: string): string | null {
  if (value === null || typeof value !== 'object' || !(key in value)) return null;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function toDisplayError(err: unknown): DisplayError {
  if (typeof err === 'string') return { message: err, code: null, detail: null };
  const message = field(err, 'message') ?? 'Something went wrong, and the error said nothing more.';
  const code = field(err, 'code');
  let detail = field(err, 'detail');
  // Renderer-side faults (no code) have only their stack to offer as detail.
  if (detail === null && code === null) detail = field(err, 'stack');
  return { message, code, detail };
}
