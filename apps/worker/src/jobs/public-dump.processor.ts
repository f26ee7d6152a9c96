import {
  type Database,
  existingPublicDumpDays,
  getPublicDump,
  listPublicDumps,
  readPublicDumpRows,
  upsertPublicDump,
} from '@llmpt/db';
import { PUBLIC_DATA_LICENCE, PUBLIC_DUMP_COLUMNS, type PublicDumpRecord } from '@llmpt/shared';
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';

export interface PublicDumpDeps {
  db: Kysely<Database>;
  log: (msg: string) => void;
  metrics?: Pick<Metrics, 'publicDumpNewestDay' | 'publicDumpDaysWritten'>;
}

/** Days before today a run looks back for a missing dump (a worker that was down catches up). */
export const PUBLIC_DUMP_CATCH_UP_DAYS = 7;

const DAY_MS = 86_400_000;

/** The UTC day `daysAgo` whole days before the one containing `now`, 'YYYY-MM-DD'. */
export function utcDay(now: Date, daysAgo: number): string {
  const midnight = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return new Date(midnight - daysAgo * DAY_MS).toISOString().slice(0, 10);
}

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The dump as CSV: a header row of PUBLIC_DUMP_COLUMNS, then one line per row (LF endings). */
export function publicDumpCsv(rows: readonly PublicDumpRecord[]): string {
  const names = PUBLIC_DUMP_COLUMNS.map((c) => c.name);
  const lines = [names.join(',')];
  for (const row of rows) lines.push(names.map((n) => csvField(row[n])).join(','));
  return `${lines.join('\n')}\n`;
}

/** The dump as JSON: licence, day, generation time, the columns described, the rows. */
export function publicDumpJson(
  day: string,
  generatedAt: Date,
  rows: readonly PublicDumpRecord[],
): string {
  return JSON.stringify({
    licence: PUBLIC_DATA_LICENCE,
    day,
    generatedAt: generatedAt.toISOString(),
    columns: PUBLIC_DUMP_COLUMNS,
    rows,
  });
}

export type DayOutcome = 'written' | 'unchanged' | 'empty';

/**
 * Writes one UTC day's dump. A day without any history snapshot or vote event (before the
 * installation, or a day it was down throughout) gets none. When the stored CSV already holds
 * the same rows, nothing is written: the JSON (whose generatedAt would differ) and created_at
 * stay, so a second run changes nothing.
 */
export async function writePublicDump(
  deps: PublicDumpDeps,
  day: string,
  now: Date,
): Promise<{ day: string; rows: number; outcome: DayOutcome }> {
  const rows = await readPublicDumpRows(deps.db, day);
  if (rows.length === 0) return { day, rows: 0, outcome: 'empty' };
  const csv = publicDumpCsv(rows);
  const stored = await getPublicDump(deps.db, day, 'csv');
  if (stored?.sha256 === createHash('sha256').update(csv, 'utf8').digest('hex'))
    return { day, rows: rows.length, outcome: 'unchanged' };
  await upsertPublicDump(deps.db, {
    day,
    rows: rows.length,
    csv,
    json: publicDumpJson(day, now, rows),
  });
  return { day, rows: rows.length, outcome: 'written' };
}

/**
 * The `public-dump` job (daily, PUBLIC_DUMP_CRON; and once at each worker start): writes the
 * previous UTC day's dump (again, if the event log or history changed since), and each day of
 * the last PUBLIC_DUMP_CATCH_UP_DAYS that has none. Idempotent.
 * @returns each day looked at, oldest first, with what happened.
 */
export async function runPublicDumps(
  deps: PublicDumpDeps,
  now = new Date(),
): Promise<Array<{ day: string; rows: number; outcome: DayOutcome }>> {
  const days = Array.from({ length: PUBLIC_DUMP_CATCH_UP_DAYS }, (_, i) =>
    utcDay(now, PUBLIC_DUMP_CATCH_UP_DAYS - i),
  );
  const yesterday = utcDay(now, 1);
  const existing = await existingPublicDumpDays(deps.db, days);
  const done: Array<{ day: string; rows: number; outcome: DayOutcome }> = [];
  for (const day of days) {
    if (day !== yesterday && existing.has(day)) continue;
    const result = await writePublicDump(deps, day, now);
    if (result.outcome === 'written') {
      deps.log(`public dump of ${day} written: ${result.rows} rows`);
      deps.metrics?.publicDumpDaysWritten.inc();
    }
    done.push(result);
  }
  const [newest] = await listPublicDumps(deps.db, { limit: 1 });
  deps.metrics?.publicDumpNewestDay.set(newest ? Date.parse(`${newest.day}T00:00:00Z`) / 1000 : 0);
  return done;
}
