import {
  type Database,
  historyHourAtOrBefore,
  latestHistoryHour,
  listLlms,
  listScoreHistoryBetween,
} from '@llmpt/db';
import {
  type Llm,
  type LlmCategory,
  type Mover,
  type MoverWindow,
  type RankingRow,
  type RankingSort,
  type RankingsAsOf,
  type RankingsMovers,
  halfLifeMs,
  rankBoard,
  rankChange,
  roundTrending,
  trendingFromHourly,
} from '@llmpt/shared';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';
import { row, withRankRanges } from './rankings.ts';

const HOUR_MS = 3_600_000;
const WINDOW_MS: Record<MoverWindow, number> = { '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS };
/**
 * How far back an "as of" board reads hours for its trending values: a vote this many
 * half-lives old weighs 2^−32 (below 10⁻⁹), so older votes are counted, undecayed further, in
 * the first hour read: an error below 0.005 for any score under 2·10⁷.
 */
const TRENDING_LOOKBACK_HALF_LIVES = 32;

export interface HistoryBoardsOptions {
  /** RANK_MIN_VOTES: the live board's rule, so a past board is ranked as the live one. */
  minVotes: number;
  /** TRENDING_HALF_LIFE_HOURS. */
  trendingHalfLifeHours: number;
  /** How long a board that can still change (the current hour) is kept; default 60 s. */
  liveTtlMs?: number;
  /** How long a finished hour's board is kept (it never changes; bounded for memory). */
  pastTtlMs?: number;
  /** Boards kept at most (oldest dropped first). */
  maxEntries?: number;
}

interface Entry<T> {
  value: Promise<T>;
  expires: number;
}

/** The history's boards ("as of" an hour) and movers, ranked by the live board's rules. */
export class HistoryBoards {
  private readonly cache = new Map<string, Entry<unknown>>();
  private readonly liveTtlMs: number;
  private readonly pastTtlMs: number;
  private readonly maxEntries: number;

  constructor(
    /** Where history is read: the replica while fresh (hourly points tolerate lag). */
    private readonly reads: () => Kysely<Database>,
    private readonly metrics: Metrics,
    private readonly opts: HistoryBoardsOptions,
  ) {
    this.liveTtlMs = opts.liveTtlMs ?? 60_000;
    this.pastTtlMs = opts.pastTtlMs ?? 3_600_000;
    this.maxEntries = opts.maxEntries ?? 500;
  }

  /**
   * The board as it stood at `at`: the latest stored hour at or before `at` (floored to its
   * hour), every model with a snapshot that hour, ranked by `rankBoard` with RANK_MIN_VOTES,
   * trending values from the hours before it (`trendingFromHourly`), rank ranges by
   * `withRankRanges`. Models with no snapshot that hour (not yet added) are absent; names and
   * categories are today's. `hour` is null when history holds nothing that old.
   */
  asOf(
    at: Date,
    sort: RankingSort,
    category?: LlmCategory,
    now = Date.now(),
  ): Promise<RankingsAsOf> {
    const hourMs = Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
    return this.cached(`asOf|${hourMs}|${sort}|${category ?? ''}`, isPast(hourMs, now), () =>
      this.loadAsOf(new Date(hourMs), sort, category),
    );
  }

  /** True when the hour containing `at` is over: its board can no longer change. */
  static final(at: Date, now = Date.now()): boolean {
    return isPast(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS, now);
  }

  /**
   * The models that moved most between the latest stored hour and the latest at or before one
   * window earlier, on the overall board by score (as `asOf` ranks it). Risers: most places
   * gained, then most score gained (a model ranked at one end only counts 0 places); fallers
   * the reverse. `from` is null (and both lists empty) when history is not that old yet.
   */
  async movers(window: MoverWindow, limit: number, now = Date.now()): Promise<RankingsMovers> {
    const all = await this.cached(`movers|${window}`, false, () => this.loadMovers(window, now));
    return { ...all, risers: all.risers.slice(0, limit), fallers: all.fallers.slice(0, limit) };
  }

  private async loadMovers(window: MoverWindow, now: number): Promise<RankingsMovers> {
    const db = this.reads();
    const to = await latestHistoryHour(db);
    const empty = { window, from: null, to: to?.toISOString() ?? null, risers: [], fallers: [] };
    if (!to) return empty;
    const from = await historyHourAtOrBefore(db, new Date(to.getTime() - WINDOW_MS[window]));
    if (!from) return empty;
    const [before, after] = await Promise.all([
      this.asOf(from, 'score', undefined, now),
      this.asOf(to, 'score', undefined, now),
    ]);
    const then = new Map(before.rows.map((r) => [r.llm.id, r]));
    const moves: Array<Mover & { name: string }> = after.rows.map((r) => {
      const b = then.get(r.llm.id);
      const scoreBefore = b?.score ?? 0;
      return {
        llmId: r.llm.id,
        name: r.llm.name,
        rankBefore: b?.rank ?? null,
        rankNow: r.rank,
        rankChange: rankChange(b?.rank, r.rank),
        scoreBefore,
        scoreNow: r.score,
        scoreChange: r.score - scoreBefore,
      };
    });
    return { window, from: from.toISOString(), to: to.toISOString(), ...splitMovers(moves) };
  }

  private async loadAsOf(
    at: Date,
    sort: RankingSort,
    category: LlmCategory | undefined,
  ): Promise<RankingsAsOf> {
    const db = this.reads();
    const hour = await historyHourAtOrBefore(db, at);
    if (!hour) return { hour: null, rows: [] };
    const halfLife = halfLifeMs(this.opts.trendingHalfLifeHours);
    const [points, llms] = await Promise.all([
      listScoreHistoryBetween(db, {
        since: new Date(hour.getTime() - TRENDING_LOOKBACK_HALF_LIVES * halfLife),
        until: hour,
      }),
      listLlms(db, { status: 'all' }),
    ]);
    const catalogue = new Map<string, Llm>(llms.map((l) => [l.id, l]));
    const byModel = new Map<string, typeof points>();
    for (const p of points) {
      const list = byModel.get(p.llmId);
      if (list) list.push(p);
      else byModel.set(p.llmId, [p]);
    }
    const members = [];
    for (const [id, series] of byModel) {
      const last = series[series.length - 1];
      const llm = catalogue.get(id);
      // No snapshot that hour: the model was not on the board then.
      if (!last || last.hour.getTime() !== hour.getTime() || !llm) continue;
      if (category && !llm.categories.includes(category)) continue;
      const trending = trendingFromHourly(
        series.map((p) => ({ hourMs: p.hour.getTime(), score: p.score })),
        hour.getTime(),
        halfLife,
      );
      members.push({
        id,
        name: llm.name,
        llm,
        up: last.up,
        down: last.down,
        trending: roundTrending(trending),
      });
    }
    const rows: RankingRow[] = rankBoard(members, sort, { minVotes: this.opts.minVotes }).map(
      ({ item, rank }) => row(item.llm, rank, item.up, item.down, item.trending),
    );
    return { hour: hour.toISOString(), rows: withRankRanges(sort, rows) };
  }

  /** One shared load per key; failures are not kept. */
  private cached<T>(key: string, final: boolean, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) {
      this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'history', result: 'hit' });
      return hit.value as Promise<T>;
    }
    this.metrics.cacheRequests.inc({ layer: 'l1', cache: 'history', result: 'miss' });
    if (hit) this.cache.delete(key);
    const value = load();
    value.catch(() => this.cache.delete(key));
    this.cache.set(key, { value, expires: now + (final ? this.pastTtlMs : this.liveTtlMs) });
    // Map order is insertion order: the first key is the oldest entry.
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return value;
  }
}

