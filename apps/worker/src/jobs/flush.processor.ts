import { type Database, applyVoteEvents, existingLlmIds } from '@llmpt/db';
import {
  type OutboxEvent,
  type OutboxReader,
  type PoisonEntry,
  entryFields,
  replicatedUpToNow,
} from '@llmpt/vote-store';
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
  log?: (msg: string) => void;
}

export interface FlushResult {
  batches: number;
  events: number;
  /** Entries moved to the dead-letter stream. */
  deadLetters: number;
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
  if (inFlight.has(partition)) return { batches: 0, events: 0, deadLetters: 0 };
  inFlight.add(partition);
  try {
    const started = Date.now();
    const result: FlushResult = { batches: 0, events: 0, deadLetters: 0 };
    for (;;) {
      const stop = deps.metrics.flushDuration.startTimer();
      const batch = await deps.reader.read(partition, {
        count: deps.env.FLUSH_BATCH_SIZE,
        claimIdleMs: deps.env.FLUSH_CLAIM_IDLE_MS,
      });
      const read = batch.events.length + batch.poison.length;
      if (read === 0) break;
      const { events, unknown } = await splitUnknownModels(deps.db, batch.events);
      // An entry no retry can write goes aside, or it would stop its partition for good.
      const poison = [...batch.poison, ...unknown];
      if (poison.length > 0) {
        await deps.reader.deadLetter(partition, poison);
        if (batch.poison.length > 0)
          deps.metrics.outboxDeadLetters.inc({ reason: 'malformed' }, batch.poison.length);
        if (unknown.length > 0)
          deps.metrics.outboxDeadLetters.inc({ reason: 'unknown_model' }, unknown.length);
        result.deadLetters += poison.length;
        deps.log?.(
          `partition ${partition}: ${poison.length} outbox entries dead-lettered (${poison[0]!.reason})`,
        );
      }
      if (deps.env.FLUSH_AFTER_REPLICAS > 0) {
        // Only what a failover cannot take back goes to Postgres (see replicatedUpToNow).
        const replicated = await replicatedUpToNow(
          deps.redis,
          deps.env.FLUSH_AFTER_REPLICAS,
          deps.env.FLUSH_REPLICA_TIMEOUT_MS,
        );
        if (replicated === 'no_replica') deps.metrics.flushedWithoutReplica.inc(events.length);
      }
      await applyVoteEvents(deps.db, events, { partition });
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
      if (read < deps.env.FLUSH_BATCH_SIZE || Date.now() - started > deps.env.FLUSH_BUDGET_MS)
        break;
    }
    return result;
  } finally {
    inFlight.delete(partition);
  }
}

/**
 * Separates events whose model is not in the catalogue (deleted from Postgres): their insert
 * would fail the whole batch on the foreign key. A model deleted between this check and the
 * insert fails the batch once; the retry finds it here.
 */
async function splitUnknownModels(
  db: Kysely<Database>,
  events: OutboxEvent[],
): Promise<{ events: OutboxEvent[]; unknown: PoisonEntry[] }> {
  if (events.length === 0) return { events, unknown: [] };
  const ids = new Set<string>();
  for (const e of events) ids.add(e.llmId);
  const known = await existingLlmIds(db, [...ids]);
  if (known.size === ids.size) return { events, unknown: [] };
  const unknown: PoisonEntry[] = [];
  const valid: OutboxEvent[] = [];
  for (const e of events) {
    if (known.has(e.llmId)) {
      valid.push(e);
      continue;
    }
    unknown.push({
      streamId: e.streamId,
      // The whole entry (kind, flag, signals), so the dead letter can be replayed as it was.
      fields: e.fields
        ? entryFields(e.fields)
        : { v: e.voterId, l: e.llmId, n: String(e.value), p: String(e.prevValue) },
      reason: `unknown model "${e.llmId}"`,
    });
  }
  return { events: valid, unknown };
}
