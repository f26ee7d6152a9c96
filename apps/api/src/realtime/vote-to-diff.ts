import type { Metrics } from '../metrics.ts';
import type { RankingsFeed } from './rankings-feed.ts';

/**
 * Measures how long a vote acknowledged here takes to appear in a rankings diff: the first vote
 * on a model since its last diff is remembered, and observed when a diff carries that model.
 */
export class VoteToDiffTracker {
  private readonly pending = new Map<string, number>();

  constructor(feed: RankingsFeed, metrics: Metrics) {
    feed.onMessage((m) => {
      if (m.type !== 'diff') return;
      metrics.diffEntries.observe(m.diff.entries.length);
      const now = Date.now();
      for (const e of m.diff.entries) {
        const since = this.pending.get(e.llmId);
        if (since === undefined) continue;
        metrics.voteToDiff.observe((now - since) / 1000);
        this.pending.delete(e.llmId);
      }
    });
  }

  voted(llmId: string): void {
    if (!this.pending.has(llmId)) this.pending.set(llmId, Date.now());
  }
}
