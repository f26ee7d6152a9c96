/**
 * "Hide results until you vote" (flag 'hide-results', issue 12): what a voter with the flag on
 * is answered. Ranks and order stay; tallies are withheld (null) except for the models the voter
 * holds a ballot on, which `rankings.revealed` returns. Withheld with the tally is everything
 * computed from it: the trending (decayed) score and the rank range (its width tells how many
 * votes a model has).
 */
import type { RankingEntry } from './live.schema.ts';
import type { RankingRow } from './rankings.schema.ts';

type Tallies = 'up' | 'down' | 'score' | 'wilson' | 'trending';

/** A model's tally as a voter may see it (`rankings.revealed`). */
export interface ModelTally {
  llmId: string;
  up: number;
  down: number;
  score: number;
  wilson: number;
  /** The trending (time-decayed) score as the ranker last published it; 0 before it has. */
  trending: number;
}

/** A row of the sealed leaderboard: rank and model as on the open board, no tally. */
export interface SealedRankingRow extends Omit<RankingRow, Tallies | 'rankRange'> {
  up: null;
  down: null;
  score: null;
  wilson: null;
  trending: null;
  rankRange: null;
}

/** What `rankings.list` answers: open rows, or sealed ones for a voter with 'hide-results' on. */
export type RankingListRow = RankingRow | SealedRankingRow;

/** A live entry as a sealed board room sends it: ranks, no tally. */
export interface SealedRankingEntry extends Omit<RankingEntry, Tallies> {
  up: null;
  down: null;
  score: null;
  wilson: null;
  trending: null;
}

/**
 * Whether a row or live entry is sealed: its tally withheld. Sealing is all or nothing (sealRow,
 * sealEntry), so a withheld `up` says it; the page and the windowed feed ask this, not the fields.
 */
export function isSealed(e: { up: number | null }): boolean {
  return e.up === null;
}

/** The row without its tally. */
export function sealRow(row: RankingRow): SealedRankingRow {
  return {
    ...row,
    up: null,
    down: null,
    score: null,
    wilson: null,
    trending: null,
    rankRange: null,
  };
}

/** The entry without its tally. */
export function sealEntry(entry: RankingEntry): SealedRankingEntry {
  return { ...entry, up: null, down: null, score: null, wilson: null, trending: null };
}
