import { testKeyPrefix } from '@llmpt/devstack';
import type { RankingEntry } from '@llmpt/shared';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import {
  type RankingsKeys,
  parseDiffEntry,
  publishRankings,
  rankingsKeys,
  readDiffsAfter,
  readRankingsSnapshot,
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

function entry(llmId: string, up: number, rank: number): RankingEntry {
  return {
    llmId,
    up,
    down: 0,
    score: up,
    wilson: 0,
    trending: 0,
    ranks: { score: rank, wilson: rank, trending: rank },
  };
}

/** Publishes n diffs, each moving model-i to i upvotes; returns their ids in order. */
async function publishMany(keys: RankingsKeys, n: number, maxLen = 2000): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = entry(`model-${i}`, i, 1);
    ids.push(
      await publishRankings(
        redis,
        keys,
        { at: 1000 + i, entries: [e] },
        { at: 1000 + i, entries: [e] },
        { maxLen },
      ),
    );
  }
  return ids;
}

describe('publishRankings', () => {
  it('appends the diff and stores the snapshot under the same id, atomically', async () => {
    const keys = rankingsKeys(`${prefix}pub:`);
    expect(await readRankingsSnapshot(redis, keys)).toBeNull();

    const all = [entry('a', 3, 1), entry('b', 1, 2)];
    const id = await publishRankings(
      redis,
      keys,
      { at: 42, entries: [all[0]!] },
      { at: 42, entries: all },
    );
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await readRankingsSnapshot(redis, keys)).toEqual({ id, at: 42, entries: all });

    const stream = (await redis.xrange(keys.diffs, '-', '+')) as [string, string[]][];
    expect(stream).toHaveLength(1);
    expect(parseDiffEntry(stream[0]!)).toEqual({ id, at: 42, entries: [all[0]] });
    // The stored payload carries no id: the stream id is the only one.
    expect(JSON.parse(stream[0]![1][1]!)).toEqual({ at: 42, entries: [all[0]] });
  });

  it('keeps the rules with the snapshot only, and refuses malformed rules', async () => {
    const keys = rankingsKeys(`${prefix}rules:`);
    const all = [entry('a', 3, 1)];
    const rules = { minVotes: 20, trendingHalfLifeHours: 6 };
    const id = await publishRankings(
      redis,
      keys,
      { at: 7, entries: all },
      { at: 7, entries: all, rules },
    );
    expect(await readRankingsSnapshot(redis, keys)).toEqual({ id, at: 7, entries: all, rules });
    const stream = (await redis.xrange(keys.diffs, '-', '+')) as [string, string[]][];
    expect(parseDiffEntry(stream[0]!)).toEqual({ id, at: 7, entries: all });
    await redis.set(keys.snapshot, `${id}\n${JSON.stringify({ at: 7, entries: all, rules: 3 })}`);
    await expect(readRankingsSnapshot(redis, keys)).rejects.toThrow(/malformed rankings rules/);
  });

  it('rejects a stream entry that is not a diff', () => {
    expect(() => parseDiffEntry(['1-0', ['x', '{}']])).toThrow(/no "d" field/);
    expect(() => parseDiffEntry(['1-0', ['d', '{"at":"x"}']])).toThrow(/malformed/);
  });
});

describe('readDiffsAfter', () => {
  it('replays the diffs after an id, in order, a page at a time', async () => {
    const keys = rankingsKeys(`${prefix}replay:`);
    const ids = await publishMany(keys, 5);

    const replay = await readDiffsAfter(redis, keys, ids[1]!, 100);
    expect(replay?.map((d) => d.id)).toEqual(ids.slice(2));
    expect(replay?.[0]).toEqual({ id: ids[2], at: 1002, entries: [entry('model-2', 2, 1)] });

    expect((await readDiffsAfter(redis, keys, ids[1]!, 2))?.map((d) => d.id)).toEqual(
      ids.slice(2, 4),
    );
    // Up to date: nothing to replay, and no snapshot needed.
    expect(await readDiffsAfter(redis, keys, ids[4]!, 100)).toEqual([]);
    // The snapshot is as of the last diff, so a client starting from it is up to date.
    expect((await readRankingsSnapshot(redis, keys))?.id).toBe(ids[4]);
  });

  it('answers null for an id this stream cannot continue', async () => {
    const keys = rankingsKeys(`${prefix}foreign:`);
    // Nothing published: only the empty snapshot's '0-0' is up to date.
    expect(await readDiffsAfter(redis, keys, '0-0', 100)).toEqual([]);
    expect(await readDiffsAfter(redis, keys, '1732690000000-0', 100)).toBeNull();

    const ids = await publishMany(keys, 3);
    const [lastMs] = ids[2]!.split('-');
    // An id from the future (a Redis that was wiped since) would wait forever: start over.
    expect(await readDiffsAfter(redis, keys, `${Number(lastMs) + 60_000}-0`, 100)).toBeNull();
    // '0-0' once diffs exist: whether older ones were trimmed is unknown, so a snapshot it is.
    expect(await readDiffsAfter(redis, keys, '0-0', 100)).toBeNull();
  });

  it('answers null for an id older than the trimmed stream', async () => {
    const keys = rankingsKeys(`${prefix}trim:`);
    // MAXLEN ~ trims whole stream nodes (100 entries by default), so publish well past it.
    const ids = await publishMany(keys, 400, 50);
    const retained = ((await redis.xrange(keys.diffs, '-', '+')) as [string, string[]][]).map(
      ([id]) => id,
    );
    expect(retained.length).toBeLessThan(ids.length);
    expect(retained.length).toBeGreaterThanOrEqual(50);
    const oldest = ids.indexOf(retained[0]!);
    expect(oldest).toBeGreaterThan(0);

    expect(await readDiffsAfter(redis, keys, ids[0]!, 1000)).toBeNull();
    expect(await readDiffsAfter(redis, keys, ids[oldest - 1]!, 1000)).toBeNull();
    // From the oldest retained diff on, nothing is missing.
    const replay = await readDiffsAfter(redis, keys, ids[oldest]!, 1000);
    expect(replay?.map((d) => d.id)).toEqual(ids.slice(oldest + 1));
  });
});
