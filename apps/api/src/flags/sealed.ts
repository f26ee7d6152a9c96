import {
  type ModelTally,
  type RankingEntry,
  type RankingListRow,
  type RankingRow,
  sealEntry,
  sealRow,
  wilsonLowerBound,
} from '@llmpt/shared';

import type { Context } from '../context.ts';
import { resultsSealed } from './fingerprint.ts';

/** `rankings.list`'s rows as this caller may see them: sealed while 'hide-results' is on. */
export function rowsFor(ctx: Context, rows: RankingRow[]): RankingListRow[] {
  return resultsSealed(ctx) ? rows.map(sealRow) : rows;
}

/**
 * A board room's filter for a voter with 'hide-results' on: the same entries and ranks, the
 * tallies withheld. The shared LiveMessage type still names open entries only (the SPA adapts to
 * sealed ones: see SealedRankingEntry), hence the one cast here.
 */
export function sealedFilter(
  filter: (e: RankingEntry) => RankingEntry | null,
): (e: RankingEntry) => RankingEntry | null {
  return (e) => {
    const kept = filter(e);
    return kept && (sealEntry(kept) as unknown as RankingEntry);
  };
}

/**
 * The tallies of the models this voter holds a ballot on (from the vote store, as `vote.mine`
 * reads ballots), with their trending score from the ranker's last publication (the feed's
 * copy): what a sealed board may show. A new visitor holds none; a forged cookie is removed and
 * answered with none.
 */
export async function revealedTallies(ctx: Context): Promise<ModelTally[]> {
  const voter = ctx.voter();
  if (voter.status === 'forged') ctx.dropVoterCookie();
  if (voter.status !== 'returning') return [];
  const { voteStore, feed } = ctx.deps;
  const ids = Object.keys(await voteStore.ballotsOf(voter.id)).sort();
  if (ids.length === 0) return [];
  const tallies = await voteStore.tallies(ids);
  return ids.map((llmId) => {
    const up = tallies.get(llmId)?.up ?? 0;
    const down = tallies.get(llmId)?.down ?? 0;
    const trending = feed.entry(llmId)?.trending ?? 0;
    return { llmId, up, down, score: up - down, wilson: wilsonLowerBound(up, down), trending };
  });
}
