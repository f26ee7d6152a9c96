import type { VoteSignals, VoteValue } from '@llmpt/shared';
import { sql, type Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';
import { pgArray } from './pg-arrays.ts';
import { inTransaction } from './transaction.ts';

/** One vote event from a partition's outbox (see @llmpt/vote-store's OutboxEvent). */
export interface VoteEvent {
  eventId: string;
  voterId: string;
  llmId: string;
  value: -1 | 0 | 1;
  prevValue: -1 | 0 | 1;
  createdAt: Date;
  seq: number;
  /** A voter's vote (default), or an integrity flag's compensating event. */
  kind?: 'vote' | 'void' | 'restore';
  /** The flag of a void or restore. */
  flagId?: string;
  /** Signals kept with a vote (keyed hashes; see @llmpt/shared VoteSignals). */
  signals?: VoteSignals;
}

export interface Ballot {
  voterId: string;
  llmId: string;
  value: VoteValue;
}

/**
 * Advisory lock class of the outbox partitions (the second key is the partition): every flush
 * transaction holds it shared, a reconciliation of the partition exclusive, so what Postgres
 * holds of a partition cannot change while it is compared with Redis (see reconcile).
 */
export const OUTBOX_PARTITION_LOCK = 0x6f7462;

export interface ApplyOptions {
  /** The outbox partition of the batch: its flush lock is held shared by the transaction. */
  partition?: number;
}

/** A signal hash as stored: '' (the contract's "none": no User-Agent, no fingerprint) is NULL. */
function hashOrNull(hash: string | undefined): string | null {
  return hash ? hash : null;
}

/** The flag of a compensating event (null for a vote, whatever it carries). */
function flagOf(e: VoteEvent): string | null {
  return e.kind === 'void' || e.kind === 'restore' ? (e.flagId ?? null) : null;
}

/**
 * An event's time goes to Postgres as epoch milliseconds, turned into a timestamptz by exact
 * integer arithmetic (the interval's microseconds times a whole number below 2^53): cheaper on
 * both sides than an ISO string per event, which the worker formats and Postgres parses (issue 14).
 */
const epochMsOf = (e: VoteEvent): number => e.createdAt.getTime();
const EPOCH_MS_SQL = sql`timestamptz 'epoch' + e.ms * interval '1 millisecond'`;

/** True when every event is strictly after the one before it (so none appears twice). */
function inStrictOrder(events: readonly VoteEvent[]): boolean {
  for (let i = 1; i < events.length; i++)
    if (compareEvents(events[i - 1]!, events[i]!) >= 0) return false;
  return true;
}

/** The events oldest first, each event id once (the last copy kept). */
function uniqueInOrder(events: readonly VoteEvent[]): VoteEvent[] {
  const byEventId = new Map<string, VoteEvent>();
  for (const e of [...events].sort(compareEvents)) byEventId.set(e.eventId, e);
  return [...byEventId.values()];
}

function compareEvents(a: VoteEvent, b: VoteEvent): number {
  return (
    a.createdAt.getTime() - b.createdAt.getTime() ||
    a.seq - b.seq ||
    (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)
  );
}

/**
 * Writes a batch from the outbox in ONE transaction: every event into user_votes (redelivered
 * ones are skipped by their (event_id, created_at) key), then the last event per (voter, llm)
 * into votes, last-writer-wins on (updated_at, event_seq). Redelivering the same batch, or an
 * older one, changes nothing; llm_vote_counts follows through the triggers on votes.
 * Redelivery is rare (a crash between commit and XACK, a failover): the events are first
 * inserted plainly, and only a batch that hits the key of a committed event is written again
 * with ON CONFLICT DO NOTHING, whose speculative insertion costs every event (issue 14).
 * Integrity (issue 13): events of every kind go to user_votes with their signals (NULL when the
 * event carries none) and flag; the ballot a `void` writes remembers its flag in
 * `votes.voided_by` (what a rebuild of Redis reads back), a `vote` or `restore` clears it.
 * Runs inside `db` when it is already a transaction.
 * @throws UnknownModelError (code 23503, as the foreign key it replaces) on an llm id missing from
 *   llms: the whole batch is rolled back.
 * @see readBallots and readTallies for the way back to Redis.
 */
export async function applyVoteEvents(
  db: Kysely<Database>,
  events: readonly VoteEvent[],
  opts: ApplyOptions = {},
): Promise<{ eventsInserted: number; ballotsWritten: number }> {
  if (events.length === 0) return { eventsInserted: 0, ballotsWritten: 0 };

  // Oldest first: a deterministic order, so two flushers of one batch lock keys in the same order.
  // One outbox read is in that order already, each event once: then nothing is copied or sorted.
  const unique = inStrictOrder(events) ? events : uniqueInOrder(events);
  // ON CONFLICT cannot touch one row twice in a statement: collapse to the newest per key first.
  const byBallot = new Map<string, VoteEvent>();
  for (const e of unique) byBallot.set(`${e.voterId}\u0000${e.llmId}`, e);
  const ballots = byBallot.size === unique.length ? unique : [...byBallot.values()];

  const write = (skipRedelivered: boolean) =>
    inTransaction(db, async (trx) => {
      if (opts.partition !== undefined) {
        await sql`SELECT pg_advisory_xact_lock_shared(${OUTBOX_PARTITION_LOCK}, ${opts.partition})`.execute(
          trx,
        );
      }
      // The batch's models, each locked once: in place of a foreign key checked per ballot
      // (issue 14; migration 2026_12_03_01_00_00_replace_votes_llm_fkey keeps the other half,
      // a model with ballots cannot be deleted). Sorted: every flusher locks in the same order.
      const models = [...new Set(ballots.map((e) => e.llmId))].sort();
      const locked = await sql<{ id: string }>`
        SELECT id FROM llms WHERE id = ANY(${models}::text[]) ORDER BY id FOR KEY SHARE`.execute(
        trx,
      );
      if (locked.rows.length !== models.length) {
        const found = new Set(locked.rows.map((r) => r.id));
        throw new UnknownModelError(models.filter((id) => !found.has(id)));
      }
      const inserted = await sql`
        INSERT INTO user_votes (event_id, created_at, voter_id, llm_id, value, prev_value,
          ip_hash, net_hash, ua_hash, fp_hash, new_voter, automated, kind, flag_id)
        SELECT e.event_id, ${EPOCH_MS_SQL}, e.voter_id, e.llm_id, e.value, e.prev_value,
          e.ip_hash, e.net_hash, e.ua_hash, e.fp_hash, e.new_voter, e.automated, e.kind, e.flag_id
        FROM unnest(
          ${pgArray(unique, (e) => e.eventId)}::text[],
          ${pgArray(unique, epochMsOf)}::bigint[],
          ${pgArray(unique, (e) => e.voterId)}::text[],
          ${pgArray(unique, (e) => e.llmId)}::text[],
          ${pgArray(unique, (e) => e.value)}::smallint[],
          ${pgArray(unique, (e) => e.prevValue)}::smallint[],
          ${pgArray(unique, (e) => hashOrNull(e.signals?.ip))}::text[],
          ${pgArray(unique, (e) => hashOrNull(e.signals?.net))}::text[],
          ${pgArray(unique, (e) => hashOrNull(e.signals?.ua))}::text[],
          ${pgArray(unique, (e) => hashOrNull(e.signals?.fp))}::text[],
          ${pgArray(unique, (e) => e.signals?.newVoter ?? null)}::boolean[],
          ${pgArray(unique, (e) => e.signals?.automated ?? null)}::boolean[],
          ${pgArray(unique, (e) => e.kind ?? 'vote')}::text[],
          ${pgArray(unique, (e) => flagOf(e))}::bigint[])
          AS e(event_id, ms, voter_id, llm_id, value, prev_value, ip_hash, net_hash, ua_hash,
            fp_hash, new_voter, automated, kind, flag_id)
        ${skipRedelivered ? sql`ON CONFLICT (event_id, created_at) DO NOTHING` : sql``}`.execute(
        trx,
      );

      // Row comparison: the stored ballot is replaced only by a strictly newer event.
      const written = await sql`
        INSERT INTO votes AS v (voter_id, llm_id, value, updated_at, event_seq, voided_by)
        SELECT e.voter_id, e.llm_id, e.value, ${EPOCH_MS_SQL}, e.seq, e.voided_by
        FROM unnest(
          ${pgArray(ballots, (e) => e.voterId)}::text[],
          ${pgArray(ballots, (e) => e.llmId)}::text[],
          ${pgArray(ballots, (e) => e.value)}::smallint[],
          ${pgArray(ballots, epochMsOf)}::bigint[],
          ${pgArray(ballots, (e) => e.seq)}::integer[],
          ${pgArray(ballots, (e) => (e.kind === 'void' ? flagOf(e) : null))}::bigint[])
          AS e(voter_id, llm_id, value, ms, seq, voided_by)
        ON CONFLICT (voter_id, llm_id) DO UPDATE SET
          value = excluded.value,
          updated_at = excluded.updated_at,
          event_seq = excluded.event_seq,
          voided_by = excluded.voided_by
        WHERE (v.updated_at, v.event_seq) < (excluded.updated_at, excluded.event_seq)`.execute(trx);

      return {
        eventsInserted: Number(inserted.numAffectedRows ?? 0n),
        ballotsWritten: Number(written.numAffectedRows ?? 0n),
      };
    });

  // Inside the caller's transaction a failed statement would abort it: no second try there.
  if (db.isTransaction) return write(true);
  try {
    return await write(false);
  } catch (err) {
    if (!isRedelivery(err)) throw err;
    return write(true);
  }
}

/** A batch names models that are not in `llms` (SQLSTATE 23503, as a foreign key violation). */
export class UnknownModelError extends Error {
  readonly code = '23503';

  readonly llmIds: readonly string[];

  constructor(llmIds: readonly string[]) {
    super(`votes for unknown models: ${llmIds.map((id) => `"${id}"`).join(', ')}`);
    this.name = 'UnknownModelError';
    this.llmIds = llmIds;
  }
}

/** A unique violation in the event log: the batch holds events a flush already committed. */
function isRedelivery(err: unknown): boolean {
  const e = err as { code?: unknown; table?: unknown };
  return e.code === '23505' && typeof e.table === 'string' && e.table.startsWith('user_votes');
}

/**
 * One page of non-zero ballots in (voter_id, llm_id) order, after the given key (null for the
 * first page): keyset pagination on the primary key, for rebuilding Redis.
 * @see readTallies
 */
export async function readBallots(
  db: Kysely<Database>,
  after: { voterId: string; llmId: string } | null,
  limit: number,
): Promise<Ballot[]> {
  let query = db
    .selectFrom('votes')
    .select(['voter_id', 'llm_id', 'value'])
    .where('value', '<>', 0);
  if (after) {
    query = query.where((eb) =>
      eb(eb.refTuple('voter_id', 'llm_id'), '>', eb.tuple(after.voterId, after.llmId)),
    );
  }
  const rows = await query.orderBy('voter_id').orderBy('llm_id').limit(limit).execute();
  return rows.map((r) => ({ voterId: r.voter_id, llmId: r.llm_id, value: r.value }));
}

/** A ballot an integrity flag voided: the value it held, and the flag. */
export interface VoidedBallot {
  voterId: string;
  llmId: string;
  flagId: string;
  value: 1 | -1;
}

/**
 * One page of voided ballots in (voter_id, llm_id) order, after the given key: `votes` rows
 * whose last event was a flag's void (`voided_by`), with the value voided from that flag's
 * `integrity_flag_votes` row. What a rebuild of Redis needs to put back the markers that keep
 * such a ballot from being changed (see @llmpt/vote-store's voided keys).
 * The event log decides, not the flag vote's state: a ballot whose void was flushed is voided
 * even when the review path had not marked its row 'voided' yet (or already marked it
 * 'restored' and died before the restore), so a retried restore still finds the marker.
 * A row with no flag vote (a flag not written through the review path) is left out.
 */
export async function readVoidedBallots(
  db: Kysely<Database>,
  after: { voterId: string; llmId: string } | null,
  limit: number,
): Promise<VoidedBallot[]> {
  let query = db
    .selectFrom('votes as v')
    .innerJoin('integrity_flag_votes as fv', (j) =>
      j
        .onRef('fv.flag_id', '=', 'v.voided_by')
        .onRef('fv.voter_id', '=', 'v.voter_id')
        .onRef('fv.llm_id', '=', 'v.llm_id'),
    )
    .select(['v.voter_id', 'v.llm_id', 'fv.flag_id', 'fv.value'])
    .where('v.voided_by', 'is not', null);
  if (after) {
    query = query.where((eb) =>
      eb(eb.refTuple('v.voter_id', 'v.llm_id'), '>', eb.tuple(after.voterId, after.llmId)),
    );
  }
  const rows = await query.orderBy('v.voter_id').orderBy('v.llm_id').limit(limit).execute();
  return rows.map((r) => ({
    voterId: r.voter_id,
    llmId: r.llm_id,
    flagId: String(r.flag_id),
    value: r.value,
  }));
}

/**
 * Up and down tallies of every model (any status; 0 when it has no counts row), by id.
 * @see applyVoteEvents, whose triggers maintain them.
 */
export async function readTallies(
  db: Kysely<Database>,
): Promise<Array<{ llmId: string; up: number; down: number }>> {
  const rows = await db
    .selectFrom('llms as l')
    .leftJoin('llm_vote_counts as c', 'c.llm_id', 'l.id')
    .select((eb) => [
      'l.id',
      eb.fn.coalesce('c.upvotes', eb.lit(0)).as('up'),
      eb.fn.coalesce('c.downvotes', eb.lit(0)).as('down'),
    ])
    .orderBy('l.id')
    .execute();
  return rows.map((r) => ({ llmId: r.id, up: r.up, down: r.down }));
}

/**
 * The ids among `llmIds` that exist in the catalogue (any status). A vote for a model missing
 * here cannot be written (foreign key) and would stop its partition's flush.
 */
export async function existingLlmIds(
  db: Kysely<Database>,
  llmIds: readonly string[],
): Promise<Set<string>> {
  if (llmIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('llms')
    .select('id')
    .where('id', '=', sql<string>`ANY(${[...llmIds]}::text[])`)
    .execute();
  return new Set(rows.map((r) => r.id));
}
