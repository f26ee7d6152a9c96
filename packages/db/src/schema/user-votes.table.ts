import type { VoteValue } from '@llmpt/shared';
import type { ColumnType, Selectable } from 'kysely';

/** Append-only vote events, range-partitioned by month on `created_at`. */
export interface UserVotesTable {
  /** Deterministic id from the outbox, so redelivery inserts nothing. */
  event_id: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  voter_id: string;
  llm_id: string;
  value: VoteValue;
  prev_value: VoteValue;
}

export type UserVoteRow = Selectable<UserVotesTable>;
