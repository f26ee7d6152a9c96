import { createHash } from 'node:crypto';

import type { PublicDumpRecord } from '@llmpt/shared';
import { type Kysely, sql } from 'kysely';

import type { Database } from '../schema/index.ts';

/** A dump's format: the same day's rows as CSV or as JSON. */
export type PublicDumpFormat = 'csv' | 'json';

/** One stored day, without its bodies (what the listing shows). */
export interface PublicDumpSummary {
  /** UTC day, 'YYYY-MM-DD'. */
  day: string;
  rows: number;
  /** Byte lengths of the UTF-8 bodies. */
  csvBytes: number;
  jsonBytes: number;
  /** SHA-256 of the UTF-8 bodies, lowercase hex. */
  csvSha256: string;
  jsonSha256: string;
  createdAt: Date;
}

export interface PublicDumpBody {
  body: string;
  sha256: string;
  createdAt: Date;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' naming a real calendar day, else a RangeError naming the value. */
export function assertDumpDay(day: string): string {
  const m = DAY.exec(day);
  const d = m ? new Date(`${day}T00:00:00Z`) : null;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== day)
    throw new RangeError(
      `public dump day must be a calendar day 'YYYY-MM-DD', got ${JSON.stringify(day)}`,
    );
  return day;
}

function sha256(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/**
 * Writes (or rewrites) one day's dump: both bodies and their SHA-256. Idempotent: the same
 * bodies leave the row as it was (created_at kept); different bodies replace it and take a
 * new created_at. Returns whether the row was inserted or changed.
 */
export async function upsertPublicDump(
  db: Kysely<Database>,
  dump: { day: string; rows: number; csv: string; json: string },
): Promise<{ written: boolean; csvSha256: string; jsonSha256: string }> {
  assertDumpDay(dump.day);
  if (!Number.isSafeInteger(dump.rows) || dump.rows < 0)
    throw new RangeError(`public dump rows must be a non-negative integer, got ${dump.rows}`);
  const csvSha256 = sha256(dump.csv);
  const jsonSha256 = sha256(dump.json);
  const written = await db
    .insertInto('public_dumps')
    .values({
      day: dump.day,
      rows: dump.rows,
      csv: dump.csv,
      json: dump.json,
      csv_sha256: csvSha256,
      json_sha256: jsonSha256,
    })
    .onConflict((oc) =>
      oc
        .column('day')
        .doUpdateSet((eb) => ({
          rows: eb.ref('excluded.rows'),
          csv: eb.ref('excluded.csv'),
          json: eb.ref('excluded.json'),
          csv_sha256: eb.ref('excluded.csv_sha256'),
          json_sha256: eb.ref('excluded.json_sha256'),
          created_at: sql<Date>`now()`,
        }))
        .where((eb) =>
          eb.or([
            eb('public_dumps.csv_sha256', '<>', eb.ref('excluded.csv_sha256')),
            eb('public_dumps.json_sha256', '<>', eb.ref('excluded.json_sha256')),
            eb('public_dumps.rows', '<>', eb.ref('excluded.rows')),
          ]),
        ),
    )
    .returning('day')
    .executeTakeFirst();
  return { written: written !== undefined, csvSha256, jsonSha256 };
}

/** The newest `limit` days (1–1000), newest first, without their bodies. */
export async function listPublicDumps(
  db: Kysely<Database>,
  opts: { limit: number },
): Promise<PublicDumpSummary[]> {
  if (!Number.isSafeInteger(opts.limit) || opts.limit < 1 || opts.limit > 1000)
    throw new RangeError(`public dump list limit must be 1-1000, got ${opts.limit}`);
  const rows = await db
    .selectFrom('public_dumps')
    .select([
      'day',
      'rows',
      sql<number>`octet_length(csv)`.as('csvBytes'),
      sql<number>`octet_length(json)`.as('jsonBytes'),
      'csv_sha256 as csvSha256',
      'json_sha256 as jsonSha256',
      'created_at as createdAt',
    ])
    .orderBy('day', 'desc')
    .limit(opts.limit)
    .execute();
  return rows;
}

/** One day's body in one format, with its SHA-256; null when that day has no dump. */
export async function getPublicDump(
  db: Kysely<Database>,
  day: string,
  format: PublicDumpFormat,
): Promise<PublicDumpBody | null> {
  assertDumpDay(day);
  if (format !== 'csv' && format !== 'json')
    throw new RangeError(`public dump format must be 'csv' or 'json', got ${String(format)}`);
  const row =
    format === 'csv'
      ? await db
          .selectFrom('public_dumps')
          .select(['csv as body', 'csv_sha256 as sha256', 'created_at as createdAt'])
          .where('day', '=', day)
          .executeTakeFirst()
      : await db
          .selectFrom('public_dumps')
          .select(['json as body', 'json_sha256 as sha256', 'created_at as createdAt'])
          .where('day', '=', day)
          .executeTakeFirst();
  return row ?? null;
}

/** The days among `days` that have a stored dump (for the worker's catch-up). */
export async function existingPublicDumpDays(
  db: Kysely<Database>,
  days: string[],
): Promise<Set<string>> {
  if (days.length === 0) return new Set();
  for (const d of days) assertDumpDay(d);
  const rows = await db.selectFrom('public_dumps').select('day').where('day', 'in', days).execute();
  return new Set(rows.map((r) => r.day));
}

const DAY_MS = 86_400_000;

/**
 * The rows of one UTC day's public dump (PUBLIC_DUMP_COLUMNS): for every model (except hidden
 * ones) and every hour of the day that has a history snapshot or vote events, the events of the
 * hour counted by kind (votes set up / down / retracted; integrity voids and restores apart)
 * and the tally of the hour's snapshot (llm_score_history: null columns when none). Ordered by
 * hour, then model id. Reads no voter id and no signal.
 */
export async function readPublicDumpRows(
  db: Kysely<Database>,
  day: string,
): Promise<PublicDumpRecord[]> {
  assertDumpDay(day);
  const start = new Date(`${day}T00:00:00Z`);
  const end = new Date(start.getTime() + DAY_MS);
  const { rows } = await sql<{
    hour: Date;
    llm_id: string;
    llm_name: string;
    votes_up: number;
    votes_down: number;
    retracted: number;
    voided: number;
    restored: number;
    up: number | null;
    down: number | null;
    score: number | null;
    rank: number | null;
  }>`
    WITH events AS (
      SELECT llm_id,
        date_bin('1 hour', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour,
        count(*) FILTER (WHERE kind = 'vote' AND value = 1) AS votes_up,
        count(*) FILTER (WHERE kind = 'vote' AND value = -1) AS votes_down,
        count(*) FILTER (WHERE kind = 'vote' AND value = 0) AS retracted,
        count(*) FILTER (WHERE kind = 'void') AS voided,
        count(*) FILTER (WHERE kind = 'restore') AS restored
      FROM user_votes
      WHERE created_at >= ${start}::timestamptz AND created_at < ${end}::timestamptz
      GROUP BY 1, 2
    ), history AS (
      SELECT llm_id, hour, upvotes, downvotes, score, rank FROM llm_score_history
      WHERE hour >= ${start}::timestamptz AND hour < ${end}::timestamptz
    )
    SELECT coalesce(h.hour, e.hour) AS hour, l.id AS llm_id, l.name AS llm_name,
      coalesce(e.votes_up, 0)::int AS votes_up, coalesce(e.votes_down, 0)::int AS votes_down,
      coalesce(e.retracted, 0)::int AS retracted, coalesce(e.voided, 0)::int AS voided,
      coalesce(e.restored, 0)::int AS restored,
      h.upvotes::int8 AS up, h.downvotes::int8 AS down, h.score::int8 AS score, h.rank
    FROM history h
    FULL JOIN events e ON e.llm_id = h.llm_id AND e.hour = h.hour
    JOIN llms l ON l.id = coalesce(h.llm_id, e.llm_id)
    WHERE l.status <> 'hidden'
    ORDER BY 1, 2`.execute(db);
  return rows.map((r) => ({
    hour: r.hour.toISOString().replace('.000Z', 'Z'),
    llm_id: r.llm_id,
    llm_name: r.llm_name,
    votes_up: r.votes_up,
    votes_down: r.votes_down,
    retracted: r.retracted,
    voided: r.voided,
    restored: r.restored,
    up: r.up,
    down: r.down,
    score: r.score,
    rank: r.rank,
  }));
}
