import type { Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';

/** One model's snapshot at one hour, as stored by `rollHourlyHistory`. */
export interface ScoreHistoryRow {
  llmId: string;
  hour: Date;
  up: number;
  down: number;
  score: number;
  /** Overall rank by score that hour (ties share a rank); null: no votes yet. */
  rank: number | null;
}

/**
 * The hourly snapshots taken at or after `since`, oldest first; of one model when `llmId` is
 * given (served by the primary key), else of every model (by the hour index), grouped by model.
 * @see rollHourlyHistory, which writes them.
 */
export async function listScoreHistory(
  db: Kysely<Database>,
  opts: { since: Date; llmId?: string },
): Promise<ScoreHistoryRow[]> {
  let query = db
    .selectFrom('llm_score_history')
    .select(['llm_id as llmId', 'hour', 'upvotes as up', 'downvotes as down', 'score', 'rank'])
    .where('hour', '>=', opts.since);
  if (opts.llmId !== undefined) query = query.where('llm_id', '=', opts.llmId);
  return query.orderBy('llm_id').orderBy('hour').execute();
}

/**
 * The latest stored hour at or before `at` (the snapshot an "as of `at`" board shows), or null
 * when history holds nothing that old. Served by the hour index (one backward index probe).
 */
export async function historyHourAtOrBefore(db: Kysely<Database>, at: Date): Promise<Date | null> {
  const row = await db
    .selectFrom('llm_score_history')
    .select((eb) => eb.fn.max('hour').as('hour'))
    .where('hour', '<=', at)
    .executeTakeFirst();
  return row?.hour ? new Date(row.hour) : null;
}

/** The latest stored hour, or null when history is empty. */
export async function latestHistoryHour(db: Kysely<Database>): Promise<Date | null> {
  const row = await db
    .selectFrom('llm_score_history')
    .select((eb) => eb.fn.max('hour').as('hour'))
    .executeTakeFirst();
  return row?.hour ? new Date(row.hour) : null;
}

/**
 * Every model's snapshots from `since` to `until` (both included), grouped by model, oldest
 * first: the hour an "as of" board shows and the hours before it its trending values decay
 * from. A model with no row at `until` did not exist (or was not active) then.
 * @see listScoreHistory
 */
export async function listScoreHistoryBetween(
  db: Kysely<Database>,
  opts: { since: Date; until: Date },
): Promise<ScoreHistoryRow[]> {
  return db
    .selectFrom('llm_score_history')
    .select(['llm_id as llmId', 'hour', 'upvotes as up', 'downvotes as down', 'score', 'rank'])
    .where('hour', '>=', opts.since)
    .where('hour', '<=', opts.until)
    .orderBy('llm_id')
    .orderBy('hour')
    .execute();
}
