import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { type Database, listLlms } from '@llmpt/db';
import type { Llm } from '@llmpt/shared';
import type { ConfigChannel } from '@llmpt/vote-store';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';

import type { Metrics } from '../metrics.ts';

interface Snapshot {
  /**
   * The Redis catalogue version (ConfigChannel) this copy includes every change of: it was read
   * before the query, and a change is bumped only after it commits.
   */
  generation: number;
  /**
   * `generation.digest`: the same catalogue is named the same in every process (ETags agree
   * behind nginx), and a change made without a bump (psql, a re-seed) found by the TTL reload
   * still gets a new name, so cached answers built from the old copy are not served under it.
   */
  version: string;
  llms: Llm[];
  byId: Map<string, Llm>;
  loadedAt: number;
}

/** What the catalogue needs of the config channel. */
export type CatalogueConfig = Pick<ConfigChannel, 'versions' | 'onChange' | 'refresh'>;

export interface CatalogueOptions {
  /** Announces admin changes; without it the generation stays 0 and only the TTL reloads. */
  config?: CatalogueConfig;
  log?: Pick<Logger, 'warn'>;
  ttlMs?: number;
}

/** How long a read that asks for a newer catalogue waits for it (`catalogue` input). */
export const CATALOGUE_WAIT_MS = 1_000;

/**
 * L1 cache of the active catalogue (a few hundred rows at most): list filters and "does this
 * model exist" checks never touch Postgres on the hot path. An admin change reloads it at once
 * in every process (ConfigChannel); the TTL (60 s) reload stays as a safety net for a missed
 * message or an out-of-band edit. Past the TTL the stale copy keeps serving while one reload runs.
 *
 * Every reload reads the PRIMARY: right after a change the replica may not have replayed the
 * commit yet, and a TTL reload from a lagging replica could replace a fresher copy under the
 * same generation. A few hundred rows a minute per process is nothing to the primary.
 */
export class Catalogue {
  private snapshot: Snapshot | null = null;
  /** The load in flight (or queued behind one) and the generation it will include. */
  private loading: { generation: number; promise: Promise<Snapshot> } | null = null;
  private refreshing: Promise<unknown> | null = null;
  private readonly config: CatalogueConfig | undefined;
  private readonly ttlMs: number;

  constructor(
    private readonly primary: () => Kysely<Database>,
    private readonly metrics: Metrics,
    opts: CatalogueOptions = {},
  ) {
    this.config = opts.config;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.config?.onChange((_versions, changed) => {
      if (!changed.includes('catalogue')) return;
      this.reload().catch((err: unknown) =>
        opts.log?.warn({ err }, 'catalogue reload after a change failed (the TTL retries)'),
      );
    });
  }

  async all(): Promise<Llm[]> {
    return (await this.current()).llms;
  }

  /**
   * One active model. An id this copy lacks while a newer catalogue has been announced (the
   * milliseconds between an admin's change and this process's reload) is looked up again once
   * the reload lands: a page that heard of a new model from another process can vote on it here.
   */
  async get(id: string): Promise<Llm | undefined> {
    const snap = await this.current();
    const llm = snap.byId.get(id);
    if (llm || !this.config || this.config.versions.catalogue <= snap.generation) return llm;
    await this.atLeast(this.config.versions.catalogue);
    return this.snapshot?.byId.get(id);
  }

  /** The Redis catalogue version the copy being served includes; null before the first load. */
  generation(): number | null {
    return this.snapshot?.generation ?? null;
  }

  /**
   * The name of the copy being served, for response caches keyed on it (`generation.digest`);
   * null before the first load. Past the TTL it starts one background reload, as a read would.
   */
  version(): string | null {
    const snap = this.snapshot;
    if (snap && Date.now() - snap.loadedAt >= this.ttlMs) this.reload().catch(() => undefined);
    return snap ? snap.version : null;
  }

  /**
   * Waits until the copy includes catalogue version `wanted` (a page that heard of a change asks
   * for it), at most `timeoutMs`. Returns at once when it already does, and when no process has
   * announced that version (a version from the future, or a made-up one): the caller answers
   * with what it has rather than hang. (The response cache named the answer by the version
   * held when the request came in; harmless, since the URL names the version asked for, and the
   * next request for it is named by the new one.)
   */
  async atLeast(wanted: number, timeoutMs = CATALOGUE_WAIT_MS): Promise<void> {
    const snap = await this.current();
    if (snap.generation >= wanted || !this.config) return;
    const deadline = sleep(timeoutMs, undefined, { ref: false });
    // The page may have heard of it (from another process) before this process did: ask Redis,
    // once for all the requests waiting meanwhile.
    if (this.config.versions.catalogue < wanted) {
      this.refreshing ??= this.config.refresh().finally(() => (this.refreshing = null));
      await Promise.race([this.refreshing.catch(() => undefined), deadline]);
      if (this.config.versions.catalogue < wanted) return;
    }
    await Promise.race([this.reload().catch(() => undefined), deadline]);
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
    const reload = this.reload();
    if (snap) {
      reload.catch(() => undefined); // already logged by the next awaited load
      return snap;
    }
    return reload;
  }

  /**
   * A copy that includes the current generation: the load in flight when it will, else a new
   * one queued behind it (loads run one at a time, so a newer copy is never overwritten by an
   * older one that finished later).
   */
  private reload(): Promise<Snapshot> {
    const generation = this.config?.versions.catalogue ?? 0;
    if (this.loading && this.loading.generation >= generation) return this.loading.promise;
    const previous = this.loading?.promise.catch(() => undefined);
    const promise = (previous ?? Promise.resolve())
      .then(() => listLlms(this.primary()))
      .then((llms: Llm[]) => {
        const digest = createHash('sha1').update(JSON.stringify(llms)).digest('base64url');
        const next: Snapshot = {
          generation,
          version: `${generation}.${digest.slice(0, 10)}`,
          llms,
          byId: new Map(llms.map((l) => [l.id, l])),
          loadedAt: Date.now(),
        };
        if (!this.snapshot || next.generation >= this.snapshot.generation) this.snapshot = next;
        return this.snapshot;
      })
      .finally(() => {
        if (this.loading?.promise === promise) this.loading = null;
      });
    this.loading = { generation, promise };
    return promise;
  }
}
