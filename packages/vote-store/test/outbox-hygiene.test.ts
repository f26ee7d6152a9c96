import { testKeyPrefix } from '@llmpt/devstack';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import {
  OUTBOX_GROUP,
  OutboxReader,
  VoteStore,
  outboxAgesMs,
  partitionOf,
  rebuildUnreadyPartitions,
  setBallotIf,
} from '../src/index.ts';

let redis: Redis;
let prefix: string;
const MODELS = ['m-a', 'm-b', 'm-c'];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = testKeyPrefix();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

async function readyStore(name: string): Promise<VoteStore> {
  const store = new VoteStore(redis, { prefix: `${prefix}${name}:`, partitions: 1 });
  await rebuildUnreadyPartitions(store, {
    tallies: () => Promise.resolve(MODELS.map((llmId) => ({ llmId, up: 0, down: 0 }))),
    ballots: () => [],
  });
  return store;
}

describe('outbox dead letters', () => {
  it('returns a malformed entry as poison beside the valid events, and moves it aside atomically', async () => {
    const store = await readyStore('dlq');
    const reader = new OutboxReader(store, 'c1');
    await store.cast('v1', 'm-a', 1);
    const bad = await redis.xadd(store.keysOf(0).outbox, '*', 'v', 'v2', 'l', 'm-b', 'n', 'x');
    await store.cast('v3', 'm-c', -1);

    const batch = await reader.read(0, { count: 100, claimIdleMs: 60_000 });
    expect(batch.events.map((e) => e.voterId)).toEqual(['v1', 'v3']);
    expect(batch.poison).toEqual([
      {
        streamId: bad,
        fields: { v: 'v2', l: 'm-b', n: 'x' },
        reason: `malformed outbox entry ${bad} in partition 0`,
      },
    ]);

    await reader.deadLetter(0, batch.poison);
    const dead = await redis.xrange(store.keysOf(0).deadLetter, '-', '+');
    expect(dead).toHaveLength(1);
    expect(dead[0]![1]).toEqual([
      'src',
      bad,
      'reason',
      `malformed outbox entry ${bad} in partition 0`,
      'entry',
      JSON.stringify({ v: 'v2', l: 'm-b', n: 'x' }),
    ]);
    // Gone from the outbox and from the pending list; the valid ones are still pending.
    expect(await redis.xlen(store.keysOf(0).outbox)).toBe(2);
    const pending = (await redis.xpending(store.keysOf(0).outbox, OUTBOX_GROUP)) as [number];
    expect(pending[0]).toBe(2);
  });
});

describe('dead consumers', () => {
  it('removes idle consumers with nothing pending, never one holding entries or the caller', async () => {
    const store = await readyStore('consumers');
    const key = store.keysOf(0).outbox;
    const idle = new OutboxReader(store, 'idle-empty');
    const holding = new OutboxReader(store, 'idle-holding');
    const self = new OutboxReader(store, 'self');
    await idle.read(0, { count: 10, claimIdleMs: 60_000 }); // creates the consumer, reads nothing
    await store.cast('v1', 'm-a', 1);
    await holding.read(0, { count: 10, claimIdleMs: 60_000 }); // holds the entry, never acks
    await self.read(0, { count: 10, claimIdleMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));

    // Nobody is idle for an hour yet.
    expect(await self.removeDeadConsumers(0, 3_600_000)).toEqual([]);
    expect(await self.removeDeadConsumers(0, 200)).toEqual(['idle-empty']);
    const names = ((await redis.xinfo('CONSUMERS', key, OUTBOX_GROUP)) as string[][]).map(
      (c) => c[1],
    );
    expect(names.sort()).toEqual(['idle-holding', 'self']);
  });
});

describe('outbox age', () => {
  it('is the age of the oldest entry still in the outbox, and grows while nothing is flushed', async () => {
    const store = await readyStore('age');
    expect(await outboxAgesMs(store, [0])).toEqual([0]);
    await store.cast('v1', 'm-a', 1);
    const first = (await redis.xrange(store.keysOf(0).outbox, '-', '+'))[0]![0];
    const at = Number(first.split('-')[0]);
    expect(await outboxAgesMs(store, [0], at + 5_000)).toEqual([5_000]);
    expect(await outboxAgesMs(store, [0], at + 65_000)).toEqual([65_000]);
  });
});

describe('setBallotIf', () => {
  it('writes only over the value the caller saw', async () => {
    const store = await readyStore('cas');
    expect(partitionOf('m-a', 1)).toBe(0);
    await store.cast('v1', 'm-a', 1);
    expect(await setBallotIf(store, 'v1', 'm-a', -1, 0)).toBe(false);
    expect(await store.ballotsOf('v1')).toEqual({ 'm-a': 1 });
    expect(await setBallotIf(store, 'v1', 'm-a', 1, -1)).toBe(true);
    expect(await store.ballotsOf('v1')).toEqual({ 'm-a': -1 });
    expect(await setBallotIf(store, 'v1', 'm-a', -1, 0)).toBe(true);
    expect(await store.ballotsOf('v1')).toEqual({});
  });
});
