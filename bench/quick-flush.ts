/**
 * Quick measurement of the flush (issue 2's figure; `npm run bench` is a later issue): queues
 * N vote events in the outboxes of a scratch key prefix, then drains them with the worker's
 * flush processor into a scratch database, and reports rows/s.
 *
 *   DATABASE_URL=<server url> REDIS_URL=... node --import tsx bench/quick-flush.ts [--events 200000]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { createDb, migrateToLatest, postgresRebuildSource, seedLlms } from '@llmpt/db';
import { createDatabase, dropDatabase } from '@llmpt/devstack';
import { OutboxReader, VoteStore, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import { Redis } from 'ioredis';

import { flushPartition } from '../apps/worker/src/jobs/flush.processor.ts';
import { createMetrics } from '../apps/worker/src/metrics.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });
const total = Number(values.events);
const serverUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!serverUrl || !redisUrl || !(total > 0 && total <= 2_000_000)) {
  console.error('set DATABASE_URL and REDIS_URL; --events 1..2000000');
  process.exit(2);
}

const name = `bench_flush_${randomBytes(4).toString('hex')}`;
const db = createDb(await createDatabase(serverUrl, name), { max: 8 });
const redis = new Redis(redisUrl);
const prefix = `${name}:`;
try {
  await migrateToLatest(db);
  await seedLlms(db);
  const store = new VoteStore(redis, { prefix, partitions: 16 });
  await rebuildUnreadyPartitions(store, postgresRebuildSource(db));
  const models = (await db.selectFrom('llms').select('id').execute()).map((r) => r.id);

  // Queue events fast: many voters, random models and values, pipelined.
  let queued = 0;
  let n = 0;
  const t0 = performance.now();
  while (queued < total) {
    const batch = Array.from({ length: 2000 }, () => {
      n++;
      return store.cast(
        `voter-${n % 50_000}`,
        models[(n * 7919) % models.length]!,
        ([1, -1, 0] as const)[n % 3]!,
      );
    });
    queued += (await Promise.all(batch)).filter((r) => r.status === 'changed').length;
  }
  const queueSec = (performance.now() - t0) / 1000;

  const reader = new OutboxReader(store, 'bench');
  const deps = {
    env: {
      FLUSH_BATCH_SIZE: 5000,
      FLUSH_BUDGET_MS: 3_600_000,
      FLUSH_CLAIM_IDLE_MS: 60_000,
      FLUSH_FAILPOINT: 'none' as const,
    },
    db,
    reader,
    metrics: createMetrics(),
  };
  for (let p = 0; p < 16; p++) await reader.ensureGroup(p);
  const t1 = performance.now();
  // Two partitions at a time: the worker's default concurrency on 2 cores.
  let next = 0;
  let flushed = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < 16) {
        const { events } = await flushPartition(deps, next++);
        flushed += events;
      }
    }),
  );
  const flushSec = (performance.now() - t1) / 1000;
  let left = 0;
  for (let p = 0; p < 16; p++) left += await redis.xlen(store.keysOf(p).outbox);
  const inPg = await db
    .selectFrom('user_votes')
    .select(db.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (left !== 0 || inPg.n !== queued)
    throw new Error(`flush incomplete: ${left} left, ${inPg.n}/${queued} in Postgres`);
  console.log(
    JSON.stringify({
      queued: flushed,
      queueSec: +queueSec.toFixed(1),
      flushSec: +flushSec.toFixed(2),
      rowsPerSec: Math.round(flushed / flushSec),
    }),
  );
} finally {
  const keys = await redis.keys(`${prefix}*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  await redis.quit();
  await db.destroy();
  await dropDatabase(serverUrl, name);
}
