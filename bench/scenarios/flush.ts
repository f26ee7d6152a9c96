import { SEED_LLMS, postgresRebuildSource } from '@llmpt/db';
import { VoteStore, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import { sql } from 'kysely';

import { budgetOf } from '../lib/budget.ts';
import { procCpuMs } from '../lib/rt-measure.ts';
import { ratio } from '../lib/figures.ts';
import { fillOutbox } from '../lib/outbox-fill.ts';
import { rawUpsert } from '../lib/raw-upsert.ts';
import { deleteKeysWithPrefix } from '../lib/redis-keys.ts';
import { startBenchStack } from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

type BenchStackDb = Awaited<ReturnType<typeof startBenchStack>>['db'];

const PARTITIONS = 16;
const BATCH = 5_000;

/**
 * The outbox drained by ONE real worker process (the bundle, as `npm start` runs it): events
 * queued with no worker running, then the worker started and timed from its spawn until every
 * outbox is empty (start-up included, nothing subtracted). Beside it, the same rows by a raw batched unnest upsert.
 */
export const scenario: Scenario = {
  name: 'flush',
  describe: 'outbox → Postgres by one worker process, vs a raw batched unnest upsert',
  async run(ctx) {
    const b = budgetOf(ctx.opts);
    const stack = await startBenchStack(ctx, {
      apis: 0,
      workers: 0,
      env: { VOTE_PARTITIONS: String(PARTITIONS), FLUSH_BATCH_SIZE: String(BATCH) },
    });
    const redis = new Redis(ctx.redisUrl, { enableAutoPipelining: true });
    try {
      const store = new VoteStore(redis, { prefix: stack.prefix, partitions: PARTITIONS });
      await rebuildUnreadyPartitions(store, postgresRebuildSource(stack.db));
      ctx.log(`queueing ${b.flushEvents} vote events in the outbox`);
      const queueStart = performance.now();
      const events = await fillOutbox(
        store,
        SEED_LLMS.map((m) => m.id),
        b.flushEvents,
        { voters: 50_000, timeoutMs: 600_000 },
      );
      const queueSec = (performance.now() - queueStart) / 1000;
      const outboxLength = async () => {
        const pipe = redis.pipeline();
        for (let p = 0; p < PARTITIONS; p++) pipe.xlen(store.keysOf(p).outbox);
        return ((await pipe.exec()) ?? []).reduce((n, [err, len]) => {
          if (err) throw err;
          return n + Number(len);
        }, 0);
      };
      if ((await outboxLength()) !== events.count) throw new Error('outbox length mismatch');

      ctx.log(`draining ${events.count} events with one worker process`);
      const pgBefore = await backendCpu(stack.db);
      const started = performance.now();
      const worker = await stack.processes.addWorker();
      let firstRowSec = 0;
      let drainSec = 0;
      let workerCpuMs = 0;
      let pgCpuMs = 0;
      try {
        // At least 2,000 rows/s, or this is not a figure worth waiting for.
        const deadline = started + 60_000 + (events.count / 2_000) * 1000;
        for (;;) {
          if (!worker.running()) throw new Error(`worker exited (${worker.child.exitCode})`);
          const left = await outboxLength();
          const now = performance.now();
          if (left < events.count && !firstRowSec) firstRowSec = (now - started) / 1000;
          if (left === 0) {
            drainSec = (now - started) / 1000;
            workerCpuMs = procCpuMs(worker.child.pid!) ?? NaN;
            pgCpuMs = cpuSince(pgBefore, await backendCpu(stack.db));
            break;
          }
          if (now > deadline) throw new Error(`flush too slow: ${left} events left`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await worker.stop();
      }
      const inPg = await stack.db
        .selectFrom('user_votes')
        .select(stack.db.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(inPg.n) !== events.count)
        throw new Error(`user_votes holds ${inPg.n} rows, ${events.count} events were queued`);

      ctx.log('the same rows by a raw unnest upsert');
      const raw = await rawUpsert(stack.databaseUrl, events, BATCH);
      const rawSec = raw.seconds;
      const rowsPerSec = Math.round(events.count / drainSec);
      const rawRowsPerSec = Math.round(events.count / rawSec);
      return {
        rowsPerSec,
        rawRowsPerSec,
        ratioToRaw: ratio(rowsPerSec, rawRowsPerSec),
        events: events.count,
        drainSec: round2(drainSec),
        firstRowSec: round2(firstRowSec),
        rawSec: round2(rawSec),
        queuedPerSec: Math.round(events.count / queueSec),
        // CPU per event (µs): the worker process (start-up included), the Postgres backends
        // serving it, and the raw upsert's one backend (its client is not counted).
        workerCpuUsPerEvent: perEvent(workerCpuMs, events.count),
        pgCpuUsPerEvent: perEvent(pgCpuMs, events.count),
        rawPgCpuUsPerEvent: perEvent(raw.backendCpuMs, events.count),
        batchSize: BATCH,
      };
    } finally {
      redis.disconnect();
      await stack.stop();
      await deleteKeysWithPrefix(ctx.redisUrl, stack.prefix);
    }
  },
};

const round2 = (x: number) => Math.round(x * 100) / 100;
const perEvent = (ms: number, events: number) => Math.round((ms * 10_000) / events) / 10;

/** CPU time (ms) of each backend serving the stack's database now (Postgres on this machine). */
async function backendCpu(db: BenchStackDb): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
  return new Map(rows.map((r) => [r.pid, procCpuMs(r.pid) ?? 0]));
}

/** CPU the backends spent between two readings (a backend started since counts from zero). */
function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}
