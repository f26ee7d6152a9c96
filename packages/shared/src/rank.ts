import type { RankingSort } from './schemas/rankings.schema.ts';
import { wilsonInterval, wilsonLowerBound } from './wilson.ts';

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
  /** The time-decayed score (trending.ts); only the 'trending' sort reads it (0 when absent). */
  trending?: number;
}

/** How a board is ranked beyond the sort: the same on every process (RANK_MIN_VOTES). */
export interface RankOptions {
  /**
   * Votes (up + down) a model needs to be ranked; below it, with at least one vote, it is
   * "provisional": listed after the ranked models, with no rank. Default 1: every voted model.
   */
  minVotes?: number;
}

/** The default RANK_MIN_VOTES: a model is ranked from its 20th vote. */
export const DEFAULT_RANK_MIN_VOTES = 20;

/** One model's place on a board: its rank, or null when nobody has voted on it yet. */
export interface Ranked<T> {
  item: T;
  rank: number | null;
}

/** True when the model has at least one vote: only such models are ranked. */
export function hasVotes(counts: VoteCounts): boolean {
  return counts.up > 0 || counts.down > 0;
}

/** Votes (up + down) a model has. */
export const voteCount = (counts: VoteCounts) => counts.up + counts.down;

/**
 * True when the model has votes but fewer than `minVotes`: listed as "provisional", unranked.
 */
export function isProvisional(counts: VoteCounts, minVotes = 1): boolean {
  return hasVotes(counts) && voteCount(counts) < minVotes;
}

/**
 * The number a board sorts on: the score (up − down), the Wilson lower bound, or the trending
 * (time-decayed) score.
 */
export function sortValue(sort: RankingSort, counts: VoteCounts & { trending?: number }): number {
  if (sort === 'wilson') return wilsonLowerBound(counts.up, counts.down);
  if (sort === 'trending') return counts.trending ?? 0;
  return counts.up - counts.down;
}

// A fixed locale, so the server and every browser order names the same way ("GPT-4" < "GPT-10").
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Name, then id: the order within a tie, and among models with no votes. Display only. */
export function compareNames(a: { id: string; name: string }, b: { id: string; name: string }) {
  return collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Ranks one board. Models with at least `minVotes` votes are ranked by the sort value, highest
 * first, and equal values share a rank ("competition" ranking: 1, 1, 3). The others get no rank
 * (null) and are listed after every ranked model: first the provisional ones (some votes, fewer
 * than `minVotes`), then those with no votes yet. Within a tie, and among the unranked, the order
 * is by name: it decides where a row is drawn, never its rank.
 *
 * Wilson values of equal tallies are computed by the same expression, so they compare equal
 * exactly; no tolerance is needed.
 * @returns every item once, in display order.
 * @example rankBoard([{a 3/0}, {b 5/2}, {c 0/0}, {d 4/0}], 'score') → d 1, a 2, b 2, c null
 */
export function rankBoard<T extends RankInput>(
  items: readonly T[],
  sort: RankingSort,
  opts: RankOptions = {},
): Ranked<T>[] {
  const minVotes = Math.max(1, opts.minVotes ?? 1);
  const voted: Array<{ item: T; value: number }> = [];
  const provisional: T[] = [];
  const unvoted: T[] = [];
  for (const item of items) {
    if (voteCount(item) >= minVotes) voted.push({ item, value: sortValue(sort, item) });
    else if (hasVotes(item)) provisional.push(item);
    else unvoted.push(item);
  }
  voted.sort((a, b) => b.value - a.value || compareNames(a.item, b.item));
  provisional.sort(compareNames);
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
  for (const item of provisional) out.push({ item, rank: null });
  for (const item of unvoted) out.push({ item, rank: null });
  return out;
}

/**
 * The display order of rows that already carry their rank (from the ranker): rank ascending,
 * then the unranked (null): provisional ones (with votes) before those with none, and by name
 * within a tie and within each group, as {@link rankBoard} orders them.
 */
export function compareRanked(
  a: { rank: number | null; id: string; name: string } & Partial<VoteCounts>,
  b: { rank: number | null; id: string; name: string } & Partial<VoteCounts>,
): number {
  if (a.rank !== b.rank) {
    if (a.rank === null) return 1;
    if (b.rank === null) return -1;
    return a.rank - b.rank;
  }
  if (a.rank === null) {
    const av = (a.up ?? 0) + (a.down ?? 0) > 0;
    const bv = (b.up ?? 0) + (b.down ?? 0) > 0;
    if (av !== bv) return av ? -1 : 1;
  }
  return compareNames(a, b);
}

/** A ranked model's rank range: the best and worst rank its 95 % interval allows. */
export interface RankRange {
  best: number;
  worst: number;
}

/**
 * The 95 % interval of what a board sorts on, or null where the sort has none ('trending').
 * - wilson: the Wilson interval of the approval (its lower bound is the sort value);
 * - score: the score (up − down = n·(2p − 1)) at the two ends of that interval, n votes fixed.
 * Both contain the sort value, so a model's rank always lies within its range.
 */
export function sortInterval(sort: RankingSort, counts: VoteCounts): [number, number] | null {
  if (sort === 'trending') return null;
  const [lo, hi] = wilsonInterval(counts.up, counts.down);
  if (sort === 'wilson') return [lo, hi];
  const n = voteCount(counts);
  return [n * (2 * lo - 1), n * (2 * hi - 1)];
}

/**
 * Rank ranges (the rule the best-known arena uses): among the ranked rows of one board, model A
 * is "clearly better" than B when A's interval lies wholly above B's (A.lower > B.upper). A
 * model's best rank is 1 + the number of models clearly better; its worst is the number of
 * ranked models minus those clearly worse. Unranked rows (rank null) and sorts with no interval
 * get null. Returned in the order of `rows`.
 * @example three ranked models with intervals [60,80], [50,70], [10,30]: ranges 1–2, 1–2, 3–3
 */
export function rankRanges(
  sort: RankingSort,
  rows: readonly (VoteCounts & { rank: number | null })[],
): (RankRange | null)[] {
  const intervals = rows.map((r) => (r.rank === null ? null : sortInterval(sort, r)));
  const ranked = intervals.filter((iv): iv is [number, number] => iv !== null);
  if (ranked.length === 0) return rows.map(() => null);
  // Sorted bounds: "how many lower bounds exceed x" and "how many upper bounds are below x" by
  // binary search, so a board of n models costs O(n log n).
  const lowers = ranked.map((iv) => iv[0]).sort((a, b) => a - b);
  const uppers = ranked.map((iv) => iv[1]).sort((a, b) => a - b);
  const n = ranked.length;
  return intervals.map((iv) => {
    if (!iv) return null;
    const clearlyBetter = n - upperBound(lowers, iv[1]); // lower > my upper
    const clearlyWorse = lowerBound(uppers, iv[0]); // upper < my lower
    return { best: 1 + clearlyBetter, worst: n - clearlyWorse };
  });
}

/** Index of the first element > x in ascending `xs`. */
function upperBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element ≥ x in ascending `xs`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Places gained from rank `before` to rank `now` (positive: moved up), or null when either has
 * no rank: a model with no votes then, or none now, has no arrow (no "▼1" on a fresh install).
 */
export function rankChange(before: number | null | undefined, now: number | null): number | null {
  if (before === null || before === undefined || now === null) return null;
  return before - now;
}
