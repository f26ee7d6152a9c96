import { constants, gzipSync } from 'node:zlib';

import type { Metrics } from '../metrics.ts';

/** Below this a gzip member costs about what it saves. */
const GZIP_MIN_BYTES = 1024;

export class Entry {
  private gzipped: Buffer | null | undefined;

  constructor(
    readonly version: string,
    /** Encoded once: a hit writes these bytes as they are. */
    readonly body: Buffer,
    readonly etag: string,
  ) {}

  /**
   * The body gzipped, compressed on first use and kept with the entry (35 KB → ~4 KB for
   * rankings.list: browsers fetch the leaderboard far more often than it changes). Null when
   * the body is too small to be worth it.
   */
  gzip(): Buffer | null {
    if (this.gzipped === undefined) {
      this.gzipped =
        this.body.length < GZIP_MIN_BYTES
          ? null
          : gzipSync(this.body, { level: constants.Z_BEST_SPEED });
    }
    return this.gzipped;
  }
}

/**
 * Serialized answers of public queries whose output depends only on their input and on a
 * version the caller states (e.g. the live feed's last diff id and the catalogue generation).
 * A hit skips the procedure and, above all, JSON serialization: `rankings.list` is ~35 KB, and
 * serializing it per request cost more CPU than everything else on the read path. The version
 * doubles as a weak ETag, so polling clients and nginx revalidate with a 304, and a client that
 * accepts gzip gets the body compressed once per version.
 *
 * Bounded: past `maxEntries` distinct inputs the map starts over (inputs are user-controlled).
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  /** Answers being computed, by key and version: a burst of misses computes once. */
  private readonly pending = new Map<string, Promise<Entry>>();

  constructor(
    private readonly metrics: Metrics,
    private readonly maxEntries = 1_000,
  ) {}

  get(key: string, version: string): Entry | undefined {
    const hit = this.peek(key, version);
    this.metrics.cacheRequests.inc({
      layer: 'l1',
      cache: 'response',
      result: hit ? 'hit' : 'miss',
    });
    return hit;
  }

  /** As `get`, without counting the lookup: for a caller that counts its hits itself. */
  peek(key: string, version: string): Entry | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.version === version ? entry : undefined;
  }

  /**
   * The entry for `key` at `version`: a hit, the computation already under way for it, or a new
   * one (`compute` returns the encoded body; a rejection is passed on and nothing is cached).
   */
  resolve(key: string, version: string, compute: () => Promise<string>): Promise<Entry> {
    const hit = this.get(key, version);
    if (hit) return Promise.resolve(hit);
    const slot = `${version}\n${key}`;
    let entry = this.pending.get(slot);
    if (!entry) {
      entry = compute()
        .then((body) => this.set(key, version, body))
        .finally(() => this.pending.delete(slot));
      this.pending.set(slot, entry);
    }
    return entry;
  }

  set(key: string, version: string, body: string): Entry {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    const entry = new Entry(version, Buffer.from(body), `W/"${version}"`);
    this.entries.set(key, entry);
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }
}
