/**
 * Open data (issue 15): the licence of the daily public dumps, written by the worker's
 * `public-dump` job and served by the api as stored.
 */
export const PUBLIC_DATA_LICENCE = {
  id: 'CC-BY-4.0',
  name: 'Creative Commons Attribution 4.0 International',
  url: 'https://creativecommons.org/licenses/by/4.0/',
} as const;

export type PublicDataLicence = typeof PUBLIC_DATA_LICENCE;

/** One column of the daily public dump, in file order. */
export interface PublicDumpColumn {
  name: string;
  type: 'string' | 'integer';
  nullable: boolean;
  description: string;
}

/**
 * The columns of the daily public dump (CSV header and JSON rows alike): one row per model per
 * UTC hour of the day. Counts are of the vote event log; the tally is the hourly history
 * snapshot (llm_score_history, taken every 5 minutes, so at most 5 minutes before the hour's
 * end). No voter ids, no signals.
 */
export const PUBLIC_DUMP_COLUMNS = [
  {
    name: 'hour',
    type: 'string',
    nullable: false,
    description: 'Start of the UTC hour, ISO 8601 (e.g. 2026-12-01T13:00:00Z)',
  },
  { name: 'llm_id', type: 'string', nullable: false, description: 'Model id (catalogue slug)' },
  { name: 'llm_name', type: 'string', nullable: false, description: 'Model name when dumped' },
  {
    name: 'votes_up',
    type: 'integer',
    nullable: false,
    description: 'Ballots set to up in the hour (new, or switched from down)',
  },
  {
    name: 'votes_down',
    type: 'integer',
    nullable: false,
    description: 'Ballots set to down in the hour (new, or switched from up)',
  },
  {
    name: 'retracted',
    type: 'integer',
    nullable: false,
    description: 'Ballots withdrawn by their voter in the hour',
  },
  {
    name: 'voided',
    type: 'integer',
    nullable: false,
    description:
      'Ballots removed in the hour by the integrity review (not counted in the columns above)',
  },
  {
    name: 'restored',
    type: 'integer',
    nullable: false,
    description: 'Removed ballots put back in the hour by the integrity review',
  },
  {
    name: 'up',
    type: 'integer',
    nullable: true,
    description: 'Upvotes of the tally at the end of the hour (empty: no snapshot that hour)',
  },
  {
    name: 'down',
    type: 'integer',
    nullable: true,
    description: 'Downvotes of the tally at the end of the hour',
  },
  {
    name: 'score',
    type: 'integer',
    nullable: true,
    description: 'up − down at the end of the hour',
  },
  {
    name: 'rank',
    type: 'integer',
    nullable: true,
    description:
      'Overall rank by score at the end of the hour (ties share a rank; empty: not ranked, fewer than RANK_MIN_VOTES votes)',
  },
] as const satisfies readonly PublicDumpColumn[];

export type PublicDumpColumnName = (typeof PUBLIC_DUMP_COLUMNS)[number]['name'];

/** One row of the daily public dump. */
export type PublicDumpRecord = {
  hour: string;
  llm_id: string;
  llm_name: string;
  votes_up: number;
  votes_down: number;
  retracted: number;
  voided: number;
  restored: number;
  up: number | null;
  down: number | null;
  score: number | null;
  rank: number | null;
};
