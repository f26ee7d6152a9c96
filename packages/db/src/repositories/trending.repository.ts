import type { VoteCounts } from '@llmpt/shared';
import { type Kysely, sql } from 'kysely';

import type { Database } from '../schema/index.ts';

/** Events older than this many half-lives weigh < 2^-30 each and are not read. */
export const TRENDING_HORIZON_HALF_LIVES = 30;

/** Each model's trending value and its tally, as Postgres holds them at one instant. */
export interface TrendingFromEvents {
  /** Time-decayed net score by model (unrounded); models without recent events are absent. */
  trending: Map<string, number>;
  /** llm_vote_counts, read in the same statement (so the same snapshot as the events). */
  counts: Map<string, VoteCounts>;
}

/**
 * The trending value of every model at `now` computed from the vote event log (user_votes):
 * each event's change of the model's score (`value − prev_value`: +1 an upvote, −2 an upvote
 * switched to a downvote, −1 a retracted or voided upvote, …) weighted by its age, halving every
 * `halfLifeMs` (the shared `decayWeight`, in SQL); events after `now` weigh 1. With the tallies
 * of the same snapshot, so a caller can add what Redis holds beyond them (not yet flushed) as
 * fresh votes. Reads the last TRENDING_HORIZON_HALF_LIVES half-lives of events (by the
 * created_at index): the ranker's cold start when Redis holds no snapshot to continue from.
 */
export async function trendingFromEvents(
  db: Kysely<Database>,
  opts: { now: Date; halfLifeMs: number },
): Promise<TrendingFromEvents> {
  if (!(opts.halfLifeMs > 0))
    throw new RangeError(`halfLifeMs must be > 0, got ${opts.halfLifeMs}`);
  const since = new Date(opts.now.getTime() - TRENDING_HORIZON_HALF_LIVES * opts.halfLifeMs);
  const { rows } = await sql<{
    llm_id: string;
    up: number;
    down: number;
    trending: number | null;
  }>`
    WITH events AS (
      SELECT llm_id,
        sum((value - prev_value)::float8 * power(2::float8,
          -greatest(0::float8, extract(epoch FROM (${opts.now}::timestamptz - created_at))::float8)
            * 1000 / ${opts.halfLifeMs}::float8)) AS trending
      FROM user_votes
      WHERE created_at > ${since}::timestamptz
      GROUP BY llm_id
    )
    SELECT coalesce(c.llm_id, e.llm_id) AS llm_id,
      coalesce(c.upvotes, 0)::int8 AS up, coalesce(c.downvotes, 0)::int8 AS down, e.trending
    FROM llm_vote_counts c FULL JOIN events e ON e.llm_id = c.llm_id`.execute(db);
  const trending = new Map<string, number>();
  const counts = new Map<string, VoteCounts>();
  for (const r of rows) {
    counts.set(r.llm_id, { up: Number(r.up), down: Number(r.down) });
    if (r.trending !== null && r.trending !== 0) trending.set(r.llm_id, Number(r.trending));
  }
  return { trending, counts };
}
