import type { ColumnType, Selectable } from 'kysely';

/** bigint columns, parsed to number by the client. */
type Counter = ColumnType<number, number | undefined, number>;

/** Per-model tallies, written only by the statement-level triggers on `votes`. */
export interface LlmVoteCountsTable {
  llm_id: string;
  upvotes: Counter;
  downvotes: Counter;
  /** upvotes - downvotes */
  score: Counter;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type LlmVoteCountsRow = Selectable<LlmVoteCountsTable>;
