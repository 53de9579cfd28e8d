/**
 * CSV as RFC 4180 writes it (comma separated, CRLF line ends, fields with a comma, quote or line break quoted, quotes
 * doubled), with a UTF-8 byte order mark so spreadsheet programs read accents right. Text that a spreadsheet would run
 * as a formula (starting with =, +, -, @, tab or carriage return) gets a leading apostrophe; numbers are written as
 * numbers.
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return '\uFEFF' + csvLine(header) + rows.map(csvLine).join('');
}