function isPast(hourMs: number, now: number): boolean {
  return hourMs + HOUR_MS <= now;
}

/**
 * Risers and fallers, biggest first. A model that moved places goes by its places, then its
 * score change; one newly ranked rises and one no longer ranked falls, whatever its score did (a
 * model that lost its rank is never listed as rising); one whose rank did not change (or was
 * never ranked) goes by its score change. Ties by name.
 */
export function splitMovers(moves: ReadonlyArray<Mover & { name: string }>): {
  risers: Mover[];
  fallers: Mover[];
} {
  const direction = (m: Mover): number => {
    if (m.rankChange !== null && m.rankChange !== 0) return Math.sign(m.rankChange);
    if (m.rankChange === null && m.rankNow !== null) return 1;
    if (m.rankChange === null && m.rankBefore !== null) return -1;
    return Math.sign(m.scoreChange);
  };
  const places = (m: Mover) => m.rankChange ?? 0;
  const strip = ({ name: _name, ...m }: Mover & { name: string }): Mover => m;
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const risers = moves
    .filter((m) => direction(m) > 0)
    .sort((a, b) => places(b) - places(a) || b.scoreChange - a.scoreChange || byName(a, b));
  const fallers = moves
    .filter((m) => direction(m) < 0)
    .sort((a, b) => places(a) - places(b) || a.scoreChange - b.scoreChange || byName(a, b));
  return { risers: risers.map(strip), fallers: fallers.map(strip) };
}
