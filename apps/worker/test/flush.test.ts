import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { applyVoteEvents, createDb, postgresRebuildSource } from '@llmpt/db';
import {
  OutboxReader,
  outboxAgesMs,
  parseOutboxEntry,
  rebuildUnreadyPartitions,
} from '@llmpt/vote-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { flushPartition } from '../src/jobs/flush.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import {
  type Fixture,
  countEvents,
  createFixture,
  outboxTotal,
  pgCounts,
  waitFor,
} from './helpers.ts';

let f: Fixture;

beforeEach(async () => {
  f = await createFixture();
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
});
afterEach(async () => {
  await f?.cleanup();
});

function flushDeps(consumer: string, claimIdleMs = 30_000) {
  return {
    env: {
      FLUSH_BATCH_SIZE: 500,
      FLUSH_BUDGET_MS: 60_000,
      FLUSH_CLAIM_IDLE_MS: claimIdleMs,
      FLUSH_FAILPOINT: 'none' as const,
      FLUSH_AFTER_REPLICAS: 0,
      FLUSH_REPLICA_TIMEOUT_MS: 5_000,
    },
    db: f.db,
    reader: new OutboxReader(f.store, consumer),
    metrics: createMetrics(),
    redis: f.store.redis,
  };
}

async function flushAll(deps: ReturnType<typeof flushDeps>): Promise<number> {
  let events = 0;
  for (let p = 0; p < f.store.partitions; p++) events += (await flushPartition(deps, p)).events;
  return events;
}

async function redisTallies(): Promise<Map<string, { up: number; down: number }>> {
  const t = await f.store.tallies(f.llmIds);
  return new Map([...t].map(([id, { up, down }]) => [id, { up, down }]));
}

/** Casts a deterministic mix: ups, downs, changes and retracts across voters and models. */
async function castMix(voters: number, models: number): Promise<number> {
  let changed = 0;
  await Promise.all(
    Array.from({ length: voters }, async (_, v) => {
      for (let m = 0; m < models; m++) {
        const llmId = f.llmIds[m]!;
        for (const value of [1, -1, 0, (v + m) % 3 === 0 ? 0 : v % 2 ? 1 : -1] as const) {
          const r = await f.store.cast(`voter-${v}`, llmId, value);
          if (r.status === 'changed') changed++;
        }
      }
    }),
  );
  return changed;
}

