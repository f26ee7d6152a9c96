import type { AdminAuditLogTable, AdminUsersTable, FeatureFlagsTable } from './admin.table.ts';
import type {
  IntegrityBansTable,
  IntegrityFlagVotesTable,
  IntegrityFlagsTable,
} from './integrity.table.ts';
import type { LlmScoreHistoryTable } from './llm-score-history.table.ts';
import type { LlmVoteCountsTable } from './llm-vote-counts.table.ts';
import type { LlmsTable } from './llms.table.ts';
import type { MvVoteSummaryView } from './mv-vote-summary.table.ts';
import type { PublicDumpsTable } from './public-dumps.table.ts';
import type { UserVotesTable } from './user-votes.table.ts';
import type { VotesTable } from './votes.table.ts';

/**
 * The Postgres schema as Kysely sees it (snake_case, as stored). Repositories map rows to the
 * camelCase shapes of @llmpt/shared.
 * @see ../migrations/ for the DDL this mirrors.
 */
export interface Database {
  llms: LlmsTable;
  votes: VotesTable;
  user_votes: UserVotesTable;
  llm_vote_counts: LlmVoteCountsTable;
  mv_vote_summary: MvVoteSummaryView;
  llm_score_history: LlmScoreHistoryTable;
  admin_users: AdminUsersTable;
  admin_audit_log: AdminAuditLogTable;
  feature_flags: FeatureFlagsTable;
  integrity_flags: IntegrityFlagsTable;
  integrity_flag_votes: IntegrityFlagVotesTable;
  integrity_bans: IntegrityBansTable;
  public_dumps: PublicDumpsTable;
}

export type * from './admin.table.ts';
export type * from './integrity.table.ts';
export type * from './llm-score-history.table.ts';
export type * from './llm-vote-counts.table.ts';
export type * from './llms.table.ts';
export type * from './mv-vote-summary.table.ts';
export type * from './public-dumps.table.ts';
export type * from './user-votes.table.ts';
export type * from './votes.table.ts';
