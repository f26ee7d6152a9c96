import type { ColumnType, Selectable } from 'kysely';

/** One UTC day's open-data dump (issue 15), as CSV and JSON with their SHA-256 (hex). */
export interface PublicDumpsTable {
  /** The UTC day, 'YYYY-MM-DD' (a `date`, read back as a string: no time zone shift). */
  day: ColumnType<string, string, string>;
  rows: number;
  csv: string;
  json: string;
  csv_sha256: string;
  json_sha256: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type PublicDumpRow = Selectable<PublicDumpsTable>;
