import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { sql, type Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';
import { copyOut, withPgClient } from './pg-client.ts';
import { listVotePartitions, votePartitionName } from './maintenance.repository.ts';
import { inTransaction } from './transaction.ts';

/** Rows counted at most in the default partition: the alert needs "> 0", not an exact census. */
const DEFAULT_ROWS_CAP = 100_000;

/** The UTC month of a partition name `user_votes_pYYYYMM`, or null for any other name. */
export function partitionMonth(name: string): Date | null {
  const m = /^user_votes_p(\d{4})(\d{2})$/.exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
}

export interface PartitionHealth {
  /** Rows in user_votes_default, counted up to 100,000. */
  defaultRows: number;
  /** Consecutive whole months after the current one that have a partition. */
  monthsAhead: number;
}

/**
 * What the partition metrics export: rows that fell into the default partition (their month had
 * no partition) and how far ahead partitions exist.
 */
export async function partitionHealth(
  db: Kysely<Database>,
  now = new Date(),
): Promise<PartitionHealth> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (SELECT 1 FROM user_votes_default LIMIT ${DEFAULT_ROWS_CAP}) d`.execute(
    db,
  );
  const names = new Set(await listVotePartitions(db));
  let monthsAhead = 0;
  for (;;) {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsAhead + 1, 1));
    if (!names.has(votePartitionName(month))) break;
    monthsAhead++;
  }
  return { defaultRows: rows[0]?.n ?? 0, monthsAhead };
}

export type ArchiveMode = 'file' | 'table' | 'drop';

export interface RetentionOptions {
  /** Partitions whose whole month ended more than this many months before `now`'s month go. */
  keepMonths: number;
  archive: ArchiveMode;
  /** Where 'file' writes `user_votes_pYYYYMM.csv.gz`. */
  archiveDir?: string;
  /** The database's URL, for 'file' (COPY needs a plain connection). */
  databaseUrl?: string;
  now?: Date;
}

export interface DetachedPartition {
  name: string;
  /** The archive: a file path, `archive.<name>`, or null when dropped. */
  archivedTo: string | null;
}

/**
 * Detaches the monthly user_votes partitions older than `keepMonths` whole months (the month of
 * `now` and later are never touched; 0 keeps everything), archives each as asked, then ANALYZEs
 * user_votes so the planner's statistics follow. The events are history: tallies and ballots
 * live in votes and llm_vote_counts, which this does not touch. 'file' writes gzipped CSV
 * (header row) to a temporary name, renames it, and only then drops the table.
 */
export async function detachOldPartitions(
  db: Kysely<Database>,
  opts: RetentionOptions,
): Promise<DetachedPartition[]> {
  if (opts.keepMonths <= 0) return [];
  const now = opts.now ?? new Date();
  const cutoff = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - opts.keepMonths, 1));
  const old = (await listVotePartitions(db)).filter((name) => {
    const month = partitionMonth(name);
    return month !== null && month < cutoff;
  });
  const done: DetachedPartition[] = [];
  for (const name of old) {
    const table = sql.table(name);
    // A default partition exists, so DETACH … CONCURRENTLY is not allowed: this takes a short
    // exclusive lock on user_votes (flushes wait for it; the partition is not scanned).
    await sql`ALTER TABLE user_votes DETACH PARTITION ${table}`.execute(db);
    let archivedTo: string | null = null;
    if (opts.archive === 'table') {
      await inTransaction(db, async (trx) => {
        await sql`CREATE SCHEMA IF NOT EXISTS archive`.execute(trx);
        await sql`ALTER TABLE ${table} SET SCHEMA archive`.execute(trx);
      });
      archivedTo = `archive.${name}`;
    } else {
      if (opts.archive === 'file') archivedTo = await archiveToFile(name, opts);
      await sql`DROP TABLE ${table}`.execute(db);
    }
    done.push({ name, archivedTo });
  }
  if (done.length > 0) await analyzeUserVotes(db);
  return done;
}

/** ANALYZE user_votes (the parent and its partitions), after a partition was added or removed. */
export async function analyzeUserVotes(db: Kysely<Database>): Promise<void> {
  await sql`ANALYZE user_votes`.execute(db);
}

async function archiveToFile(name: string, opts: RetentionOptions): Promise<string> {
  const dir = opts.archiveDir;
  if (!dir || !opts.databaseUrl)
    throw new Error('archiving a partition to a file needs archiveDir and databaseUrl');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.csv.gz`);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await withPgClient(opts.databaseUrl, async (client) => {
      const ident = client.escapeIdentifier(name);
      await pipeline(
        copyOut(
          client,
          `COPY (SELECT * FROM ${ident} ORDER BY created_at, event_id) TO STDOUT WITH (FORMAT csv, HEADER)`,
        ),
        createGzip(),
        createWriteStream(tmp, { flags: 'wx' }),
      );
    });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}
