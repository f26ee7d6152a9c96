import type { VoteSignals } from '@llmpt/shared';
import { testKeyPrefix } from '@llmpt/devstack';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import {
  VoteStore,
  entryFields,
  parseOutboxEntry,
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

const MODELS = ['m-a', 'm-b', 'm-c'];
const SIGNALS: VoteSignals = {
  ip: 'ip-h',
  net: 'net-h',
  ua: 'ua-h',
  fp: 'fp-h',
  newVoter: true,
  automated: false,
};

let stores = 0;
async function readyStore(): Promise<VoteStore> {
  const store = new VoteStore(redis, { prefix: `${prefix}s${stores++}:`, partitions: 2 });
  await rebuildUnreadyPartitions(store, {
    tallies: () => Promise.resolve(MODELS.map((llmId) => ({ llmId, up: 0, down: 0 }))),
    ballots: () => [],
  });
  return store;
}

type StreamEntry = [string, string[]];

/** Every outbox entry of the model's partition, parsed. */
async function outbox(store: VoteStore, llmId: string) {
  const k = store.keysFor(llmId);
  const entries = (await redis.xrange(k.outbox, '-', '+')) as StreamEntry[];
  return entries.map((e) => parseOutboxEntry(k.partition, e));
}

async function tally(store: VoteStore, llmId: string) {
  const t = (await store.tallies([llmId])).get(llmId)!;
  return { up: t.up, down: t.down };
}

describe('cast-vote-7.lua signals', () => {
  it('writes the signals into the outbox entry, and parseOutboxEntry returns them', async () => {
    const store = await readyStore();
    expect(await store.cast('v1', 'm-a', 1, undefined, SIGNALS)).toMatchObject({
      status: 'changed',
    });
    expect(
      await store.cast('v2', 'm-a', -1, undefined, {
        ...SIGNALS,
        fp: '',
        newVoter: false,
        automated: true,
      }),
    ).toMatchObject({ status: 'changed' });
    await store.cast('v3', 'm-a', 1); // no signals at all
    const [e1, e2, e3] = await outbox(store, 'm-a');
    expect(e1).toMatchObject({ voterId: 'v1', kind: 'vote', value: 1, signals: SIGNALS });
    expect(entryFields(e1!.fields!)).toMatchObject({
      ip: 'ip-h',
      nw: 'net-h',
      ua: 'ua-h',
      fp: 'fp-h',
      nv: '1',
      au: '0',
    });
    expect(e2!.signals).toEqual({
      ip: 'ip-h',
      net: 'net-h',
      ua: 'ua-h',
      fp: '',
      newVoter: false,
      automated: true,
    });
    expect(e1!.flagId).toBeUndefined();
    // Without signals the script still writes the fields, empty: '' hashes, no marks.
    expect(e3!.signals).toEqual({
      ip: '',
      net: '',
      ua: '',
      fp: '',
      newVoter: false,
      automated: false,
    });
  });
});

describe('void-ballot-1.lua', () => {
  it('voids once, answers -4 to every change while voided, restores once', async () => {
    const store = await readyStore();
    await store.cast('v1', 'm-b', 1, undefined, SIGNALS);
    await store.cast('other', 'm-b', 1);
    expect(await tally(store, 'm-b')).toEqual({ up: 2, down: 0 });
    const before = (await outbox(store, 'm-b')).length;

    const voided = await store.voidBallot('v1', 'm-b', 'void', '42');
    expect(voided).toMatchObject({ status: 'done', value: 1, up: 1, down: 0 });
    // Void twice = one event.
    expect(await store.voidBallot('v1', 'm-b', 'void', '42')).toEqual({ status: 'noop' });
    expect(await store.voidBallot('v1', 'm-b', 'void', '43')).toEqual({ status: 'noop' });
    expect(await tally(store, 'm-b')).toEqual({ up: 1, down: 0 });
    const afterVoid = await outbox(store, 'm-b');
    expect(afterVoid).toHaveLength(before + 1);
    expect(afterVoid.at(-1)).toMatchObject({
      voterId: 'v1',
      llmId: 'm-b',
      value: 0,
      prevValue: 1,
      kind: 'void',
      flagId: '42',
    });
    expect(afterVoid.at(-1)!.signals).toBeUndefined();
    expect(afterVoid.at(-1)!.streamId).toBe(voided.status === 'done' ? voided.eventId : '');

    // A voided ballot cannot change: up, down and retract answer voided and write nothing.
    for (const value of [1, -1, 0] as const) {
      expect(await store.cast('v1', 'm-b', value, undefined, SIGNALS)).toEqual({
        status: 'voided',
        flagId: '42',
      });
    }
    expect(await outbox(store, 'm-b')).toHaveLength(before + 1);
    expect(await tally(store, 'm-b')).toEqual({ up: 1, down: 0 });
    expect(await store.ownBallotsOf('v1')).toEqual({ 'm-b': { value: 1, voidedBy: '42' } });
    expect(await store.ballotsOf('v1')).toEqual({});

    // Restore by another flag: nothing.
    expect(await store.voidBallot('v1', 'm-b', 'restore', '43')).toEqual({ status: 'noop' });
    expect(await tally(store, 'm-b')).toEqual({ up: 1, down: 0 });

    const restored = await store.voidBallot('v1', 'm-b', 'restore', '42');
    expect(restored).toMatchObject({ status: 'done', value: 1, up: 2, down: 0 });
    expect(await store.voidBallot('v1', 'm-b', 'restore', '42')).toEqual({ status: 'noop' });
    const afterRestore = await outbox(store, 'm-b');
    expect(afterRestore).toHaveLength(before + 2);
    expect(afterRestore.at(-1)).toMatchObject({
      value: 1,
      prevValue: 0,
      kind: 'restore',
      flagId: '42',
    });
    expect(await tally(store, 'm-b')).toEqual({ up: 2, down: 0 });
    expect(await store.ownBallotsOf('v1')).toEqual({ 'm-b': { value: 1 } });
    // The voter may vote again.
    expect(await store.cast('v1', 'm-b', -1)).toMatchObject({
      status: 'changed',
      up: 1,
      down: 1,
    });
  });

  it('moves a down vote by exactly one each way', async () => {
    const store = await readyStore();
    await store.cast('d1', 'm-c', -1);
    await store.cast('d2', 'm-c', -1);
    expect(await store.voidBallot('d1', 'm-c', 'void', '7')).toMatchObject({
      status: 'done',
      value: -1,
      up: 0,
      down: 1,
    });
    expect(await tally(store, 'm-c')).toEqual({ up: 0, down: 1 });
    expect(await store.voidBallot('d1', 'm-c', 'restore', '7')).toMatchObject({
      status: 'done',
      value: -1,
      down: 2,
    });
    expect(await tally(store, 'm-c')).toEqual({ up: 0, down: 2 });
  });

  it('void of a retracted ballot records the marker and appends nothing; restore appends nothing', async () => {
    const store = await readyStore();
    await store.cast('r1', 'm-a', 1);
    await store.cast('r1', 'm-a', 0);
    const before = await outbox(store, 'm-a');
    const t0 = await tally(store, 'm-a');
    expect(await store.voidBallot('r1', 'm-a', 'void', '9')).toEqual({
      status: 'done',
      value: 0,
      ...t0,
      ver: expect.any(Number) as number,
      eventId: '',
    });
    expect(await redis.hget(store.keysFor('m-a').voided('r1'), 'm-a')).toBe('9:0');
    expect(await outbox(store, 'm-a')).toHaveLength(before.length);
    expect(await store.cast('r1', 'm-a', 1)).toEqual({ status: 'voided', flagId: '9' });
    // Nothing the voter could see as theirs.
    expect(await store.ownBallotsOf('r1')).toEqual({});
    expect(await store.voidBallot('r1', 'm-a', 'restore', '9')).toMatchObject({
      status: 'done',
      value: 0,
      eventId: '',
    });
    expect(await outbox(store, 'm-a')).toHaveLength(before.length);
    expect(await tally(store, 'm-a')).toEqual(t0);
    expect(await store.cast('r1', 'm-a', 1)).toMatchObject({ status: 'changed' });
  });

  it('answers unknown_model for a model with no tally', async () => {
    const store = await readyStore();
    expect(await store.voidBallot('x', 'no-such-model', 'void', '1')).toEqual({
      status: 'unknown_model',
    });
  });
});

describe('rebuild with voided markers', () => {
  it('writes the markers of voided ballots from the source, and a source without them still works', async () => {
    const store = new VoteStore(redis, { prefix: `${prefix}rebuild:`, partitions: 2 });
    const result = await rebuildUnreadyPartitions(store, {
      tallies: () => Promise.resolve(MODELS.map((llmId) => ({ llmId, up: 3, down: 1 }))),
      ballots: () => [[{ voterId: 'kept', llmId: 'm-a', value: 1 }]],
      voided: () => [
        [
          { voterId: 'gone', llmId: 'm-a', flagId: '5', value: 1 },
          { voterId: 'gone', llmId: 'm-c', flagId: '6', value: -1 },
        ],
      ],
    });
    expect(result).toMatchObject({ ballots: 1, voided: 2, busy: false });
    expect(await store.ownBallotsOf('gone')).toEqual({
      'm-a': { value: 1, voidedBy: '5' },
      'm-c': { value: -1, voidedBy: '6' },
    });
    expect(await store.cast('gone', 'm-a', -1)).toEqual({ status: 'voided', flagId: '5' });
    // A dismissal after the rebuild puts the vote back.
    expect(await store.voidBallot('gone', 'm-c', 'restore', '6')).toMatchObject({
      status: 'done',
      value: -1,
      up: 3,
      down: 2,
    });

    const plain = new VoteStore(redis, { prefix: `${prefix}rebuild-plain:`, partitions: 2 });
    expect(
      await rebuildUnreadyPartitions(plain, {
        tallies: () => Promise.resolve([{ llmId: 'm-a', up: 0, down: 0 }]),
        ballots: () => [],
      }),
    ).toMatchObject({ voided: 0, busy: false });
  });
});
