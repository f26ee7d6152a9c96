import type { FlagEvidence, FlagStatus, IntegrityRule } from '@llmpt/shared';
import type { ColumnType, Generated, Selectable } from 'kysely';

/** A flag id column: bigint, read as a number (createDb parses int8), written as either. */
export type FlagId = ColumnType<number, number | string, number | string>;

/** A detection rule's flag (see the create_integrity migration). */
export interface IntegrityFlagsTable {
  /** bigint, read as a number (createDb parses int8: ids stay far below 2^53). */
  id: ColumnType<number, never, never>;
  rule: IntegrityRule;
  status: FlagStatus;
  /** What the flag is about (rule-specific): at most one voiding/open flag per (rule, subject). */
  subject: string;
  explanation: string;
  evidence: ColumnType<FlagEvidence, string, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  reviewed_at: Date | null;
  reviewed_by: string | null;
  ban_voters: Generated<boolean>;
  ban_prefix: Generated<boolean>;
  ban_until: Date | null;
}

/** The ballots a flag holds: `held` (to void) → `voided` → `restored` (flag dismissed). */
export interface IntegrityFlagVotesTable {
  flag_id: FlagId;
  voter_id: string;
  llm_id: string;
  value: 1 | -1;
  state: 'held' | 'voided' | 'restored';
  voted_at: Date;
}

/** Bans made by confirmed flags: a voter id, or a network (keyed hash), until a time. */
export interface IntegrityBansTable {
  kind: 'voter' | 'prefix';
  subject: string;
  until: Date;
  flag_id: FlagId;
  created_at: Generated<Date>;
  created_by: string;
}

export type IntegrityFlagRow = Selectable<IntegrityFlagsTable>;
export type IntegrityFlagVoteRow = Selectable<IntegrityFlagVotesTable>;
export type IntegrityBanRow = Selectable<IntegrityBansTable>;
