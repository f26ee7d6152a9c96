import type { Migration, MigrationProvider } from 'kysely';

import * as createLlms from './2026_11_27_08_00_00_create_llms.ts';
import * as createVotes from './2026_11_27_08_00_01_create_votes.ts';
import * as createUserVotes from './2026_11_27_08_00_02_create_user_votes.ts';
import * as createLlmVoteCounts from './2026_11_27_08_00_03_create_llm_vote_counts.ts';
import * as createMvVoteSummary from './2026_11_27_08_00_04_create_mv_vote_summary.ts';
import * as createLlmScoreHistory from './2026_11_27_08_00_05_create_llm_score_history.ts';
import * as alterLlmScoreHistoryRank from './2026_12_02_09_00_00_alter_llm_score_history_rank.ts';
import * as createSlowQueriesView from './2026_12_02_12_00_00_create_slow_queries_view.ts';
import * as createAdmin from './2026_12_02_16_00_00_create_admin.ts';
import * as createIntegrity from './2026_12_02_20_00_00_create_integrity.ts';
import * as dropUserVotesVoterIndex from './2026_12_03_00_00_00_drop_user_votes_voter_index.ts';
import * as replaceVotesLlmFkey from './2026_12_03_01_00_00_replace_votes_llm_fkey.ts';
import * as createPublicDumps from './2026_12_03_03_00_00_create_public_dumps.ts';

/**
 * Every migration, by file name. Static imports instead of FileMigrationProvider: works from any
 * cwd, under tsx, vitest and bundlers alike. A test checks this list against the folder.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_27_08_00_00_create_llms': createLlms,
  '2026_11_27_08_00_01_create_votes': createVotes,
  '2026_11_27_08_00_02_create_user_votes': createUserVotes,
  '2026_11_27_08_00_03_create_llm_vote_counts': createLlmVoteCounts,
  '2026_11_27_08_00_04_create_mv_vote_summary': createMvVoteSummary,
  '2026_11_27_08_00_05_create_llm_score_history': createLlmScoreHistory,
  '2026_12_02_09_00_00_alter_llm_score_history_rank': alterLlmScoreHistoryRank,
  '2026_12_02_12_00_00_create_slow_queries_view': createSlowQueriesView,
  '2026_12_02_16_00_00_create_admin': createAdmin,
  '2026_12_02_20_00_00_create_integrity': createIntegrity,
  '2026_12_03_00_00_00_drop_user_votes_voter_index': dropUserVotesVoterIndex,
  '2026_12_03_01_00_00_replace_votes_llm_fkey': replaceVotesLlmFkey,
  '2026_12_03_03_00_00_create_public_dumps': createPublicDumps,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
