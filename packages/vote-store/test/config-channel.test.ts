import { testKeyPrefix } from '@llmpt/devstack';
import type { ConfigVersions } from '@llmpt/shared';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { ConfigChannel, type ConfigKind, configKeys } from '../src/index.ts';

let redis: Redis;
let prefix: string;
const channels: ConfigChannel[] = [];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = testKeyPrefix();
});
afterAll(async () => {
  await Promise.all(channels.map((c) => c.stop()));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/** A process's channel: its own subscriber connection, like the api's and the worker's. */
function channel(subscriber = new Redis(inject('redisUrl'))) {
  const c = new ConfigChannel(redis, subscriber, prefix);
  const heard: Array<{ versions: ConfigVersions; changed: ConfigKind[] }> = [];
  c.onChange((versions, changed) => heard.push({ versions, changed }));
  channels.push(c);
  return { c, heard, subscriber };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ConfigChannel', () => {
  it('starts from the versions in Redis, and a bump reaches every process with what moved', async () => {
    await redis.set(configKeys(prefix).version('catalogue'), '7');
    const a = channel();
    const b = channel();
    await Promise.all([a.c.start(), b.c.start()]);
    expect(a.c.versions).toEqual({ catalogue: 7, flags: 0, integrity: 0 });
    expect(b.c.versions).toEqual({ catalogue: 7, flags: 0, integrity: 0 });

    const next = await a.c.bump('catalogue');
    expect(next).toEqual({ catalogue: 8, flags: 0, integrity: 0 });
    // The bumping process knows at once; the other hears it on the channel.
    expect(a.c.versions).toEqual(next);
    await until(() => b.c.versions.catalogue === 8, 'process B to hear the bump');
    expect(b.heard.at(-1)).toEqual({ versions: next, changed: ['catalogue'] });

    await b.c.bump('flags');
    await until(() => a.c.versions.flags === 1, 'process A to hear the flags bump');
    expect(a.heard.at(-1)).toEqual({
      versions: { catalogue: 8, flags: 1, integrity: 0 },
      changed: ['flags'],
    });
    // Its own message coming back moves nothing: each change is heard once per process.
    await new Promise((r) => setTimeout(r, 50));
    expect(a.heard.filter((h) => h.changed.includes('catalogue'))).toHaveLength(2);
    expect(b.heard.filter((h) => h.changed.includes('flags'))).toHaveLength(1);
  });

  it('never goes back: an old or malformed announcement changes nothing', async () => {
    const a = channel();
    await a.c.start();
    const before = a.c.versions;
    const heard = a.heard.length;
    await redis.publish(configKeys(prefix).channel, JSON.stringify({ catalogue: 1, flags: 0 }));
    await redis.publish(configKeys(prefix).channel, 'not json');
    await a.c.refresh();
    expect(a.c.versions).toEqual(before);
    expect(a.heard.length).toBe(heard);
  });

  it('catches up after its subscriber reconnects: a change announced meanwhile is read back', async () => {
    const a = channel();
    const b = channel();
    await Promise.all([a.c.start(), b.c.start()]);
    // B's subscriber is cut off: the announcement of A's bump never reaches it.
    b.subscriber.disconnect(false);
    await until(() => b.subscriber.status === 'end', 'B to be disconnected');
    const next = await a.c.bump('catalogue');
    await new Promise((r) => setTimeout(r, 50));
    expect(b.c.versions.catalogue).toBe(next.catalogue - 1);

    // Back: on 'ready' it reads the counters again, and hears later bumps on the channel too.
    await b.subscriber.connect();
    await until(() => b.c.versions.catalogue === next.catalogue, 'B to catch up');
    expect(b.heard.at(-1)?.changed).toEqual(['catalogue']);
    const later = await a.c.bump('catalogue');
    await until(() => b.c.versions.catalogue === later.catalogue, 'B to hear the next bump');
  });
});
