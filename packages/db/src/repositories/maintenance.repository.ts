import { type RankOptions, rankBoard } from '@llmpt/shared';
import { sql, type Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';
import { inTransaction } from './transaction.ts';

const HOUR_MS = 3_600_000;
/** Serializes partition creation across workers (any constant; this spells "uvp"). */
const PARTITION_LOCK_KEY = 0x757670;

/** Every column of user_votes: an event moved between partitions keeps all of them. */
const USER_VOTES_COLUMNS = [
  'event_id',
  'created_at',
  'voter_id',
  'llm_id',
  'value',
  'prev_value',
  'ip_hash',
  'net_hash',
  'ua_hash',
  'fp_hash',
  'new_voter',
  'automated',
  'kind',
  'flag_id',
] as const satisfies ReadonlyArray<keyof Database['user_votes']>;

function monthStart(from: Date, offset: number): Date {
  return new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + offset, 1));
}

/** `user_votes_pYYYYMM` for the (UTC) month starting at `lo`. */
export function votePartitionName(lo: Date): string {
  return `user_votes_p${lo.getUTCFullYear()}${String(lo.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Names of the monthly partitions of user_votes (not the default one), oldest first.
 * @see ensureMonthlyPartitions
 */
export async function listVotePartitions(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'user_votes'::regclass AND c.relname LIKE 'user_votes\\_p%'
    ORDER BY c.relname`.execute(db);
  return rows.map((r) => r.name);
}

/**
 * Creates the monthly partitions of user_votes from the month of `from` through `monthsAhead`
 * months later (UTC), returning the names it created; existing ones are skipped. Events that
 * already landed in the default partition for a new month are moved into it, so the attach
 * cannot fail on them. Safe to run concurrently (advisory lock).
 * @see countDefaultPartitionRows, the metric that says this job fell behind.
 */
