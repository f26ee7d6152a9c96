import type { RankingSort } from './schemas/rankings.schema.ts';
import { wilsonLowerBound } from './wilson.ts';

// THE rank rule (shared/DESIGN.md "Ranks"; CONVENTIONS: one function, used by the ranker, the
// history roll, the api and the page). Imports no zod, so the page's first bundle can use it.

/** A model's votes; a model without a tally counts as 0/0. */
export interface VoteCounts {
  up: number;
  down: number;
}

/** What ranking needs of one model on one board. */
export interface RankInput extends VoteCounts {
  id: string;
  name: string;
}

/** One model's place on a board: its rank, or null when nobody has voted on it yet. */
export interface Ranked<T> {
  item: T;
  rank: number | null;
}

/** True when the model has at least one vote: only such models are ranked. */
export function hasVotes(counts: VoteCounts): boolean {
  return counts.up > 0 || counts.down > 0;
}

/** The number a board sorts on: the score (up − down) or the Wilson lower bound. */
export function sortValue(sort: RankingSort, counts: VoteCounts): number {
  return sort === 'wilson' ? wilsonLowerBound(counts.up, counts.down) : counts.up - counts.down;
}

// A fixed locale, so the server and every browser order names the same way ("GPT-4" < "GPT-10").
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Name, then id: the order within a tie, and among models with no votes. Display only. */
export function compareNames(a: { id: string; name: string }, b: { id: string; name: string }) {
  return collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Ranks one board. Models with votes are ranked by the sort value, highest first, and equal
 * values share a rank ("competition" ranking: 1, 1, 3). Models with no votes get no rank (null,
 * "no votes yet") and are listed after every ranked model. Within a tie, and among the unranked,
 * the order is by name: it decides where a row is drawn, never its rank.
 *
 * Wilson values of equal tallies are computed by the same expression, so they compare equal
 * exactly; no tolerance is needed.
 * @returns every item once, in display order.
 * @example rankBoard([{a 3/0}, {b 5/2}, {c 0/0}, {d 4/0}], 'score') → d 1, a 2, b 2, c null
 */
export function rankBoard<T extends RankInput>(
  items: readonly T[],
  sort: RankingSort,
): Ranked<T>[] {
  const voted: Array<{ item: T; value: number }> = [];
  const unvoted: T[] = [];
  for (const item of items) {
    if (hasVotes(item)) voted.push({ item, value: sortValue(sort, item) });
    else unvoted.push(item);
  }
  voted.sort((a, b) => b.value - a.value || compareNames(a.item, b.item));
  unvoted.sort(compareNames);

  const out: Ranked<T>[] = [];
  let rank = 0;
  let above = Number.NaN;
  voted.forEach(({ item, value }, i) => {
    // Same value as the row above: same rank; otherwise the rank is the position (1, 1, 3).
    if (value !== above) rank = i + 1;
    above = value;
    out.push({ item, rank });
  });
  for (const item of unvoted) out.push({ item, rank: null });
  return out;
}

/**
 * The display order of rows that already carry their rank (from the ranker): rank ascending,
 * rows with no votes (null) last, and by name within a tie, as {@link rankBoard} orders them.
 */
export function compareRanked(
  a: { rank: number | null; id: string; name: string },
  b: { rank: number | null; id: string; name: string },
): number {
  if (a.rank !== b.rank) {
    if (a.rank === null) return 1;
    if (b.rank === null) return -1;
    return a.rank - b.rank;
  }
  return compareNames(a, b);
}

/**
 * Places gained from rank `before` to rank `now` (positive: moved up), or null when either has
 * no rank: a model with no votes then, or none now, has no arrow (no "▼1" on a fresh install).
 */
export function rankChange(before: number | null | undefined, now: number | null): number | null {
  if (before === null || before === undefined || now === null) return null;
  return before - now;
}
