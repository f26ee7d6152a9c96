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
