/**
 * Errors that cross a process boundary. `code` decides how every transport reports them:
 * the CLI exits 2 for anything the user can fix (bad input) and 1 for internal faults.
 */
export const errorCodes = [
  'bad_input', // the request or a file it names is wrong: fixable by the user
  'validation', // a message failed the contract's schema
  'not_found',
  'conflict',
  'cancelled',
  'unavailable', // a resource (Electron binary, LLM endpoint, PACS) cannot be reached
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Technical detail for the "details" disclosure in the UI; never shown as the headline. */
  detail?: string;
}

export class VipError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'VipError';
    this.code = code;
    this.detail = detail;
  }
  toInfo(): ErrorInfo {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

export const badInput = (message: string, detail?: string): VipError => new VipError('bad_input', message, detail);
export const notFound = (message: string): VipError => new VipError('not_found', message);

/** True for errors the user caused and can fix (CLI exit code 2). */
export function isUserError(code: ErrorCode): boolean {
  return code !== 'internal';
}

/** Any thrown value as an ErrorInfo; unknown errors become `internal` with their stack as detail. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof VipError) return err.toInfo();
  if (err instanceof Error) return { code: 'internal', message: err.message, detail: err.stack ?? err.message };
  return { code: 'internal', message: String(err) };
}
