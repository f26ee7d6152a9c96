import { LLM_CATEGORIES, type LlmCategory } from './constants.ts';
import { type RankInput, type RankOptions, type VoteCounts, rankBoard } from './rank.ts';
import { type BoardKey, type RankingEntry, boardKey } from './schemas/live.schema.ts';
import { RANKING_SORTS, type RankingSort } from './schemas/rankings.schema.ts';
import { roundTrending } from './trending.ts';
import { wilsonLowerBound } from './wilson.ts';

/** What ranking needs to know of a catalogue model (an `Llm` fits). */
export interface RankableLlm {
  id: string;
  name: string;
  categories: readonly LlmCategory[];
}

interface Row extends RankInput {
  llm: RankableLlm;
  entry: RankingEntry;
}

/** What ranking takes beyond tallies: the rank options and each model's trending value. */
export interface ComputeOptions extends RankOptions {
  /** Time-decayed scores by model id (unrounded; rounded here); absent: 0. */
  trending?: ReadonlyMap<string, number>;
}

/**
 * Every model's live standing: its counts, score, Wilson lower bound, trending value and its
 * rank on every board it is on (the overall boards, and each of its categories' boards, per
 * sort), each ranked by {@link rankBoard}: ties share a rank, a model with fewer than
 * `minVotes` votes (or none) has rank null. Entries come in the display order of the overall
 * 'score' board.
 * @see diffEntries
 * @see ALL_BOARD_KEYS
 */
export function computeEntries(
  llms: readonly RankableLlm[],
  tallies: ReadonlyMap<string, VoteCounts>,
  opts: ComputeOptions = {},
): RankingEntry[] {
  const rows: Row[] = llms.map((llm) => {
    const t = tallies.get(llm.id);
    const up = t?.up ?? 0;
    const down = t?.down ?? 0;
    // The board ranks by the value it shows: the rounded one.
    const trending = roundTrending(opts.trending?.get(llm.id) ?? 0);
    return {
      id: llm.id,
      name: llm.name,
      up,
      down,
      trending,
      llm,
      entry: {
        llmId: llm.id,
        up,
        down,
        score: up - down,
        wilson: wilsonLowerBound(up, down),
        trending,
        ranks: {},
      },
    };
  });

  // Boards in ALL_BOARD_KEYS order, so every entry's `ranks` serializes in the same key order.
  const boards: Array<[BoardKey, RankingSort, Row[]]> = RANKING_SORTS.map((sort) => [
    boardKey(sort),
    sort,
    rows,
  ]);
  for (const category of LLM_CATEGORIES) {
    const members = rows.filter((r) => r.llm.categories.includes(category));
    if (members.length === 0) continue;
    for (const sort of RANKING_SORTS) boards.push([boardKey(sort, category), sort, members]);
  }

  let overall: Row[] = rows;
  for (const [key, sort, members] of boards) {
    const ranked = rankBoard(members, sort, opts);
    for (const { item, rank } of ranked) item.entry.ranks[key] = rank;
    if (key === 'score') overall = ranked.map((r) => r.item);
  }
  return overall.map((r) => r.entry);
}

function sameRanks(a: RankingEntry['ranks'], b: RankingEntry['ranks']): boolean {
  const keys = Object.keys(a) as BoardKey[];
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k] === b[k]);
}

/**
 * The entries of `next` a client holding `prev` must receive: new models, and models whose
 * counts, trending value or any rank changed (a vote on one model can move many others' ranks).
 * Models missing from `next` are not reported: a diff only carries entries.
 * @see computeEntries
 */
export function diffEntries(
  prev: ReadonlyMap<string, RankingEntry>,
  next: readonly RankingEntry[],
): RankingEntry[] {
  return next.filter((e) => {
    const before = prev.get(e.llmId);
    return (
      !before ||
      before.up !== e.up ||
      before.down !== e.down ||
      before.trending !== e.trending ||
      !sameRanks(before.ranks, e.ranks)
    );
  });
}
