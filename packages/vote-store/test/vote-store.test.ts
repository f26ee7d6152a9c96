import { testKeyPrefix } from '@llmpt/devstack';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import {
  OutboxReader,
  VoteStore,
  ensureTallies,
  parseOutboxEntry,
  partitionKeys,
  partitionOf,
  rebuildUnreadyPartitions,
} from '../src/index.ts';

let redis: Redis;
let prefix: string;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = testKeyPrefix();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const MODELS = Array.from({ length: 20 }, (_, i) => `model-${i}`);

async function readyStore(name: string, partitions = 8): Promise<VoteStore> {
  const store = new VoteStore(redis, { prefix: `${prefix}${name}:`, partitions });
  await rebuildUnreadyPartitions(store, {
    tallies: () => Promise.resolve(MODELS.map((llmId) => ({ llmId, up: 0, down: 0 }))),
    ballots: () => [],
  });
  return store;
}

describe('keys', () => {
  it('puts every key of one vote in the same hash tag', () => {
    const p = partitionOf('gpt-4o', 16);
    const k = partitionKeys('x:', p);
    for (const key of [k.ready, k.outbox, k.ballot('v'), k.tally('gpt-4o')])
      expect(key).toContain(`{vp:${p}}`);
    expect(partitionOf('gpt-4o', 16)).toBe(p); // stable
  });

  it('spreads models over partitions', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => partitionOf(`model-${i}`, 16)));
    expect(used.size).toBe(16);
  });
});

describe('cast', () => {
  it('refuses votes until the partition is rebuilt, and unknown models after', async () => {
    const store = new VoteStore(redis, { prefix: `${prefix}cold:`, partitions: 4 });
    expect(await store.cast('v', 'model-1', 1)).toEqual({ status: 'not_ready' });
    await rebuildUnreadyPartitions(store, {
      tallies: () => Promise.resolve([{ llmId: 'model-1', up: 5, down: 2 }]),
      ballots: () => [[{ voterId: 'old', llmId: 'model-1', value: 1 }]],
    });
    expect(await store.cast('v', 'model-1', 1)).toMatchObject({
      status: 'changed',
      up: 6,
      down: 2,
    });
    expect(await store.ballotsOf('old')).toEqual({ 'model-1': 1 });
    // A model with no tally is unknown, in any partition.
    for (const id of ['nope-1', 'nope-2', 'nope-3', 'nope-4']) {
      expect(await store.cast('v', id, 1)).toEqual({ status: 'unknown_model' });
    }
    expect(await ensureTallies(store, ['nope-1'])).toBe(1);
    expect(await store.cast('v', 'nope-1', -1)).toMatchObject({
      status: 'changed',
      up: 0,
      down: 1,
    });
  });

  it('changes, no-ops and retracts, appending one event per change', async () => {
    const store = await readyStore('semantics');
    const reader = new OutboxReader(store, 'c');
    const p = partitionOf('model-3', store.partitions);
    await reader.ensureGroup(p);
    expect(await store.cast('alice', 'model-3', 1)).toMatchObject({
      status: 'changed',
      up: 1,
      down: 0,
      prev: 0,
      ver: 1,
    });
    expect(await store.cast('alice', 'model-3', 1)).toMatchObject({
      status: 'unchanged',
      up: 1,
      down: 0,
      eventId: '',
    });
    expect(await store.cast('alice', 'model-3', -1)).toMatchObject({
      status: 'changed',
      up: 0,
      down: 1,
      prev: 1,
      ver: 2,
    });
    expect(await store.cast('alice', 'model-3', 0)).toMatchObject({
      status: 'changed',
      up: 0,
      down: 0,
      prev: -1,
      ver: 3,
    });
    expect(await store.cast('alice', 'model-3', 0)).toMatchObject({ status: 'unchanged' });
    const { events } = await reader.read(p, { count: 100, claimIdleMs: 60_000 });
    expect(events.map((e) => [e.voterId, e.llmId, e.value, e.prevValue])).toEqual([
      ['alice', 'model-3', 1, 0],
      ['alice', 'model-3', -1, 1],
      ['alice', 'model-3', 0, -1],
    ]);
    expect(events[0]!.eventId).toBe(`${p}:${events[0]!.streamId}`);
    await reader.ack(
      p,
      events.map((e) => e.streamId),
    );
    expect(await redis.xlen(store.keysOf(p).outbox)).toBe(0);
  });

  it('keeps exact tallies under 50 voters x 20 models casting in parallel', async () => {
    const store = await readyStore('concurrency');
    const finals = new Map<string, number>();
    let ops = 0;
    await Promise.all(
      Array.from({ length: 50 }, (_, v) =>
        Promise.all(
          MODELS.map(async (llmId, m) => {
            // Each (voter, model) pair runs its own sequence; all pairs run concurrently.
            const seq = [1, -1, 1, 0, -1, 1].slice(0, 1 + ((v * 7 + m * 3) % 6)) as Array<
              1 | -1 | 0
            >;
            for (const value of seq) {
              await store.cast(`v${v}`, llmId, value);
              ops++;
            }
            finals.set(`v${v}|${llmId}`, seq.at(-1)!);
          }),
        ),
      ),
    );
    expect(ops).toBeGreaterThan(1000);
    const tallies = await store.tallies(MODELS);
    for (const llmId of MODELS) {
      let up = 0;
      let down = 0;
      for (let v = 0; v < 50; v++) {
        const value = finals.get(`v${v}|${llmId}`);
        if (value === 1) up++;
        if (value === -1) down++;
      }
      expect(tallies.get(llmId)).toMatchObject({ up, down });
    }
    expect(await store.ballotsOf('v7')).toEqual(
      Object.fromEntries(
        MODELS.flatMap((id) => (finals.get(`v7|${id}`) ? [[id, finals.get(`v7|${id}`)]] : [])),
      ),
    );
  });
});

