import { applyVoteEvents, postgresRebuildSource } from '@llmpt/db';
import { OutboxReader, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { flushPartition } from '../src/jobs/flush.processor.ts';
import { reconcile } from '../src/jobs/reconcile.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { type Fixture, createFixture, outboxTotal, pgCounts } from './helpers.ts';

let f: Fixture;

beforeEach(async () => {
  f = await createFixture();
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
});
afterEach(async () => {
  await f?.cleanup();
});

const NONE = { tally: 0, ballot_missing: 0, ballot_extra: 0, ballot_wrong: 0 };

function deps() {
  return { db: f.db, store: f.store, metrics: createMetrics(), log: () => {} };
}

async function flushAll(consumer = 'r1'): Promise<void> {
  const d = {
    env: {
      FLUSH_BATCH_SIZE: 1000,
      FLUSH_BUDGET_MS: 60_000,
      FLUSH_CLAIM_IDLE_MS: 30_000,
      FLUSH_FAILPOINT: 'none' as const,
      FLUSH_AFTER_REPLICAS: 0,
      FLUSH_REPLICA_TIMEOUT_MS: 5_000,
    },
    db: f.db,
    reader: new OutboxReader(f.store, consumer),
    metrics: createMetrics(),
    redis: f.redis,
  };
  for (let p = 0; p < f.store.partitions; p++) await flushPartition(d, p);
}

async function castRound(round: number, voters = 20, models = 8): Promise<void> {
  for (let v = 0; v < voters; v++)
    for (let m = 0; m < models; m++) {
      const value = ([1, -1, 0, 1] as const)[(v + m + round) % 4]!;
      await f.store.cast(`voter-${v}`, f.llmIds[m]!, value);
    }
}

/**
 * Postgres behind Redis in every way the flush allows: flushed votes, votes still in the outbox,
 * and a batch committed to Postgres whose XACK has not happened yet (in both places).
 */
async function votesInEveryState(): Promise<void> {
  await castRound(0);
  await flushAll();
  await castRound(1);
  const reader = new OutboxReader(f.store, 'committed-not-acked');
  for (let p = 0; p < f.store.partitions; p++) {
    const batch = await reader.read(p, { count: 1000, claimIdleMs: 60_000 });
    await applyVoteEvents(f.db, batch.events, { partition: p });
  }
  await castRound(2);
  expect(await outboxTotal(f)).toBeGreaterThan(0);
}

describe('reconciliation', () => {
  it('finds no drift with votes flushed, unflushed, and committed but not acknowledged', async () => {
    await votesInEveryState();
    const d = deps();
    const result = await reconcile(d, true);
    expect(result.drift).toEqual(NONE);
    expect(result.repaired).toBe(0);
    expect(result.ballots).toBeGreaterThan(0);
    expect(await d.metrics.registry.getSingleMetricAsString('reconcile_drift')).toContain(
      'reconcile_drift{kind="tally"} 0',
    );
  });

  it('reports injected drift by kind, repairs Redis from Postgres, and then reports none', async () => {
    await votesInEveryState();
    const [a, b, c, d] = f.llmIds as [string, string, string, string];
    // voter-0's ballots after round 2 (value index (v + m + 2) % 4): a → 0, b → 1, c → 1, d → -1.
    expect(await f.store.ballotsOf('voter-0')).toMatchObject({ [b]: 1, [c]: 1, [d]: -1 });
    const before = await f.store.tallies([a]);
    await f.redis.hincrby(f.store.keysFor(a).tally(a), 'up', 3);
    await f.redis.hdel(f.store.keysFor(b).ballot('voter-0'), b);
    await f.redis.hset(f.store.keysFor(c).ballot('ghost'), c, '1');
    await f.redis.hset(f.store.keysFor(d).ballot('voter-0'), d, '1');

    const reportOnly = await reconcile(deps(), false);
    expect(reportOnly.drift).toEqual({
      tally: 1,
      ballot_missing: 1,
      ballot_extra: 1,
      ballot_wrong: 1,
    });
    expect(reportOnly.repaired).toBe(0);
    expect((await f.store.tallies([a])).get(a)!.up).toBe(before.get(a)!.up + 3);

    const m = deps();
    const repaired = await reconcile(m, true);
    expect(repaired.drift).toEqual(reportOnly.drift);
    expect(repaired.repaired).toBe(4);
    const text = await m.metrics.registry.getSingleMetricAsString('reconcile_drift');
    expect(text).toContain('reconcile_drift{kind="ballot_extra"} 1');

    expect((await reconcile(deps(), true)).drift).toEqual(NONE);
    expect((await f.store.tallies([a])).get(a)).toEqual(before.get(a));
    expect(await f.store.ballotsOf('ghost')).toEqual({});
    expect(await f.store.ballotsOf('voter-0')).toMatchObject({ [b]: 1, [c]: 1, [d]: -1 });

    // Once everything is flushed, Redis and Postgres agree exactly.
    await flushAll();
    await flushAll('committed-not-acked');
    expect(await outboxTotal(f)).toBe(0);
    const tallies = await f.store.tallies(f.llmIds);
    expect(await pgCounts(f.db)).toEqual(
      new Map([...tallies].map(([id, t]) => [id, { up: t.up, down: t.down }])),
    );
  });

  it('finds no drift while votes are cast and flushed during the run', async () => {
    await votesInEveryState();
    let running = true;
    let cast = 0;
    const voters = Array.from({ length: 3 }, async (_, w) => {
      for (let i = 0; running; i++) {
        const value = ([1, -1, 0] as const)[(i + w) % 3]!;
        await f.store.cast(`live-${w}-${i % 25}`, f.llmIds[(i * 7 + w) % 10]!, value);
        cast++;
      }
    });
    const flusher = (async () => {
      while (running) await flushAll('live-flusher');
    })();
    try {
      for (let run = 0; run < 3; run++) {
        const start = cast;
        const result = await reconcile(deps(), true);
        expect(result.drift).toEqual(NONE);
        expect(cast).toBeGreaterThan(start); // votes really landed during the run
      }
    } finally {
      running = false;
      await Promise.all([...voters, flusher]);
    }
  });
});
