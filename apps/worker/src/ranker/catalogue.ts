import { performance } from 'node:perf_hooks';

import type { RankableLlm } from '@llmpt/shared';

/**
 * The active catalogue as the ranker needs it, read again once older than `ttlMs`. A reload
 * that finds nothing changed keeps the previous array, so callers can tell "changed" by
 * identity; a reload that fails keeps the previous catalogue (Postgres down must not stop the
 * live rankings, which only need Redis).
 */
export class CatalogueCache {
  private cached: { at: number; llms: RankableLlm[] } | null = null;

  constructor(
    private readonly load: () => Promise<readonly RankableLlm[]>,
    private readonly ttlMs: number,
    private readonly log: (msg: string) => void,
  ) {}

  async get(): Promise<RankableLlm[]> {
    const now = performance.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.llms;
    try {
      // Only what ranking reads, so a change elsewhere (a homepage) is no change here.
      const llms = (await this.load()).map(({ id, name, categories }) => ({
        id,
        name,
        categories,
      }));
      const previous = this.cached?.llms;
      const same = previous && JSON.stringify(previous) === JSON.stringify(llms);
      this.cached = { at: now, llms: same ? previous : llms };
    } catch (err) {
      if (!this.cached) throw err;
      this.log(`ranker: catalogue reload failed, using the previous one: ${String(err)}`);
      this.cached.at = now;
    }
    return this.cached.llms;
  }
}
