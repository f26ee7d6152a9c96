import { sql, type Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';
import { OUTBOX_PARTITION_LOCK } from './vote.repository.ts';

export interface StoredBallot {
  voterId: string;
  llmId: string;
  value: -1 | 0 | 1;
  /** (updated_at ms, event_seq): the last-writer-wins order of the flush. */
  at: number;
  seq: number;
}

/**
 * Waits until no flush transaction of the outbox partition is open, and keeps new ones waiting
 * until `trx` ends: what Postgres holds of the partition is then fixed (see applyVoteEvents).
 */
export async function lockOutboxPartition(trx: Kysely<Database>, partition: number): Promise<void> {
  if (!trx.isTransaction) throw new Error('lockOutboxPartition needs a transaction');
  await sql`SELECT pg_advisory_xact_lock(${OUTBOX_PARTITION_LOCK}, ${partition})`.execute(trx);
}

/** Every stored ballot (retracts included, value 0) on the given models. */
export async function readBallotsOfModels(
  db: Kysely<Database>,
  llmIds: readonly string[],
): Promise<StoredBallot[]> {
  if (llmIds.length === 0) return [];
  const rows = await db
    .selectFrom('votes')
    .select(['voter_id', 'llm_id', 'value', 'updated_at', 'event_seq'])
    .where('llm_id', '=', sql<string>`ANY(${[...llmIds]}::text[])`)
    .execute();
  return rows.map((r) => ({
    voterId: r.voter_id,
    llmId: r.llm_id,
    value: r.value,
    at: new Date(r.updated_at).getTime(),
    seq: r.event_seq,
  }));
}

/** The ids among the given events that user_votes already holds (a flush committed them). */
export async function existingEventIds(
  db: Kysely<Database>,
  events: ReadonlyArray<{ eventId: string; createdAt: Date }>,
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const { rows } = await sql<{ event_id: string }>`
    SELECT u.event_id FROM user_votes u
    JOIN unnest(${events.map((e) => e.eventId)}::text[], ${events.map((e) => e.createdAt.toISOString())}::timestamptz[])
      AS t(event_id, created_at)
    ON u.event_id = t.event_id AND u.created_at = t.created_at`.execute(db);
  return new Set(rows.map((r) => r.event_id));
}

/**
 * (voter, model) pairs of the partition's events in user_votes since `sinceMs` (stream ids, as
 * written by the flush: `<partition>:<ms>-<seq>`), with their stream ids.
 */
export async function recentEventKeys(
  db: Kysely<Database>,
  partition: number,
  llmIds: readonly string[],
  sinceMs: number,
): Promise<Array<{ voterId: string; llmId: string; streamId: string }>> {
  if (llmIds.length === 0) return [];
  const rows = await db
    .selectFrom('user_votes')
    .select(['voter_id', 'llm_id', 'event_id'])
    .where('llm_id', '=', sql<string>`ANY(${[...llmIds]}::text[])`)
    .where('created_at', '>=', new Date(sinceMs))
    .where('event_id', 'like', `${partition}:%`)
    .execute();
  return rows.map((r) => ({
    voterId: r.voter_id,
    llmId: r.llm_id,
    streamId: r.event_id.slice(String(partition).length + 1),
  }));
}
