/** A CSV cell: text is escaped (and defused); numbers, booleans and null are written bare. */
export type CsvCell = string | number | boolean | null;

/** First characters a spreadsheet reads as a formula (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One text cell, CSV-injection-safe as OWASP recommends: a value starting with = + - @, tab or
 * carriage return gets a leading single quote (so a spreadsheet shows it as text, never runs
 * it), and every cell is quoted with its double quotes doubled (RFC 4180), so a comma, quote or
 * line break inside a name cannot start a new cell or row. Numbers are ours (never user text)
 * and written bare, so a negative score stays a number.
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 */
export function csvCell(value: CsvCell): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${text.replaceAll('"', '""')}"`;
}

/** A CSV document: a header row, then one row per item; CRLF line ends (RFC 4180). */
export function toCsv<T>(columns: ReadonlyArray<[string, (item: T) => CsvCell]>, items: T[]) {
  const lines = [columns.map(([name]) => name).join(',')];
  for (const item of items) lines.push(columns.map(([, get]) => csvCell(get(item))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
