import type { Llm, LlmCategory, RankOptions, RankingRow, RankingSort } from '@llmpt/shared';
import {
  boardKey,
  compareRanked,
  hasVotes,
  rankBoard,
  rankRanges,
  wilsonLowerBound,
} from '@llmpt/shared';
import type { Tally, VoteStore } from '@llmpt/vote-store';

import type { RankingsFeed } from '../realtime/rankings-feed.ts';
import type { Metrics } from '../metrics.ts';
import type { Catalogue } from './catalogue.ts';

/**
 * The leaderboard for `rankings.list`: from the live feed's in-memory copy (L1) once the ranker
 * has published; before that, computed from Redis tallies read at most every `maxAgeMs`.
 */
export class RankingsService {
  private tallies: { at: number; value: Promise<Map<string, Tally>> } | null = null;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly store: VoteStore,
    private readonly feed: RankingsFeed,
    private readonly metrics: Metrics,
    /** RANK_MIN_VOTES: the ranker's rule, applied here before its first publication. */
    private readonly rules: RankOptions = {},
    private readonly maxAgeMs = 250,
  ) {}

  /**
   * What `list` answers from, for response caches: the feed's last diff id and the catalogue's
   * generation. Null while the answer is computed from polled tallies (not cacheable).
   */
  version(): string | null {
    const catalogue = this.catalogue.version();
    if (catalogue === null || this.feed.size === 0) return null;
    return `${this.feed.id}.${catalogue}`;
  }

  /**
   * The board's rows in display order: ranked models by rank (ties share one, by name within),
   * then the models with no votes yet (rank null), by name. Ranks are the ranker's, from the
   * shared rank rule; before its first publication they are computed here by the same rule.
   */
  async list(opts: {
    sort: RankingSort;
    category?: LlmCategory | undefined;
  }): Promise<RankingRow[]> {
    const llms = await this.catalogue.all();
    const board = boardKey(opts.sort, opts.category);
    if (this.feed.size > 0) {
      this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'rankings', result: 'hit' });
      const rows: RankingRow[] = [];
      for (const llm of llms) {
        const e = this.feed.entry(llm.id);
        const rank = e?.ranks[board];
        if (e && rank !== undefined) {
          rows.push(row(llm, rank, e.up, e.down, e.trending));
        } else if (!opts.category || llm.categories.includes(opts.category)) {
          // Added (or recategorized) since the ranker's last tick: unranked until it ranks them.
          rows.push(row(llm, null, e?.up ?? 0, e?.down ?? 0, e?.trending ?? 0));
        }
      }
      return withRankRanges(
        opts.sort,
        rows.sort((a, b) => compareRanked(rowKey(a), rowKey(b))),
      );
    }
    // Before the ranker's first publication reaches this process: from Redis tallies (L2).
    this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'rankings', result: 'miss' });
    return this.computed(llms, opts);
  }

  /** The same rows, ranked here by the ranker's rule (`rankBoard`) from Redis tallies. */
  private async computed(
    llms: Llm[],
    opts: { sort: RankingSort; category?: LlmCategory | undefined },
  ): Promise<RankingRow[]> {
    const tallies = await this.currentTallies(llms);
    const members = llms
      .filter((l) => !opts.category || l.categories.includes(opts.category))
      .map((llm) => {
        const t = tallies.get(llm.id);
        return { id: llm.id, name: llm.name, llm, up: t?.up ?? 0, down: t?.down ?? 0 };
      });
    // No trending values before the ranker's first publication: that board ranks them all at 0.
    return withRankRanges(
      opts.sort,
      rankBoard(members, opts.sort, this.rules).map(({ item: { llm, up, down }, rank }) =>
        row(llm, rank, up, down, 0),
      ),
    );
  }

  private currentTallies(llms: Llm[]): Promise<Map<string, Tally>> {
    const now = Date.now();
    if (this.tallies && now - this.tallies.at <= this.maxAgeMs) {
      this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'tallies', result: 'hit' });
      return this.tallies.value;
    }
    this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'tallies', result: 'miss' });
    const value = this.store.tallies(llms.map((l) => l.id));
    value.catch(() => (this.tallies = null));
    this.tallies = { at: now, value };
    return value;
  }
}

const rowKey = (r: RankingRow) => ({
  rank: r.rank,
  id: r.llm.id,
  name: r.llm.name,
  up: r.up,
  down: r.down,
});

/**
 * One row; its rank range is filled in by {@link withRankRanges} once the board is complete.
 * The live board and the history's boards ("as of") build their rows here.
 */
export function row(llm: Llm, rank: number | null, up: number, down: number, trending: number) {
  return {
    rank,
    llm,
    up,
    down,
    score: up - down,
    wilson: wilsonLowerBound(up, down),
    trending,
    provisional: rank === null && hasVotes({ up, down }),
    rankRange: null,
  } satisfies RankingRow;
}

/**
 * The board's rows with their rank ranges (the shared `rankRanges`, over this board's ranked
 * rows). Every answer that lists a board (tRPC, REST, "as of") goes through here.
 */
export function withRankRanges(sort: RankingSort, rows: RankingRow[]): RankingRow[] {
  const ranges = rankRanges(sort, rows);
  return rows.map((r, i) => ({ ...r, rankRange: ranges[i] ?? null }));
}