describe('flush', () => {
  it('writes every event once and Postgres counts equal Redis tallies', async () => {
    const changed = await castMix(30, 12);
    expect(await outboxTotal(f)).toBe(changed);
    const flushed = await flushAll(flushDeps('c1'));
    expect(flushed).toBe(changed);
    expect(await outboxTotal(f)).toBe(0);
    expect(await countEvents(f.db)).toBe(changed);
    expect(await pgCounts(f.db)).toEqual(await redisTallies());
    // Ballots in Postgres are the last value of each (voter, model).
    const ballots = await f.db
      .selectFrom('votes')
      .select(['voter_id', 'llm_id', 'value'])
      .where('value', '!=', 0)
      .execute();
    const inRedis = await Promise.all(
      Array.from({ length: 30 }, (_, v) => f.store.ballotsOf(`voter-${v}`)),
    );
    expect(ballots.length).toBe(inRedis.reduce((n, b) => n + Object.keys(b).length, 0));
    for (const b of ballots)
      expect(inRedis[Number(b.voter_id.split('-')[1])]![b.llm_id]).toBe(b.value);
  });

  it('applies a batch delivered twice only once', async () => {
    await castMix(10, 5);
    const reader = new OutboxReader(f.store, 'c1');
    const events = (
      await Promise.all(
        Array.from({ length: f.store.partitions }, (_, p) =>
          reader.read(p, { count: 10_000, claimIdleMs: 60_000 }),
        ),
      )
    ).flatMap((b) => b.events);
    await applyVoteEvents(f.db, events);
    const once = { counts: await pgCounts(f.db), events: await countEvents(f.db) };
    await applyVoteEvents(f.db, events);
    await applyVoteEvents(f.db, [...events].reverse());
    expect(await pgCounts(f.db)).toEqual(once.counts);
    expect(await countEvents(f.db)).toBe(once.events);
    // The ack was "lost": the same consumer re-reads its pending entries first and acks them.
    await flushAll(flushDeps('c1'));
    expect(await outboxTotal(f)).toBe(0);
    expect(await pgCounts(f.db)).toEqual(once.counts);
    expect(await countEvents(f.db)).toBe(once.events);
    expect(once.counts).toEqual(await redisTallies());
  });

  it("reclaims a crashed consumer's pending entries", async () => {
    const changed = await castMix(10, 5);
    const dead = new OutboxReader(f.store, 'dead-consumer');
    for (let p = 0; p < f.store.partitions; p++)
      await dead.read(p, { count: 10_000, claimIdleMs: 60_000 });
    // Nothing new to read for others while the dead consumer holds them, until they idle out.
    expect(await flushAll(flushDeps('c2', 60_000))).toBe(0);
    await new Promise((r) => setTimeout(r, 250));
    expect(await flushAll(flushDeps('c2', 200))).toBe(changed);
    expect(await outboxTotal(f)).toBe(0);
    expect(await countEvents(f.db)).toBe(changed);
    expect(await pgCounts(f.db)).toEqual(await redisTallies());
  });

  it('moves a malformed entry and a vote for a deleted model to the dead letters, and flushes the rest once', async () => {
    const changed = await castMix(12, 6);
    // A model that Redis still knows but Postgres no longer has (deleted by hand).
    const gone = f.llmIds[10]!;
    await f.store.cast('voter-gone', gone, 1);
    await f.db.deleteFrom('llms').where('id', '=', gone).execute();
    const goneP = f.store.keysFor(gone).partition;
    const malformed = await f.redis.xadd(f.store.keysFor(gone).outbox, '*', 'v', 'x', 'n', '7');
    await castMix(12, 6); // more valid votes after the poison, same voters: no-ops and changes
    const valid = (await outboxTotal(f)) - 2;
    expect(valid).toBeGreaterThanOrEqual(changed);

    const deps = flushDeps('c1');
    const results = [];
    for (let p = 0; p < f.store.partitions; p++) results.push(await flushPartition(deps, p));
    expect(results.reduce((n, r) => n + r.events, 0)).toBe(valid);
    expect(results[goneP]!.deadLetters).toBe(2);
    expect(await outboxTotal(f)).toBe(0);
    expect(await countEvents(f.db)).toBe(valid);
    // Every valid vote counted once: Postgres equals Redis for every model still in the catalogue.
    const tallies = await redisTallies();
    tallies.delete(gone);
    expect(await pgCounts(f.db)).toEqual(tallies);

    const dead = await f.redis.xrange(f.store.keysOf(goneP).deadLetter, '-', '+');
    const reasons = dead.map(([, fields]) => fields[fields.indexOf('reason') + 1]);
    expect(reasons.sort()).toEqual(
      [
        `malformed outbox entry ${malformed} in partition ${goneP}`,
        `unknown model "${gone}"`,
      ].sort(),
    );
    // The unknown model's vote, written by the vote script as one compact field, is kept spelled
    // out, so XADDing those fields replays it (operations.md) and the reader takes them back.
    const goneEntry = dead.find(([, fields]) => fields.includes(`unknown model "${gone}"`))!;
    const kept = JSON.parse(goneEntry[1][goneEntry[1].indexOf('entry') + 1]!) as Record<
      string,
      string
    >;
    expect(kept).toMatchObject({ v: 'voter-gone', l: gone, n: '1', p: '0' });
    expect(parseOutboxEntry(goneP, ['1-1', Object.entries(kept).flat()])).toMatchObject({
      voterId: 'voter-gone',
      llmId: gone,
      value: 1,
      prevValue: 0,
    });
    const metric = await deps.metrics.registry.getSingleMetricAsString('outbox_dead_letters_total');
    expect(metric).toContain('outbox_dead_letters_total{reason="malformed"} 1');
    expect(metric).toContain('outbox_dead_letters_total{reason="unknown_model"} 1');
  });

  it('survives a worker killed between commit and XACK', async () => {
    const changed = await castMix(20, 8);
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      env: {
        ...process.env,
        DATABASE_URL: f.env.DATABASE_URL,
        REDIS_URL: f.env.REDIS_URL,
        REDIS_PREFIX: f.env.REDIS_PREFIX,
        BULL_PREFIX: f.env.BULL_PREFIX,
        VOTE_PARTITIONS: String(f.env.VOTE_PARTITIONS),
        FLUSH_EVERY_MS: '100',
        METRICS_PORT: '-1',
        LOG_LEVEL: 'error',
        FLUSH_FAILPOINT: 'after-commit',
      },
      stdio: 'inherit',
    });
    const signal = await new Promise<NodeJS.Signals | null>((r) =>
      child.once('exit', (_code, sig) => r(sig)),
    );
    expect(signal).toBe('SIGKILL');
    const committed = await countEvents(f.db);
    expect(committed).toBeGreaterThan(0); // the batch reached Postgres...
    expect(await outboxTotal(f)).toBe(changed); // ...but nothing was acknowledged

    await new Promise((r) => setTimeout(r, 250));
    await flushAll(flushDeps('survivor', 200));
    await waitFor(
      () => outboxTotal(f),
      (n) => n === 0,
    );
    expect(await countEvents(f.db)).toBe(changed);
    expect(await pgCounts(f.db)).toEqual(await redisTallies());
  });
});

describe('outbox_lag_seconds', () => {
  it('grows while a partition cannot be flushed (Postgres unreachable)', async () => {
    await f.store.cast('lagging', f.llmIds[0]!, 1);
    const p = f.store.keysFor(f.llmIds[0]!).partition;
    const metrics = createMetrics({
      outboxAgesMs: () =>
        outboxAgesMs(
          f.store,
          Array.from({ length: f.store.partitions }, (_, i) => i),
        ),
    });
    const lag = async () => {
      const text = await metrics.registry.getSingleMetricAsString('outbox_lag_seconds');
      return Number(new RegExp(`partition="${p}"} ([0-9.e-]+)`).exec(text)?.[1]);
    };
    const broken = createDb('postgres://nobody:x@127.0.0.1:1/none', { max: 1 });
    const deps = { ...flushDeps('stuck'), db: broken, metrics };
    const first = await lag();
    await expect(flushPartition(deps, p)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(flushPartition(deps, p)).rejects.toThrow();
    expect(await lag()).toBeGreaterThanOrEqual(first + 1);
    await broken.destroy();
    // Once it flushes, the partition's age is 0 again.
    await flushPartition({ ...flushDeps('stuck'), metrics }, p);
    expect(await lag()).toBe(0);
  });
});
