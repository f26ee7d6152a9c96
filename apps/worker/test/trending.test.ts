// Trending and RANK_MIN_VOTES in the ranker (issue 15), on real Redis and Postgres, with the
// ranker's clock in the test's hand: every expected value below is computed by hand.
import { applyVoteEvents, postgresRebuildSource, type VoteEvent } from '@llmpt/db';
import type { RankingEntry, RankingsSnapshot } from '@llmpt/shared';
import {
  VoteStore,
  ensureTallies,
  rankingsKeys,
  readDiffsAfter,
  readRankingsSnapshot,
  rebuildUnreadyPartitions,
} from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createMetrics } from '../src/metrics.ts';
import { Ranker, type RankerOptions } from '../src/ranker/ranker.ts';
import { type Fixture, createFixture, waitFor } from './helpers.ts';

const HOUR = 3_600_000;
/** The ranker's clock; tests move it. A whole hour, so event times are easy to read. */
const T0 = Date.parse('2026-12-01T00:00:00Z');
let clock = T0;

let f: Fixture;
let keys: ReturnType<typeof rankingsKeys>;
let started: Array<{ ranker: Ranker; redis: Redis }> = [];
let logs: string[] = [];

beforeEach(async () => {
  clock = T0;
  f = await createFixture();
  keys = rankingsKeys(f.env.REDIS_PREFIX);
});
afterEach(async () => {
  for (const { ranker, redis } of started) {
    await ranker.close();
    await redis.quit();
  }
  started = [];
  logs = [];
  await f?.cleanup();
});

async function warmRedis(): Promise<void> {
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
  await ensureTallies(f.store, f.llmIds);
}

