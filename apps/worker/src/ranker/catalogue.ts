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
  /** Bumped by `invalidate`: a load that started before it may have read the old catalogue. */
  private epoch = 0;

  constructor(
    private readonly load: () => Promise<readonly RankableLlm[]>,
    private readonly ttlMs: number,
    private readonly log: (msg: string) => void,
  ) {}

  /**
   * An admin changed the catalogue (ConfigChannel): the next `get` reads it again, even if a
   * load is under way now (it may have read the catalogue before the change committed).
   */
  invalidate(): void {
    this.epoch++;
    if (this.cached) this.cached.at = -Infinity;
  }

  async get(): Promise<RankableLlm[]> {
    const now = performance.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.llms;
    const epoch = this.epoch;
    try {
      // Only what ranking reads, so a change elsewhere (a homepage) is no change here.
      const llms = (await this.load()).map(({ id, name, categories }) => ({
        id,
        name,
        categories,
      }));
      const previous = this.cached?.llms;
      const same = previous && JSON.stringify(previous) === JSON.stringify(llms);
      // Invalidated meanwhile: usable now, but read again next time.
      this.cached = { at: epoch === this.epoch ? now : -Infinity, llms: same ? previous : llms };
    } catch (err) {
      if (!this.cached) throw err;
      this.log(`ranker: catalogue reload failed, using the previous one: ${String(err)}`);
      this.cached.at = now;
    }
    return this.cached.llms;
  }
}