describe('outbox', () => {
  it('rejects malformed entries clearly', () => {
    expect(() => parseOutboxEntry(1, ['1-0', ['v', 'a', 'l', 'b', 'n', '7', 'p', '0']])).toThrow(
      /malformed outbox entry 1-0/,
    );
    const fields = ['v', 'a', 'l', 'b', 'n', '1', 'p', '0'];
    for (const id of ['1', '1-', '-1', 'x-1', '1-y']) {
      expect(() => parseOutboxEntry(1, [id, fields]), id).toThrow(/malformed outbox entry/);
    }
    for (const missing of ['v', 'l', 'n', 'p']) {
      const without = fields.filter((_, i) => fields[i - (i % 2)] !== missing);
      expect(() => parseOutboxEntry(1, ['1-0', without]), missing).toThrow(/malformed/);
    }
    // A compact record splits into exactly ten values; a NUL inside a value makes eleven.
    const compact = ['a', 'b', '1', '0', '', '', '', '', '0', '0'];
    expect(parseOutboxEntry(1, ['1-0', ['e', compact.join('\0')]])).toMatchObject({
      voterId: 'a',
      llmId: 'b',
    });
    for (const bad of [
      compact.slice(1),
      ['a\0x', ...compact.slice(1)],
      ['', ...compact.slice(1)],
    ]) {
      expect(() => parseOutboxEntry(1, ['1-0', ['e', bad.join('\0')]])).toThrow(/malformed/);
    }
    expect(() => parseOutboxEntry(1, ['1-0', [...fields, 'k', 'undo']])).toThrow(/kind "undo"/);
    expect(() => parseOutboxEntry(1, ['1-0', [...fields, 'k', 'void']])).toThrow(/flag/);
    expect(() => parseOutboxEntry(1, ['1-0', [...fields, 'k', 'void', 'f', '0']])).toThrow(/flag/);
  });

  it('parses an entry whole: ids, values, time, kind, flag and signals', () => {
    const signals = ['ip', 'i', 'nw', 'w', 'ua', '', 'fp', 'f', 'nv', '1', 'au', '0'];
    const entry = ['v', 'voter', 'l', 'model', 'n', '-1', 'p', '1', ...signals];
    expect(parseOutboxEntry(3, ['1764756000123-7', entry])).toEqual({
      eventId: '3:1764756000123-7',
      streamId: '1764756000123-7',
      partition: 3,
      voterId: 'voter',
      llmId: 'model',
      value: -1,
      prevValue: 1,
      createdAt: new Date(1764756000123),
      seq: 7,
      kind: 'vote',
      signals: { ip: 'i', net: 'w', ua: '', fp: 'f', newVoter: true, automated: false },
      fields: entry,
    });
    const voided = parseOutboxEntry(0, [
      '5-0',
      ['v', 'a', 'l', 'b', 'n', '0', 'p', '1', 'k', 'void', 'f', '42'],
    ]);
    expect(voided).toMatchObject({ kind: 'void', flagId: '42', value: 0, prevValue: 1 });
    expect(voided.signals).toBeUndefined();
    // An entry written before signals existed has none.
    const plain = ['v', 'a', 'l', 'b', 'n', '1', 'p', '0'];
    expect(parseOutboxEntry(0, ['5-1', plain]).signals).toBeUndefined();
  });

  it('does not rebuild a partition that still holds unflushed events', async () => {
    const store = await readyStore('guard', 2);
    await store.cast('v', 'model-1', 1);
    const p = partitionOf('model-1', 2);
    await redis.del(store.keysOf(p).ready);
    const logs: string[] = [];
    const result = await rebuildUnreadyPartitions(
      store,
      { tallies: () => Promise.resolve([{ llmId: 'model-1', up: 0, down: 0 }]), ballots: () => [] },
      { log: (m) => logs.push(m) },
    );
    expect(result.partitions).toEqual([]);
    expect(logs[0]).toMatch(/unflushed events: not rebuilt/);
    expect((await store.tallies(['model-1'])).get('model-1')).toMatchObject({ up: 1 });
  });
});

