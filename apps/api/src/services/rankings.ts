import type { Llm, LlmCategory, RankingRow, RankingSort } from '@llmpt/shared';
import { boardKey, wilsonLowerBound } from '@llmpt/shared';
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

  async list(opts: {
    sort: RankingSort;
    category?: LlmCategory | undefined;
  }): Promise<RankingRow[]> {
    const llms = await this.catalogue.all();
    const board = boardKey(opts.sort, opts.category);
    if (this.feed.size > 0) {
      this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'rankings', result: 'hit' });
      const rows: RankingRow[] = [];
      const unranked: Llm[] = [];
      for (const llm of llms) {
        const e = this.feed.entry(llm.id);
        const rank = e?.ranks[board];
        if (e && rank !== undefined) {
          rows.push({ rank, llm, up: e.up, down: e.down, score: e.score, wilson: e.wilson });
        } else if (!opts.category || llm.categories.includes(opts.category)) {
          // Added since the ranker's last tick: listed last until it ranks them.
          unranked.push(llm);
        }
      }
      rows.sort((a, b) => a.rank - b.rank);
      for (const llm of unranked)
        rows.push({ rank: rows.length + 1, llm, up: 0, down: 0, score: 0, wilson: 0 });
      return rows;
    }
    // Before the ranker's first publication reaches this process: from Redis tallies (L2).
    this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'rankings', result: 'miss' });
    return this.computed(llms, opts);
  }

  private async computed(
    llms: Llm[],
    opts: { sort: RankingSort; category?: LlmCategory | undefined },
  ) {
    const tallies = await this.currentTallies(llms);
    const rows = llms
      .filter((l) => !opts.category || l.categories.includes(opts.category))
      .map((llm) => {
        const t = tallies.get(llm.id);
        const up = t?.up ?? 0;
        const down = t?.down ?? 0;
        return { rank: 0, llm, up, down, score: up - down, wilson: wilsonLowerBound(up, down) };
      });
    const key = opts.sort === 'wilson' ? 'wilson' : 'score';
    rows.sort((a, b) => b[key] - a[key] || b.up - a.up || a.llm.name.localeCompare(b.llm.name));
    rows.forEach((r, i) => (r.rank = i + 1));
    return rows;
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