function makeRanker(opts: Partial<RankerOptions> = {}): Ranker {
  const redis = new Redis(f.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
  const store = new VoteStore(redis, {
    prefix: f.env.REDIS_PREFIX,
    partitions: f.env.VOTE_PARTITIONS,
  });
  const ranker = new Ranker(
    {
      redis,
      store,
      db: f.db,
      metrics: createMetrics(),
      log: (m) => logs.push(m),
      now: () => clock,
    },
    { tickMs: 50, lockTtlMs: 3000, streamMaxLen: 2000, trendingHalfLifeHours: 1, ...opts },
  );
  started.push({ ranker, redis });
  ranker.start();
  return ranker;
}

const snapshot = () => readRankingsSnapshot(f.redis, keys);
const entryOf = (s: RankingsSnapshot | null, id: string): RankingEntry | undefined =>
  s?.entries.find((e) => e.llmId === id);

async function ticksPass(ranker: Ranker, n: number): Promise<void> {
  const from = ranker.ticks;
  await waitFor(
    () => Promise.resolve(ranker.ticks),
    (t) => t >= from + n,
  );
}

/**
 * Moves the ranker's clock, then lets two ticks pass: a tick takes its time when it starts,
 * so a tick in flight must end before a vote meant for the new time is cast.
 */
async function setClock(ranker: Ranker, ms: number): Promise<void> {
  clock = ms;
  await ticksPass(ranker, 2);
}

describe('trending in the ranker', () => {
  it('decays each value by the half-life and adds each tick’s net votes; continues on a new leader', async () => {
    await warmRedis();
    const [a, b] = f.llmIds as [string, string];
    const ranker = makeRanker();
    const first = await waitFor(snapshot, (s) => s !== null);
    expect(first).toMatchObject({ at: T0, rules: { minVotes: 1, trendingHalfLifeHours: 1 } });
    expect(first!.entries.every((e) => e.trending === 0)).toBe(true);

    // T0: four upvotes on a.
    for (const v of ['v1', 'v2', 'v3', 'v4']) await f.store.cast(v, a, 1);
    let s = await waitFor(snapshot, (x) => entryOf(x, a)?.up === 4);
    expect(entryOf(s, a)?.trending).toBe(4);

    // One half-life later: a gets a downvote, b two upvotes. a: 4·½ − 1 = 1; b: 2.
    await setClock(ranker, T0 + HOUR);
    await f.store.cast('v5', a, -1);
    await f.store.cast('v1', b, 1);
    await f.store.cast('v2', b, 1);
    s = await waitFor(snapshot, (x) => entryOf(x, b)?.up === 2 && entryOf(x, a)?.down === 1);
    expect([entryOf(s, a)?.trending, entryOf(s, b)?.trending]).toEqual([1, 2]);
    expect(s!.at).toBe(T0 + HOUR);

    // Two more hours without a vote: values that only decay keep their order, nothing is sent.
    await setClock(ranker, T0 + 3 * HOUR);
    const quiet = await f.redis.xlen(keys.diffs);
    await ticksPass(ranker, 5);
    expect(await f.redis.xlen(keys.diffs)).toBe(quiet);

    // T0+3h: one upvote on b. a: 1·¼ = 0.25; b: 2·¼ + 1 = 1.5. Scores tie at 3 (rank 1 both),
    // trending puts b first.
    await f.store.cast('v3', b, 1);
    s = await waitFor(snapshot, (x) => entryOf(x, b)?.up === 3);
    expect([entryOf(s, a)?.trending, entryOf(s, b)?.trending]).toEqual([0.25, 1.5]);
    expect([entryOf(s, a)?.ranks.score, entryOf(s, b)?.ranks.score]).toEqual([1, 1]);
    expect([entryOf(s, a)?.ranks.trending, entryOf(s, b)?.ranks.trending]).toEqual([2, 1]);

    // The leader stops; at T0+6h a gets an upvote and a new leader takes over. It continues from
    // the snapshot (as of T0+3h) decayed by 3 half-lives plus the change since: a 0.25/8 + 1 =
    // 1.03125 → 1.03, b 1.5/8 = 0.1875 → 0.19. (Postgres holds no event here: recomputed from
    // the event log, a would be 4 and b 3.)
    await ranker.close();
    clock = T0 + 6 * HOUR;
    await f.store.cast('v6', a, 1);
    makeRanker();
    s = await waitFor(snapshot, (x) => entryOf(x, a)?.up === 5);
    expect([entryOf(s, a)?.trending, entryOf(s, b)?.trending]).toEqual([1.03, 0.19]);
    expect([entryOf(s, a)?.ranks.trending, entryOf(s, b)?.ranks.trending]).toEqual([1, 2]);
    expect(s!.at).toBe(T0 + 6 * HOUR);
    expect(logs.some((m) => m.includes('event log'))).toBe(true); // the first leader's cold start
    expect(logs.filter((m) => m.includes('event log'))).toHaveLength(1);
  });

  it('decays by the minute: within a minute only voted models change, a vote counts from its minute', async () => {
    await warmRedis();
    const [a, b] = f.llmIds as [string, string];
    const ranker = makeRanker();
    await waitFor(snapshot, (s) => s !== null);
    for (const v of ['v1', 'v2', 'v3', 'v4']) await f.store.cast(v, a, 1);
    const before = await waitFor(snapshot, (x) => entryOf(x, a)?.up === 4);

    // 30 s later (half-life 1 h): a would have decayed to 3.98, but the minute has not ended.
    await setClock(ranker, T0 + 30_000);
    await f.store.cast('v1', b, 1);
    let s = await waitFor(snapshot, (x) => entryOf(x, b)?.up === 1);
    expect([entryOf(s, a)?.trending, entryOf(s, b)?.trending]).toEqual([4, 1]);
    const [diff] = (await readDiffsAfter(f.redis, keys, before!.id, 10))!;
    expect(diff!.entries.map((e) => e.llmId)).toEqual([b]);

    // 1 h 30 s after T0: the values as of T0 + 1 h. a 4·½ = 2; b's vote (cast in T0's minute)
    // ½, plus the new one: 1.5 (decayed continuously it would be 2^(-59.5/60) + 1 = 1.51).
    await setClock(ranker, T0 + HOUR + 30_000);
    await f.store.cast('v2', b, 1);
    s = await waitFor(snapshot, (x) => entryOf(x, b)?.up === 2);
    expect([entryOf(s, a)?.trending, entryOf(s, b)?.trending]).toEqual([2, 1.5]);
    expect(s!.at).toBe(T0 + HOUR + 30_000);
  });

  it('computes trending from the event log when Redis holds no snapshot, and ranks from RANK_MIN_VOTES votes', async () => {
    const [a, b, c] = f.llmIds as [string, string, string];
    let seq = 0;
    const ev = (
      voterId: string,
      llmId: string,
      value: -1 | 0 | 1,
      prevValue: -1 | 0 | 1,
      hoursAgo: number,
    ): VoteEvent => ({
      eventId: `0:${++seq}`,
      voterId,
      llmId,
      value,
      prevValue,
      createdAt: new Date(T0 - hoursAgo * HOUR),
      seq,
    });
    // Half-life 1 h, now T0. Each event weighs 2^-(hours ago):
    // a: p1 up 2 h ago (+¼), p2 up 1 h ago (+½), p1 switches to down 1 h ago (−2·½)
    //    → −0.25; tally 1 up 1 down (2 votes).
    // b: p3 up 3 h ago (+⅛), p4 up 30 min ago (+0.7071) → 0.8321 → 0.83; tally 2 up.
    // c: p5 up 1 h ago (+½), p5 retracts 30 min ago (−0.7071) → −0.2071; tally none, then one
    //    upvote only in Redis (not flushed yet), counted as fresh: 0.7929 → 0.79; 1 vote.
    await applyVoteEvents(f.db, [
      ev('p1', a, 1, 0, 2),
      ev('p2', a, 1, 0, 1),
      ev('p1', a, -1, 1, 1),
      ev('p3', b, 1, 0, 3),
      ev('p4', b, 1, 0, 0.5),
      ev('p5', c, 1, 0, 1),
      ev('p5', c, 0, 1, 0.5),
    ]);
    await warmRedis(); // Redis rebuilt from Postgres: tallies, no snapshot
    await f.store.cast('p6', c, 1);

    makeRanker({ minVotes: 2 });
    const s = await waitFor(snapshot, (x) => x !== null);
    expect(s!.rules).toEqual({ minVotes: 2, trendingHalfLifeHours: 1 });
    const [ea, eb, ec] = [entryOf(s, a)!, entryOf(s, b)!, entryOf(s, c)!];
    expect([ea.trending, eb.trending, ec.trending]).toEqual([-0.25, 0.83, 0.79]);
    expect([ea.up, ea.down, eb.up, ec.up]).toEqual([1, 1, 2, 1]);
    // c has 1 vote < 2: provisional, unranked on every board, despite the trending value.
    expect([eb.ranks.trending, ea.ranks.trending, ec.ranks.trending]).toEqual([1, 2, null]);
    expect([eb.ranks.score, ea.ranks.score, ec.ranks.score]).toEqual([1, 2, null]);
    expect(Object.values(ec.ranks).every((r) => r === null)).toBe(true);
    // The other models: no votes, no trending, no rank.
    const others = s!.entries.filter((e) => ![a, b, c].includes(e.llmId));
    expect(others.every((e) => e.trending === 0 && e.ranks.score === null)).toBe(true);
  });
});
