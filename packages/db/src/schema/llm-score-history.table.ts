import type { Selectable } from 'kysely';

/** Hourly snapshot of each active model's tally and rank, for the rating-history chart. */
export interface LlmScoreHistoryTable {
  llm_id: string;
  /** Start of the hour (UTC). */
  hour: Date;
  upvotes: number;
  downvotes: number;
  score: number;
  /** rank() by score among the models snapshotted that hour: ties share a rank. */
  rank: number;
}

export type LlmScoreHistoryRow = Selectable<LlmScoreHistoryTable>;
