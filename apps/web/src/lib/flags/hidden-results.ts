import { wilsonLowerBound } from '@llmpt/shared';

import { type Tally, withTally } from '../ballot.ts';
import type { LiveRankingRow } from '../live/live-contract.ts';
import type { RevealedNumbers } from './revealed-tallies.ts';
import { type VoteState, ballotOf, displayTally } from '../votes/vote-controller.ts';

/** How a board row's tally is shown. */
export interface HiddenResults {
  /** The voter has 'hide-results' on: tallies only for the models they voted on. */
  hide: boolean;
  /** `rankings.revealed`: the voter's models' tallies. */
  revealed: ReadonlyMap<string, RevealedNumbers>;
}

/**
 * A row as the board shows it: the live tally with the voter's own vote on top (`displayTally`),
 * or, when results are hidden (the flag, or a row the server sealed), sealed unless the voter
 * has a ballot on the model; then the revealed tally, or the vote's own answer until that is
 * read. Rank and order never change: only numbers are withheld.
 */
export function shownRow(
  row: LiveRankingRow,
  votes: VoteState,
  { hide, revealed }: HiddenResults,
): LiveRankingRow {
  const id = row.llm.id;
  if (!hide && !row.sealed) return withTally(row, displayTally(votes, id, row));
  if (ballotOf(votes, id) === 0) return row.sealed ? row : seal(row);
  const shown = revealed.get(id);
  const base: Tally | undefined = shown ?? (row.sealed ? votes.votes.get(id)?.ack?.tally : row);
  if (!base) return row.sealed ? row : seal(row);
  const open: LiveRankingRow = { ...row };
  delete open.sealed;
  const t = displayTally(votes, id, base);
  return {
    ...open,
    up: t.up,
    down: t.down,
    score: t.up - t.down,
    wilson: wilsonLowerBound(t.up, t.down),
    // The revealed trending value; until it is read, a sealed row has none (0), an open one its own.
    trending: shown?.trending ?? row.trending,
  };
}

function seal(row: LiveRankingRow): LiveRankingRow {
  return {
    ...row,
    up: 0,
    down: 0,
    score: 0,
    wilson: 0,
    trending: 0,
    rankRange: null,
    sealed: true,
  };
}