export async function ensureMonthlyPartitions(
  db: Kysely<Database>,
  from: Date,
  monthsAhead: number,
): Promise<string[]> {
  const created: string[] = [];
  for (let i = 0; i <= monthsAhead; i++) {
    const lo = monthStart(from, i);
    const hi = monthStart(from, i + 1);
    const name = votePartitionName(lo);
    const made = await inTransaction(db, async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${PARTITION_LOCK_KEY})`.execute(trx);
      if ((await listVotePartitions(trx)).includes(name)) return false;

      const table = sql.table(name);
      // Same order inserts take (parent, then default partition), so no deadlock with a flush;
      // EXCLUSIVE still lets readers through while rows move.
      await sql`LOCK TABLE user_votes IN SHARE UPDATE EXCLUSIVE MODE`.execute(trx);
      await sql`LOCK TABLE user_votes_default IN EXCLUSIVE MODE`.execute(trx);
      await sql`CREATE TABLE ${table} (LIKE user_votes INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`.execute(
        trx,
      );
      const cols = sql.join(USER_VOTES_COLUMNS.map((c) => sql.ref(c)));
      await sql`
        WITH moved AS (
          DELETE FROM user_votes_default WHERE created_at >= ${lo} AND created_at < ${hi}
          RETURNING ${cols}
        )
        INSERT INTO ${table} (${cols})
        SELECT ${cols} FROM moved`.execute(trx);
      // DDL takes no bind parameters; the bounds are ISO strings we formatted ourselves.
      await sql`
        ALTER TABLE user_votes ATTACH PARTITION ${table}
        FOR VALUES FROM (${sql.lit(lo.toISOString())}) TO (${sql.lit(hi.toISOString())})`.execute(
        trx,
      );
      return true;
    });
    if (made) created.push(name);
  }
  return created;
}

/**
 * Rows in user_votes_default: events whose month had no partition yet. Should stay 0.
 * @see ensureMonthlyPartitions
 */
export async function countDefaultPartitionRows(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM user_votes_default`.execute(
    db,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Refreshes mv_vote_summary without blocking its readers. Must not run inside a transaction
 * (Postgres forbids CONCURRENTLY there).
 */
export async function refreshVoteSummary(db: Kysely<Database>): Promise<void> {
  if (db.isTransaction) throw new Error('refreshVoteSummary cannot run inside a transaction');
  await sql`REFRESH MATERIALIZED VIEW CONCURRENTLY mv_vote_summary`.execute(db);
}

/**
 * Snapshots llm_vote_counts of the active models as the history row for the UTC hour containing
 * `hour`, each with its overall rank by score from the shared rank rule (`rankBoard`: ties share
 * a rank, a model with no votes, or fewer than `minVotes` (RANK_MIN_VOTES), has rank null), the
 * rule the ranker ranks the live board by, so history, rank arrows and the board agree. Running
 * it again for the same hour overwrites that hour with the current counts.
 * @returns the hour written and how many models it holds.
 */
export async function rollHourlyHistory(
  db: Kysely<Database>,
  hour: Date,
  opts: RankOptions = {},
): Promise<{ hour: Date; models: number }> {
  const start = new Date(Math.floor(hour.getTime() / HOUR_MS) * HOUR_MS);
  const counts = await db
    .selectFrom('llm_vote_counts as c')
    .innerJoin('llms as l', 'l.id', 'c.llm_id')
    .where('l.status', '=', 'active')
    .select(['l.id', 'l.name', 'c.upvotes', 'c.downvotes'])
    .execute();
  if (counts.length === 0) return { hour: start, models: 0 };
  const ranked = rankBoard(
    counts.map((c) => ({
      id: c.id,
      name: c.name,
      up: Number(c.upvotes),
      down: Number(c.downvotes),
    })),
    'score',
    opts,
  );
  // One statement for the whole board: arrays in, one row per model out (null ranks included).
  const result = await sql`
    INSERT INTO llm_score_history (llm_id, hour, upvotes, downvotes, score, rank)
    SELECT t.llm_id, ${start}::timestamptz, t.up, t.down, t.up - t.down, t.rank
    FROM unnest(
      ${ranked.map((r) => r.item.id)}::text[],
      ${ranked.map((r) => r.item.up)}::bigint[],
      ${ranked.map((r) => r.item.down)}::bigint[],
      ${ranked.map((r) => r.rank)}::int[]
    ) AS t(llm_id, up, down, rank)
    ON CONFLICT (llm_id, hour) DO UPDATE SET
      upvotes = excluded.upvotes,
      downvotes = excluded.downvotes,
      score = excluded.score,
      rank = excluded.rank`.execute(db);
  return { hour: start, models: Number(result.numAffectedRows ?? 0n) };
}

/** A user_votes row that still holds any signal. */
const HAS_SIGNAL = sql`(ip_hash IS NOT NULL OR net_hash IS NOT NULL OR ua_hash IS NOT NULL
  OR fp_hash IS NOT NULL OR new_voter IS NOT NULL OR automated IS NOT NULL)`;

export interface SignalRetentionOptions {
  /** Events created before this lose their signals. */
  before: Date;
  /** Width of one UPDATE's created_at range (default one hour): each is its own short transaction. */
  stepMs?: number;
  /** Stop after this many ranges (default: none); the next run continues where this one ended. */
  maxSteps?: number;
}

export interface SignalRetentionResult {
  /** Events whose signals were cleared. */
  cleared: number;
  /** UPDATE statements run (created_at ranges visited). */
  steps: number;
}

/**
 * Ends the retention of the signals kept with vote events (issue 13: "retention is
 * configurable"): sets ip_hash, net_hash, ua_hash, fp_hash, new_voter and automated to NULL on
 * every user_votes row created before `before`. The event itself (voter, model, value, kind,
 * flag) is kept: counts and flags do not depend on the signals once they are old.
 *
 * Works through created_at ranges of `stepMs`, oldest first, from the oldest event that still
 * holds a signal, one autocommitted UPDATE per range (an index range scan of
 * user_votes_created_at_idx): no statement holds row locks on more than one range's events, so
 * flushes writing today's events never wait on it. Idempotent; safe to interrupt. Finding the
 * oldest such event reads the index from the oldest kept event (cleared ones included): cheap
 * next to the updates, and bounded by PARTITION_RETENTION_MONTHS where that is set.
 */
export async function clearOldSignals(
  db: Kysely<Database>,
  opts: SignalRetentionOptions,
): Promise<SignalRetentionResult> {
  const stepMs = opts.stepMs ?? HOUR_MS;
  if (!(stepMs > 0)) throw new RangeError(`stepMs must be positive, got ${stepMs}`);
  const before = opts.before;
  const result: SignalRetentionResult = { cleared: 0, steps: 0 };
  const { rows } = await sql<{ oldest: Date | null }>`
    SELECT min(created_at) AS oldest FROM user_votes
    WHERE created_at < ${before} AND ${HAS_SIGNAL}`.execute(db);
  const oldest = rows[0]?.oldest;
  if (!oldest) return result;
  for (let lo = new Date(oldest).getTime(); lo < before.getTime(); lo += stepMs) {
    if (opts.maxSteps !== undefined && result.steps >= opts.maxSteps) break;
    const hi = Math.min(lo + stepMs, before.getTime());
    const updated = await sql`
      UPDATE user_votes SET ip_hash = NULL, net_hash = NULL, ua_hash = NULL, fp_hash = NULL,
        new_voter = NULL, automated = NULL
      WHERE created_at >= ${new Date(lo)} AND created_at < ${new Date(hi)} AND ${HAS_SIGNAL}`.execute(
      db,
    );
    result.cleared += Number(updated.numAffectedRows ?? 0n);
    result.steps++;
  }
  return result;
}
