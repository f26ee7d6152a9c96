import type { Llm, LlmCategory, RankingSort } from '@llmpt/shared';
import { wilsonLowerBound } from '@llmpt/shared';
import type { Tally, VoteStore } from '@llmpt/vote-store';

import type { Catalogue } from './catalogue.ts';

export interface RankingRow {
  rank: number;
  llm: Llm;
  up: number;
  down: number;
  score: number;
  wilson: number;
}

/**
 * Rankings computed from the live Redis tallies. Tallies are read at most once per
 * `maxAgeMs` and shared by concurrent requests, so a burst of reads costs one pipeline.
 */
export class RankingsService {
  private tallies: { at: number; value: Promise<Map<string, Tally>> } | null = null;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly store: VoteStore,
    private readonly maxAgeMs = 250,
  ) {}

  async list(opts: {
    sort: RankingSort;
    category?: LlmCategory | undefined;
  }): Promise<RankingRow[]> {
    const llms = await this.catalogue.all();
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
