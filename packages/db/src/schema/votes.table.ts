import type { VoteValue } from '@llmpt/shared';
import type { ColumnType, Selectable } from 'kysely';

/**
 * The current ballot per (voter, llm). A retraction keeps the row with value 0 so that a late,
 * older event cannot resurrect the vote: last-writer-wins compares (updated_at, event_seq).
 */
export interface VotesTable {
  voter_id: string;
  llm_id: string;
  value: VoteValue;
  updated_at: Date;
  /** Orders events within one millisecond (the Redis stream id's sequence part). */
  event_seq: number;
  /** The integrity flag that voided this ballot (value 0 then), null when it counts. */
  voided_by: ColumnType<number | null, number | string | null, number | string | null>;
}

export type VoteRow = Selectable<VotesTable>;
