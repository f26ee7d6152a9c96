import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';

import { listLlms, postgresRebuildSource } from '@llmpt/db';
import { type RankingEntry, computeEntries, diffEntries } from '@llmpt/shared';
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
import { type WorkerApp, startWorker } from '../src/worker-app.ts';
import { type Fixture, createFixture, waitFor } from './helpers.ts';

let f: Fixture;
let keys: ReturnType<typeof rankingsKeys>;
let started: Array<{ ranker: Ranker; redis: Redis }> = [];
let logs: string[] = [];

beforeEach(async () => {
  f = await createFixture();
  keys = rankingsKeys(f.env.REDIS_PREFIX);
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
  await ensureTallies(f.store, f.llmIds);
});
afterEach(async () => {
  for (const { ranker, redis } of started) {
    await ranker.close();
    await redis.quit().catch(() => undefined); // already cut off in one test
  }
  started = [];
  logs = [];
  await f?.cleanup();
});

/**
 * The longest trending half-life the env allows (90 days): a score decays by less than 0.005
 * over one of these tests, so each model's published trending value is its score (the votes
 * are all fresh). trending.test.ts tests the decay with a clock of its own.
 */
const SLOW_HALF_LIFE_HOURS = 24 * 90;

/** A ranker as a worker process would run it: its own Redis connection, store and metrics. */
function makeRanker(opts: Partial<RankerOptions> = {}): Ranker {
  const redis = new Redis(f.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined); // the cut-off test closes it under the ranker's feet
  const store = new VoteStore(redis, {
    prefix: f.env.REDIS_PREFIX,
    partitions: f.env.VOTE_PARTITIONS,
  });
  const ranker = new Ranker(
    { redis, store, db: f.db, metrics: createMetrics(), log: (m) => logs.push(m) },
    {
      tickMs: 50,
      lockTtlMs: 3000,
      streamMaxLen: 2000,
      trendingHalfLifeHours: SLOW_HALF_LIFE_HOURS,
      ...opts,
    },
  );
  started.push({ ranker, redis });
  ranker.start();
  return ranker;
}

const snapshot = () => readRankingsSnapshot(f.redis, keys);
const diffCount = () => f.redis.xlen(keys.diffs);
const byId = (entries: RankingEntry[]) => new Map(entries.map((e) => [e.llmId, e]));

/** Waits for `n` more ticks of a leader: "nothing happened for a while" without a clock. */
async function ticksPass(ranker: Ranker, n: number): Promise<void> {
  const from = ranker.ticks;
  await waitFor(
    () => Promise.resolve(ranker.ticks),
    (t) => t >= from + n,
  );
}

/**
 * What the rankings must be now, computed from scratch: the active catalogue, Redis tallies,
 * and (every vote being fresh, see SLOW_HALF_LIFE_HOURS) each model's score as its trending.
 */
async function expectedEntries(): Promise<RankingEntry[]> {
  const llms = await listLlms(f.db);
  const tallies = await f.store.tallies(llms.map((l) => l.id));
  const trending = new Map([...tallies].map(([id, t]) => [id, t.up - t.down]));
  return computeEntries(llms, tallies, { trending });
}

