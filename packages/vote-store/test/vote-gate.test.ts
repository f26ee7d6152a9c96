import { testKeyPrefix } from '@llmpt/devstack';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import {
  type CastOutcome,
  IntegrityStore,
  VoteStore,
  type VoteGate,
  entryFields,
  gateKeys,
  rebuildUnreadyPartitions,
} from '../src/index.ts';

/**
 * The front door's checks inside the vote script (cast-vote-7.lua, issue 14): one call per vote,
 * limits exact at the boundary, refused requests counting nothing.
 */
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

const MODELS = Array.from({ length: 80 }, (_, i) => `model-${i}`);
const NET = 'net-hash-1';

async function readyStore(name: string): Promise<VoteStore> {
  const store = new VoteStore(redis, { prefix: `${prefix}${name}:`, partitions: 4 });
  await rebuildUnreadyPartitions(store, {
    tallies: () => Promise.resolve(MODELS.map((llmId) => ({ llmId, up: 0, down: 0 }))),
    ballots: () => [],
  });
  return store;
}

function gate(over: Partial<VoteGate> = {}): VoteGate {
  return {
    ip: '127.1.0.1',
    cookieless: false,
    knownVoter: false,
    perVoterPerMin: 60,
    perIpPerMin: 1000,
    newVotersPerNetworkHour: 300,
    session: { refresh: true, ipHash: 'iph', uaHash: 'uah', ttlSec: 86_400 },
    ...over,
  };
}

function vote(
  store: VoteStore,
  voterId: string,
  llmId: string,
  g: VoteGate,
  value: 1 | -1 | 0 = 1,
): Promise<CastOutcome> {
  return store.cast(
    voterId,
    llmId,
    value,
    { networkHash: NET, max: 0, windowSec: 3600 },
    undefined,
    g,
  );
}

/** Everything a vote can write, to show a refused one wrote nothing. */
async function footprint(store: VoteStore): Promise<string> {
  const keys = (await redis.keys(`${store.prefix}*`)).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    const value =
      type === 'hash'
        ? await redis.hgetall(key)
        : type === 'stream'
          ? await redis.xlen(key)
          : await redis.get(key);
    parts.push(`${key}=${JSON.stringify(value)}`);
  }
  return parts.join('\n');
}

async function counter(key: string): Promise<number | null> {
  const v = await redis.get(key);
  return v === null ? null : Number(v);
}

