import { type Database, listScoreHistory } from '@llmpt/db';
import type { RankingsTrends, TrendSeries } from '@llmpt/shared';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';

const HOUR_MS = 3_600_000;

/** The first hour of a window of `hours` whole hours ending with the current one. */
export function windowStart(hours: number, now = Date.now()): Date {
  return new Date((Math.floor(now / HOUR_MS) - (hours - 1)) * HOUR_MS);
}

interface Entry {
  value: RankingsTrends;
  loadedAt: number;
}

/**
 * L1 cache of `rankings.trends`, one entry per window length, TTL 60 s: every open leaderboard
 * asks for the same 24 h window, and the history changes only when the worker rolls the current
 * hour (every 5 minutes). Past the TTL the stale copy keeps serving while one refresh runs, as
 * the catalogue does. Ranks are as the roll stored them (the shared rank rule; null for an hour
 * the model had no votes), so the page compares them with the board's ranks like for like.
 * @see Catalogue
 */
export class TrendsCache {
  private readonly entries = new Map<number, Entry>();
  private readonly loading = new Map<number, Promise<Entry>>();

  constructor(
    /** Where history is read: the replica while it is fresh (hourly points, lag-tolerant). */
    private readonly reads: () => Kysely<Database>,
    private readonly metrics: Metrics,
    private readonly ttlMs = 60_000,
  ) {}

  async get(hours: number): Promise<RankingsTrends> {
    const entry = this.entries.get(hours);
    if (entry && Date.now() - entry.loadedAt < this.ttlMs) {
      this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'trends', result: 'hit' });
      return entry.value;
    }
    this.metrics.cacheRequests.inc({
      layer: 'l1',
      cache: 'trends',
      result: entry ? 'stale' : 'miss',
    });
    const refresh = this.refresh(hours);
    if (entry) {
      refresh.catch(() => undefined); // a failing database shows on the next miss
      return entry.value;
    }
    return (await refresh).value;
  }

  private refresh(hours: number): Promise<Entry> {
    const inFlight = this.loading.get(hours);
    if (inFlight) return inFlight;
    const loading = listScoreHistory(this.reads(), { since: windowStart(hours) })
      .then((rows) => {
        const series: Record<string, TrendSeries> = {};
        for (const row of rows) {
          const s = (series[row.llmId] ??= { score: [], rank: [] });
          s.score.push(row.score);
          s.rank.push(row.rank);
        }
        const entry = { value: { hours, series }, loadedAt: Date.now() };
        this.entries.set(hours, entry);
        return entry;
      })
      .finally(() => this.loading.delete(hours));
    this.loading.set(hours, loading);
    return loading;
  }
}
