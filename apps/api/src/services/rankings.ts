import type { Llm, LlmCategory, RankingRow, RankingSort } from '@llmpt/shared';
import { boardKey, wilsonLowerBound } from '@llmpt/shared';
import type { Tally, VoteStore } from '@llmpt/vote-store';

import type { RankingsFeed } from '../realtime/rankings-feed.ts';
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
    private readonly maxAgeMs = 250,
  ) {}

  async list(opts: {
    sort: RankingSort;
    category?: LlmCategory | undefined;
  }): Promise<RankingRow[]> {
    const llms = await this.catalogue.all();
    const board = boardKey(opts.sort, opts.category);
    if (this.feed.size > 0) {
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
    if (!this.tallies || now - this.tallies.at > this.maxAgeMs) {
      const value = this.store.tallies(llms.map((l) => l.id));
      value.catch(() => (this.tallies = null));
      this.tallies = { at: now, value };
    }
    return this.tallies.value;
  }
}