describe('rate limits in the vote script', () => {
  it('accepts the 60th vote of a voter in a minute and refuses the 61st, counting nothing for it', async () => {
    const store = await readyStore('boundary');
    const keys = gateKeys(store.prefix);
    // A known voter (session exists): their own window counts.
    await redis.hset(keys.session('v1'), 'firstSeen', 'x');
    for (let i = 0; i < 60; i++) {
      const out = await vote(store, 'v1', MODELS[i]!, gate());
      expect(out.status).toBe('changed');
    }
    expect(await counter(keys.voterLimit('v1'))).toBe(60);
    const before = await footprint(store);
    const refused = await vote(store, 'v1', MODELS[60]!, gate());
    expect(refused).toMatchObject({ status: 'rate_limited', scope: 'voter' });
    if (refused.status !== 'rate_limited') throw new Error('unreachable');
    expect(refused.retryAfterSec).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSec).toBeLessThanOrEqual(60);
    // Refused twice more: still nothing written, counters at exactly what was let through.
    await vote(store, 'v1', MODELS[61]!, gate());
    await vote(store, 'v1', MODELS[62]!, gate());
    expect(await footprint(store)).toBe(before);
    expect(await counter(keys.voterLimit('v1'))).toBe(60);
    expect(await counter(keys.addressLimit('127.1.0.1'))).toBe(60);
    const ttl = await redis.ttl(keys.voterLimit('v1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('never drifts under concurrency: 200 votes at once against a limit of 60 accept exactly 60', async () => {
    const store = await readyStore('concurrent');
    const keys = gateKeys(store.prefix);
    await redis.hset(keys.session('v2'), 'firstSeen', 'x');
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        vote(store, 'v2', MODELS[i % 80]!, gate(), i < 80 ? 1 : -1),
      ),
    );
    const accepted = outcomes.filter((o) => o.status === 'changed' || o.status === 'unchanged');
    expect(accepted).toHaveLength(60);
    expect(outcomes.filter((o) => o.status === 'rate_limited')).toHaveLength(140);
    expect(await counter(keys.voterLimit('v2'))).toBe(60);
    expect(await counter(keys.addressLimit('127.1.0.1'))).toBe(60);
  });

  it('limits an address over several voters, and starts a new window once the old one ends', async () => {
    const store = await readyStore('address');
    const keys = gateKeys(store.prefix);
    const g = gate({ perIpPerMin: 5, ip: '127.1.0.9' });
    for (const v of ['a', 'b', 'c']) await redis.hset(keys.session(v), 'firstSeen', 'x');
    const results = [];
    for (let i = 0; i < 7; i++)
      results.push((await vote(store, ['a', 'b', 'c'][i % 3]!, MODELS[i]!, g)).status);
    expect(results).toEqual([
      'changed',
      'changed',
      'changed',
      'changed',
      'changed',
      'rate_limited',
      'rate_limited',
    ]);
    expect(await counter(keys.addressLimit('127.1.0.9'))).toBe(5);
    // The window ends (shortened here instead of waiting a minute): counting starts again at 1.
    await redis.pexpire(keys.addressLimit('127.1.0.9'), 1);
    await new Promise((r) => setTimeout(r, 20));
    expect((await vote(store, 'a', MODELS[10]!, g)).status).toBe('changed');
    expect(await counter(keys.addressLimit('127.1.0.9'))).toBe(1);
    expect(await redis.ttl(keys.addressLimit('127.1.0.9'))).toBeGreaterThan(0);
  });

  it('gives a counter that lost its expiry a window again instead of refusing forever', async () => {
    const store = await readyStore('heal');
    const keys = gateKeys(store.prefix);
    await redis.hset(keys.session('v3'), 'firstSeen', 'x');
    await redis.set(keys.voterLimit('v3'), '3'); // no TTL
    expect((await vote(store, 'v3', MODELS[0]!, gate())).status).toBe('changed');
    expect(await counter(keys.voterLimit('v3'))).toBe(4);
    expect(await redis.ttl(keys.voterLimit('v3'))).toBeGreaterThan(0);
  });

  it('counts a new voter against their network, and opens their session and window only once a ballot is accepted', async () => {
    const store = await readyStore('new');
    const keys = gateKeys(store.prefix);
    const g = gate({
      cookieless: true,
      newVotersPerNetworkHour: 2,
      session: { ...gate().session, refresh: false },
    });
    const first = await vote(store, 'n1', MODELS[0]!, g);
    expect(first).toMatchObject({ status: 'changed', newVoter: true });
    expect(await redis.hget(keys.session('n1'), 'ipHash')).toBe('iph');
    expect(await redis.ttl(keys.session('n1'))).toBeGreaterThan(86_000);
    expect(await counter(keys.voterLimit('n1'))).toBe(1);
    expect(await counter(keys.newVotersLimit(NET))).toBe(1);
    // Another new voter with a cookie but no session yet: the script finds none, so new too.
    const second = await vote(store, 'n2', MODELS[1]!, gate({ newVotersPerNetworkHour: 2 }));
    expect(second).toMatchObject({ status: 'changed', newVoter: true });
    const third = await vote(store, 'n3', MODELS[2]!, g);
    expect(third).toMatchObject({ status: 'rate_limited', scope: 'new_voters' });
    expect(await redis.exists(keys.session('n3'), keys.voterLimit('n3'))).toBe(0);
    expect(await counter(keys.newVotersLimit(NET))).toBe(2);
    expect(await redis.ttl(keys.newVotersLimit(NET))).toBeGreaterThan(3500);
    // n1 now holds a session: their next vote is a known voter's, in their own window.
    const again = await vote(store, 'n1', MODELS[3]!, gate({ newVotersPerNetworkHour: 2 }));
    expect(again).toMatchObject({ status: 'changed', newVoter: false });
    expect(await counter(keys.voterLimit('n1'))).toBe(2);
    expect(await counter(keys.newVotersLimit(NET))).toBe(2);
    // The outbox events say who was new.
    const events = await redis.xrange(store.keysFor(MODELS[3]!).outbox, '-', '+');
    expect(entryFields(events.at(-1)![1]).nv).toBe('0');
  });

  it('refreshes a known session only when the process says it is due', async () => {
    const store = await readyStore('session');
    const keys = gateKeys(store.prefix);
    await redis.hset(keys.session('s1'), {
      firstSeen: 'first',
      lastSeen: 'old',
      ipHash: 'x',
      uaHash: 'y',
    });
    await vote(
      store,
      's1',
      MODELS[0]!,
      gate({ knownVoter: true, session: { ...gate().session, refresh: false } }),
    );
    expect(await redis.hget(keys.session('s1'), 'lastSeen')).toBe('old');
    await vote(store, 's1', MODELS[1]!, gate({ knownVoter: true }));
    const session = await redis.hgetall(keys.session('s1'));
    expect(session.firstSeen).toBe('first');
    expect(session.lastSeen).not.toBe('old');
    expect(session.ipHash).toBe('iph');
  });

  it('refuses a banned voter or network before any limit counts, with the flag and the time left', async () => {
    const store = await readyStore('bans');
    const keys = gateKeys(store.prefix);
    const integrity = new IntegrityStore(redis, store.prefix);
    await integrity.ban({ voterIds: ['b1'] }, new Date(Date.now() + 3_600_000), '41');
    const before = await footprint(store);
    const voterBan = await vote(store, 'b1', MODELS[0]!, gate());
    expect(voterBan).toMatchObject({ status: 'banned', scope: 'voter', flagId: '41' });
    if (voterBan.status !== 'banned') throw new Error('unreachable');
    expect(voterBan.leftMs).toBeGreaterThan(3_500_000);
    // A retraction is refused too.
    expect((await vote(store, 'b1', MODELS[0]!, gate(), 0)).status).toBe('banned');
    expect(await footprint(store)).toBe(before);
    await integrity.ban({ networkHash: NET }, new Date(Date.now() + 60_000), '42');
    expect(await vote(store, 'free', MODELS[0]!, gate())).toMatchObject({
      status: 'banned',
      scope: 'network',
      flagId: '42',
    });
    expect(await redis.exists(keys.addressLimit('127.1.0.1'), keys.voterLimit('free'))).toBe(0);
  });

  it('refuses nothing and counts nothing without a gate (tools and tests)', async () => {
    const store = await readyStore('nogate');
    const keys = gateKeys(store.prefix);
    for (let i = 0; i < 70; i++)
      expect((await store.cast('t', MODELS[i]!, 1)).status).toBe('changed');
    expect(await redis.exists(keys.voterLimit('t'), keys.session('t'))).toBe(0);
  });
});
