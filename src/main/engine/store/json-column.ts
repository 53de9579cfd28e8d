/** JSON stored in TEXT columns. Reading never throws: a damaged value reads as null and the row stays usable. */
export function toJsonColumn(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function fromJsonColumn(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A JSON column that must hold an object (DICOM attributes, audit detail). */
export function objectFromJsonColumn(text: string | null): Record<string, unknown> | null {
  const value = fromJsonColumn(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
