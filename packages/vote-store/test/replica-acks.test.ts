import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type LocalService, startRedisServer } from '@llmpt/devstack';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ReplicaAcks, replicatedUpToNow } from '../src/index.ts';

let dir: string;
let primary: LocalService;
let replica: LocalService;
let writer: Redis;
let admin: Redis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmpt-acks-'));
  primary = await startRedisServer({ dataDir: join(dir, 'p'), appendOnly: false });
  replica = await startRedisServer({ dataDir: join(dir, 'r'), appendOnly: false });
  const r = new Redis(replica.url);
  const p = new URL(primary.url);
  await r.replicaof(p.hostname, Number(p.port));
  for (let i = 0; i < 200 && !/master_link_status:up/.test(await r.info('replication')); i++)
    await new Promise((res) => setTimeout(res, 50));
  r.disconnect();
  writer = new Redis(primary.url);
  admin = new Redis(primary.url);
});
afterAll(async () => {
  writer?.disconnect();
  admin?.disconnect();
  await replica?.stop();
  await primary?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const waitCalls = async () =>
  Number(/cmdstat_wait:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);

describe('ReplicaAcks (WAIT on the writing connection)', () => {
  it('confirms writes the replica holds, and 200 concurrent votes share a few WAITs', async () => {
    const acks = new ReplicaAcks(writer, 1, 1000, { degraded: 'accept', info: admin });
    const before = await waitCalls();
    const confirmed = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        await writer.set(`k${i}`, String(i));
        return acks.wait();
      }),
    );
    expect(confirmed.every((n) => n === 1)).toBe(true);
    const used = (await waitCalls()) - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThan(20);
    const copy = new Redis(replica.url);
    expect(await copy.get('k199')).toBe('199');
    copy.disconnect();
  });

  it('tells a slow replica (unconfirmed) from none attached (no_replica)', async () => {
    const acks = new ReplicaAcks(writer, 1, 200, { degraded: 'accept', info: admin });
    // Attached but stopped (SIGSTOP): it cannot confirm within 200 ms.
    const r = new Redis(replica.url);
    const pid = Number(/process_id:(\d+)/.exec(await r.info('server'))?.[1]);
    r.disconnect();
    process.kill(pid, 'SIGSTOP');
    try {
      await writer.set('during', '1');
      expect(await acks.confirm()).toBe('unconfirmed');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await writer.set('later', '1');
    expect(await acks.confirm()).toBe('replicated');
  });

  it('replicatedUpToNow: everything written by anyone reached the replica, or it rejects in time', async () => {
    // Writes by ANOTHER connection (as the api's votes are, for the flushing worker).
    for (let i = 0; i < 50; i++) await writer.set(`flush${i}`, 'x');
    expect(await replicatedUpToNow(admin, 1, 5_000)).toBe('replicated');
    const r = new Redis(replica.url);
    const pid = Number(/process_id:(\d+)/.exec(await r.info('server'))?.[1]);
    r.disconnect();
    process.kill(pid, 'SIGSTOP');
    try {
      await writer.set('stalled', 'x');
      await expect(replicatedUpToNow(admin, 1, 1_500)).rejects.toThrow(/has not confirmed offset/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(await replicatedUpToNow(admin, 1, 5_000)).toBe('replicated');
  });

  it('answers no_replica once the replica is gone (the api then applies VOTE_ACK_WITHOUT_REPLICA)', async () => {
    const acks = new ReplicaAcks(writer, 1, 200, { degraded: 'refuse', info: admin });
    const r = new Redis(replica.url);
    await r.replicaof('NO', 'ONE');
    r.disconnect();
    for (let i = 0; i < 100 && /slave0:/.test(await admin.info('replication')); i++)
      await new Promise((res) => setTimeout(res, 50));
    await writer.set('after', '1');
    expect(await acks.wait()).toBe(0);
    expect(await acks.confirm()).toBe('no_replica');
    expect(await replicatedUpToNow(admin, 1, 1_000)).toBe('no_replica');
  });
});
