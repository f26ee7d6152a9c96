import type { LlmStatus } from '@llmpt/shared';
import type { ColumnType, Selectable } from 'kysely';

type ReadOnly<T> = ColumnType<T, never, never>;

/** Materialized view, refreshed CONCURRENTLY on a schedule: may lag by one refresh. */
export interface MvVoteSummaryView {
  llm_id: ReadOnly<string>;
  name: ReadOnly<string>;
  vendor: ReadOnly<string>;
  status: ReadOnly<LlmStatus>;
  upvotes: ReadOnly<number>;
  downvotes: ReadOnly<number>;
  score: ReadOnly<number>;
  /** Non-retracting vote events in the 24 hours before the refresh. */
  votes_24h: ReadOnly<number>;
  last_vote_at: ReadOnly<Date | null>;
}

export type VoteSummaryRow = Selectable<MvVoteSummaryView>;
