import { type Database, applyVoteEvents } from '@llmpt/db';
import { type OutboxReader, replicatedUpToNow } from '@llmpt/vote-store';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';

import type { Env } from '../env.ts';
import type { Metrics } from '../metrics.ts';

export interface FlushDeps {
  env: Pick<
    Env,
    | 'FLUSH_BATCH_SIZE'
    | 'FLUSH_BUDGET_MS'
    | 'FLUSH_CLAIM_IDLE_MS'
    | 'FLUSH_FAILPOINT'
    | 'FLUSH_AFTER_REPLICAS'
    | 'FLUSH_REPLICA_TIMEOUT_MS'
  >;
  db: Kysely<Database>;
  reader: OutboxReader;
  metrics: Metrics;
  /** The worker's connection to the Redis primary (for its replication state). */
  redis: Redis;
}

export interface FlushResult {
  batches: number;
  events: number;
}

/** Partitions being flushed by this process: a slow flush never overlaps its next tick. */
const inFlight = new Set<number>();

/**
 * Drains one partition's outbox into Postgres: read a batch (own pending, reclaimed, then new),
 * write it in ONE transaction, and only then XACK + XDEL. A crash anywhere before the ack
 * leaves the entries pending; their redelivery is a no-op downstream (deterministic event ids,
 * last-writer-wins ballots). Keeps going while batches are full, within FLUSH_BUDGET_MS.
 */
export async function flushPartition(deps: FlushDeps, partition: number): Promise<FlushResult> {
  if (inFlight.has(partition)) return { batches: 0, events: 0 };
  inFlight.add(partition);
  try {
    const started = Date.now();
    const result: FlushResult = { batches: 0, events: 0 };
    for (;;) {
      const stop = deps.metrics.flushDuration.startTimer();
      const events = await deps.reader.read(partition, {
        count: deps.env.FLUSH_BATCH_SIZE,
        claimIdleMs: deps.env.FLUSH_CLAIM_IDLE_MS,
      });
      if (events.length === 0) break;
      if (deps.env.FLUSH_AFTER_REPLICAS > 0) {
        // Only what a failover cannot take back goes to Postgres (see replicatedUpToNow).
        const replicated = await replicatedUpToNow(
          deps.redis,
          deps.env.FLUSH_AFTER_REPLICAS,
          deps.env.FLUSH_REPLICA_TIMEOUT_MS,
        );
        if (replicated === 'no_replica') deps.metrics.flushedWithoutReplica.inc(events.length);
      }
      await applyVoteEvents(deps.db, events);
      if (deps.env.FLUSH_FAILPOINT === 'after-commit') process.kill(process.pid, 'SIGKILL');
      await deps.reader.ack(
        partition,
        events.map((e) => e.streamId),
      );
      stop();
      deps.metrics.flushBatchSize.observe(events.length);
      deps.metrics.flushedEvents.inc(events.length);
      result.batches++;
      result.events += events.length;
      if (
        events.length < deps.env.FLUSH_BATCH_SIZE ||
        Date.now() - started > deps.env.FLUSH_BUDGET_MS
      )
        break;
    }
    deps.metrics.outboxLag.set(
      { partition: String(partition) },
      (await deps.reader.lagMs(partition)) / 1000,
    );
    return result;
  } finally {
    inFlight.delete(partition);
  }
}
