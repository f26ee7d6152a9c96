import { type Database, listLlms } from '@llmpt/db';
import type { Llm } from '@llmpt/shared';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';

interface Snapshot {
  /** Increases with every load: cached responses derived from the catalogue compare it. */
  generation: number;
  llms: Llm[];
  byId: Map<string, Llm>;
  loadedAt: number;
}

/**
 * L1 cache of the active catalogue (a few hundred rows at most), TTL 60 s: list filters and
 * "does this model exist" checks never touch Postgres on the hot path. Past the TTL the stale
 * copy keeps serving while one refresh runs.
 */
export class Catalogue {
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  private generations = 0;

  constructor(
    /** Where reloads read: the replica while it is fresh (lag-tolerant: TTL 60 s anyway). */
    private readonly reads: () => Kysely<Database>,
    private readonly metrics: Metrics,
    private readonly ttlMs = 60_000,
  ) {}

  async all(): Promise<Llm[]> {
    return (await this.current()).llms;
  }

  async get(id: string): Promise<Llm | undefined> {
    return (await this.current()).byId.get(id);
  }

  /**
   * The generation of the copy being served, for response caches keyed on it; null before the
   * first load. Past the TTL it starts one background refresh, as a read would.
   */
  version(): number | null {
    const snap = this.snapshot;
    if (snap && Date.now() - snap.loadedAt >= this.ttlMs) this.refresh().catch(() => undefined);
    return snap ? snap.generation : null;
  }

  /** Drops the copy (an admin edit); the next read loads a fresh one. */
  invalidate(): void {
    this.snapshot = null;
  }

  private async current(): Promise<Snapshot> {
    const snap = this.snapshot;
    if (snap && Date.now() - snap.loadedAt < this.ttlMs) {
      this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'catalogue', result: 'hit' });
      return snap;
    }
    this.metrics.cacheRequests.inc({
      layer: 'l1',
      cache: 'catalogue',
      result: snap ? 'stale' : 'miss',
    });
    const refresh = this.refresh();
    if (snap) {
      refresh.catch(() => undefined); // already logged by the next awaited load
      return snap;
    }
    return refresh;
  }

  private refresh(): Promise<Snapshot> {
    if (this.loading) return this.loading;
    const loading = listLlms(this.reads())
      .then((llms: Llm[]) => {
        this.snapshot = {
          generation: ++this.generations,
          llms,
          byId: new Map(llms.map((l) => [l.id, l])),
          loadedAt: Date.now(),
        };
        return this.snapshot;
      })
      .finally(() => {
        this.loading = null;
      });
    this.loading = loading;
    return loading;
  }
}