describe('ranker', () => {
  it('publishes a first snapshot, then nothing while no tally changes', async () => {
    const ranker = makeRanker();
    const first = await waitFor(snapshot, (s) => s !== null);
    // The first diff carries every entry, so a client following from the start has them all.
    expect(first!.entries).toEqual(await expectedEntries());
    expect(await readDiffsAfter(f.redis, keys, '0-0', 10)).toBeNull(); // go get the snapshot
    const [initial] = (await f.redis.xrange(keys.diffs, '-', '+')) as [string, string[]][];
    expect(initial?.[0]).toBe(first!.id);

    await ticksPass(ranker, 5);
    expect(await diffCount()).toBe(1);

    // One vote: one diff, with exactly the entries that changed.
    const [llm] = first!.entries.slice(-1);
    const cast = await f.store.cast('voter-1', llm!.llmId, 1);
    expect(cast.status).toBe('changed');
    const second = await waitFor(snapshot, (s) => s?.id !== first!.id);
    expect(second!.entries).toEqual(await expectedEntries());
    const diffs = await readDiffsAfter(f.redis, keys, first!.id, 10);
    expect(diffs).toHaveLength(1);
    expect(diffs![0]!.id).toBe(second!.id);
    expect(diffs![0]!.entries).toEqual(diffEntries(byId(first!.entries), second!.entries));
    expect(byId(diffs![0]!.entries).get(llm!.llmId)).toMatchObject({ up: llm!.up + 1 });

    // Quiet again: no more diffs.
    await ticksPass(ranker, 5);
    expect(await diffCount()).toBe(2);
    expect(await readDiffsAfter(f.redis, keys, second!.id, 10)).toEqual([]);
  });

  it('paces itself after big diffs: the next tick waits entries / maxEntriesPerSec', async () => {
    const maxEntriesPerSec = 100;
    const maxTickMs = 1500;
    makeRanker({ tickMs: 50, maxEntriesPerSec, maxTickMs });
    const first = await waitFor(snapshot, (s) => s !== null);
    const llms = await listLlms(f.db);

    // Votes keep changing several models for a while, so (almost) every tick has a diff.
    const until = performance.now() + 2500;
    for (let round = 0; performance.now() < until; round++) {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          f.store.cast(`pace-${round}-${i}`, llms[(round * 5 + i) % llms.length]!.id, 1),
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    const expected = await expectedEntries();
    await waitFor(snapshot, (s) => isDeepStrictEqual(s?.entries, expected));

    const diffs = (await readDiffsAfter(f.redis, keys, first!.id, 10_000))!;
    expect(diffs.length).toBeGreaterThanOrEqual(2);
    // The first snapshot carried every model: it alone paces the first gap to the maximum.
    const all = [{ at: first!.at, entries: first!.entries }, ...diffs];
    for (let i = 1; i < all.length; i++) {
      const wanted = Math.min(maxTickMs, (all[i - 1]!.entries.length * 1000) / maxEntriesPerSec);
      // `at` is taken a little after its tick starts (tallies read, ranks computed): 50 ms slack.
      expect(all[i]!.at - all[i - 1]!.at, `gap before diff ${i}`).toBeGreaterThanOrEqual(
        wanted - 50,
      );
    }
  });

  it('coalesces a burst of votes into at most one diff per tick', async () => {
    const tickMs = 50;
    makeRanker({ tickMs });
    const first = await waitFor(snapshot, (s) => s !== null);
    const llms = await listLlms(f.db);

    const t0 = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        f.store.cast(`voter-${i % 500}`, llms[i % 7]!.id, i % 3 === 0 ? -1 : 1),
      ),
    );
    expect(outcomes.every((o) => o.status === 'changed')).toBe(true);
    const expected = await expectedEntries();
    const last = await waitFor(snapshot, (s) => isDeepStrictEqual(s?.entries, expected));
    const elapsedMs = performance.now() - t0;

    const diffs = await readDiffsAfter(f.redis, keys, first!.id, 10_000);
    expect(diffs!.length).toBeGreaterThanOrEqual(1);
    expect(diffs!.length).toBeLessThanOrEqual(elapsedMs / tickMs + 2);
    expect(diffs!.at(-1)!.id).toBe(last!.id);

    // A client that applies the diffs to the first snapshot ends where the last snapshot is.
    const state = byId(first!.entries);
    for (const d of diffs!) for (const e of d.entries) state.set(e.llmId, e);
    expect(state).toEqual(byId(last!.entries));
  });

  it('fails over to another ranker when the leader dies holding the lock', async () => {
    const a = makeRanker({ lockTtlMs: 1000 });
    const b = makeRanker({ lockTtlMs: 1000 });
    await waitFor(
      () => Promise.resolve([a, b].filter((r) => r.isLeader).length),
      (n) => n === 1,
    );
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    const first = await waitFor(snapshot, (s) => s !== null);
    await ticksPass(leader, 5);
    expect(follower.isLeader).toBe(false);
    expect(await f.redis.get(keys.leader)).toBe(leader.leader.token);
    expect(await diffCount()).toBe(1); // one initial snapshot, not one per ranker

    leader.crash();
    expect(leader.isLeader).toBe(false);
    // Killed, not closed: the lock stays until its lease runs out, then the follower takes it.
    expect(await f.redis.get(keys.leader)).toBe(leader.leader.token);
    await waitFor(
      () => Promise.resolve(follower.isLeader),
      (v) => v,
    );
    expect(await f.redis.get(keys.leader)).toBe(follower.leader.token);

    // The new leader continues from the snapshot: no spurious full diff.
    await ticksPass(follower, 5);
    expect(await diffCount()).toBe(1);

    const llmId = first!.entries[0]!.llmId;
    const cast = await f.store.cast('after-failover', llmId, -1);
    const diffs = await waitFor(
      () => readDiffsAfter(f.redis, keys, first!.id, 10),
      (d) => (d?.length ?? 0) > 0,
    );
    expect(diffs).toHaveLength(1);
    expect(byId(diffs![0]!.entries).get(llmId)).toMatchObject({
      up: cast.status === 'changed' ? cast.up : -1,
      down: cast.status === 'changed' ? cast.down : -1,
    });
    expect((await snapshot())!.entries).toEqual(await expectedEntries());
  });

  it('steps down on its own when it cannot renew, and hands over on close', async () => {
    const a = makeRanker({ lockTtlMs: 1000 });
    await waitFor(
      () => Promise.resolve(a.isLeader),
      (v) => v,
    );
    const b = makeRanker({ lockTtlMs: 1000 });
    // Cut the leader off from Redis: its renewals fail, so it must stop at the end of its lease.
    started.find((s) => s.ranker === a)!.redis.disconnect();
    await waitFor(
      () => Promise.resolve(b.isLeader),
      (v) => v,
    );
    expect(a.isLeader).toBe(false);
    expect(logs).toContain('ranker: no longer leader (lease-expired)');

    // A clean close releases the lock at once instead of letting it expire.
    await b.close();
    expect(await f.redis.get(keys.leader)).toBeNull();
    expect(logs).toContain('ranker: no longer leader (closed)');
  });
});

describe('worker process', () => {
  let worker: WorkerApp | undefined;
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  it('runs the ranker and releases its lock on close', async () => {
    worker = await startWorker({ ...f.env, RANKER_TICK_MS: 50 });
    const first = await waitFor(snapshot, (s) => s !== null);
    expect(first!.entries).toEqual(await expectedEntries());
    const url = `http://127.0.0.1:${worker.metricsPort}/metrics`;
    const metrics = await waitFor(
      async () => (await fetch(url)).text(),
      (m) => /^ranker_diffs_total 1$/m.test(m),
    );
    expect(metrics).toMatch(/^ranker_is_leader 1$/m);
    expect(metrics).toMatch(/^ranker_diff_entries_count 1$/m);

    await worker.close();
    worker = undefined;
    expect(await f.redis.get(keys.leader)).toBeNull();
  });
});
