import {
  type BoardKey,
  type LiveWireEntry,
  type Llm,
  type RankRange,
  type RankingEntry,
  type RankingSort,
  compareRanked,
  hasVotes,
  isSealed,
  rankRanges,
} from '@llmpt/shared';

import type { LiveMessage, LiveRankingRow } from './live-contract.ts';

/**
 * A snapshot replaces everything (the server sends one on the first subscribe, after a gap it
 * can't replay, or whenever it resets a room); a diff carries the whole current entry of each
 * model whose tally or rank changed, so applying diffs in order is plain replacement.
 */
export function applyMessage(
  entries: ReadonlyMap<string, RankingEntry> | null,
  message: LiveMessage,
): Map<string, RankingEntry> {
  if (message.type === 'snapshot') {
    return new Map(message.snapshot.entries.map((e) => [e.llmId, e]));
  }
  const next = new Map(entries);
  if (message.type === 'config') return next;
  for (const e of message.diff.entries) next.set(e.llmId, e);
  return next;
}

/**
 * The board's rows in display order (the shared `compareRanked`: rank, ties by name, models with
 * no votes last), joined with the catalogue for names and vendors. Entries of models the
 * catalogue doesn't know yet (added after it was read) are left out and listed in `unknown`, so
 * the caller can re-read it. Entries not on this board (no rank key for it) are skipped.
 * Rank ranges are the shared `rankRanges` over this board's rows (the api's rule, not a copy);
 * a sealed row (tally withheld) gets none, and is not counted as provisional. Entries of the
 * compact feed carry their range (`LiveWireEntry.rankRange`): those are shown as sent.
 */
export function rowsFromEntries(
  entries: ReadonlyMap<string, RankingEntry>,
  board: BoardKey,
  catalogue: ReadonlyMap<string, Llm>,
): { rows: LiveRankingRow[]; unknown: string[] } {
  const rows: LiveRankingRow[] = [];
  const unknown: string[] = [];
  const sentRanges = new Map<string, RankRange | null>();
  for (const e of entries.values()) {
    const rank = e.ranks[board];
    if (rank === undefined) continue;
    if ('rankRange' in e) sentRanges.set(e.llmId, (e as LiveWireEntry).rankRange);
    const llm = catalogue.get(e.llmId);
    if (!llm) {
      unknown.push(e.llmId);
      continue;
    }
    // A sealed feed ('hide-results') withholds tallies: null on the wire.
    const sealed = isSealed(e);
    const base = { rank, llm, trending: sealed ? 0 : e.trending, rankRange: null };
    rows.push(
      sealed
        ? { ...base, up: 0, down: 0, score: 0, wilson: 0, provisional: false, sealed: true }
        : {
            ...base,
            up: e.up,
            down: e.down,
            score: e.score,
            wilson: e.wilson,
            provisional: rank === null && hasVotes(e),
          },
    );
  }
  rows.sort((a, b) =>
    compareRanked(
      { rank: a.rank, id: a.llm.id, name: a.llm.name, up: a.up, down: a.down },
      { rank: b.rank, id: b.llm.id, name: b.llm.name, up: b.up, down: b.down },
    ),
  );
  // The compact feed (live-wire.ts) carries each range as the api computed it over the whole
  // board (the page may hold models outside its window a few seconds behind): kept as sent.
  if (sentRanges.size > 0) {
    rows.forEach((r, i) => {
      const range = sentRanges.get(r.llm.id);
      if (range) rows[i] = { ...r, rankRange: range };
    });
    return { rows, unknown };
  }
  const open = rows.map((r) => (r.sealed ? { ...r, rank: null } : r));
  rankRanges(sortOf(board), open).forEach((range, i) => {
    if (range) rows[i] = { ...rows[i]!, rankRange: range };
  });
  return { rows, unknown };
}

/** The sort of a board key ('coding:wilson' → 'wilson'). */
export const sortOf = (board: BoardKey): RankingSort =>
  (board.includes(':') ? board.slice(board.indexOf(':') + 1) : board) as RankingSort;