describe('the per-(network, model) limit in the vote script', () => {
  it('admits exactly `max` new ballots under concurrency; switches and retracts pass', async () => {
    const store = await readyStore('netlimit');
    const limit = { networkHash: 'net-a', max: 10, windowSec: 3600 };
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.cast(`voter-${i}`, 'model-1', 1, limit)),
    );
    const accepted = outcomes.filter((o) => o.status === 'changed');
    const refused = outcomes.filter((o) => o.status === 'network_limited');
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const o of refused) {
      if (o.status !== 'network_limited') throw new Error('unreachable');
      expect(o.retryAfterSec).toBeGreaterThan(3590);
      expect(o.retryAfterSec).toBeLessThanOrEqual(3600);
    }
    expect((await store.tallies(['model-1'])).get('model-1')).toMatchObject({ up: 10, down: 0 });
    const k = store.keysFor('model-1');
    expect(await redis.xlen(k.outbox)).toBe(10);

    // A voter who holds a ballot switches and retracts; another network is not limited.
    const holder = (
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) =>
          (await store.ballotsOf(`voter-${i}`))['model-1'] ? i : -1,
        ),
      )
    ).find((i) => i >= 0)!;
    expect((await store.cast(`voter-${holder}`, 'model-1', -1, limit)).status).toBe('changed');
    expect((await store.cast(`voter-${holder}`, 'model-1', 0, limit)).status).toBe('changed');
    expect(
      (await store.cast('voter-x', 'model-1', 1, { ...limit, networkHash: 'net-b' })).status,
    ).toBe('changed');
    expect(await redis.ttl(k.networkBallots('net-a', 'model-1'))).toBeGreaterThan(3590);
  });
});
