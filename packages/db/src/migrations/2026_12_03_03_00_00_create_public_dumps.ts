import { type Kysely, sql } from 'kysely';

/**
 * Issue 15: the daily open-data dumps (one row per UTC day: the day's hourly votes and tallies
 * per model as CSV and as JSON, with their SHA-256), written by the worker's `public-dump` job
 * and served as they are by the api. Rewritten whole by an idempotent upsert.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE public_dumps (
      day date PRIMARY KEY,
      rows integer NOT NULL CHECK (rows >= 0),
      csv text NOT NULL,
      json text NOT NULL,
      csv_sha256 text NOT NULL,
      json_sha256 text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE public_dumps`.execute(db);
}
