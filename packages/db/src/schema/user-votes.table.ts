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
  /** Signals (issue 13): keyed hashes, null before they were kept and after their retention. */
  ip_hash: string | null;
  net_hash: string | null;
  ua_hash: string | null;
  fp_hash: string | null;
  new_voter: boolean | null;
  automated: boolean | null;
  /** A voter's vote, or a compensating event of an integrity flag (`flag_id`). */
  kind: ColumnType<'vote' | 'void' | 'restore', 'vote' | 'void' | 'restore' | undefined>;
  flag_id: ColumnType<number | null, number | string | null, number | string | null>;
}

export type UserVoteRow = Selectable<UserVotesTable>;
