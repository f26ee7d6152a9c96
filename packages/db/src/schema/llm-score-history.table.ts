import type { Selectable } from 'kysely';

/** Hourly snapshot of each active model's tally and rank, for the rating-history chart. */
export interface LlmScoreHistoryTable {
  llm_id: string;
  /** Start of the hour (UTC). */
  hour: Date;
  upvotes: number;
  downvotes: number;
  score: number;
  /**
   * Overall rank by score that hour by the shared rank rule (`rankBoard`: ties share a rank);
   * null when the model had no votes.
   */
  rank: number | null;
}

export type LlmScoreHistoryRow = Selectable<LlmScoreHistoryTable>;
