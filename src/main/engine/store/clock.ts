/** Timestamps stored in the database: ISO 8601 in UTC, so they sort as text. */
export function nowIso(): string {
  return new Date().toISOString();
}
