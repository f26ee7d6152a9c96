import type {
  FlagEvidence,
  FlagStatus,
  IntegrityFlag,
  IntegrityList,
  IntegrityRule,
  integrityListInputSchema,
  VoteSignals,
} from '@llmpt/shared';
import { sql, type Kysely } from 'kysely';
import type { z } from 'zod';

import type { Database, IntegrityFlagRow } from '../schema/index.ts';
import { inTransaction } from './transaction.ts';

/**
 * Ranking integrity (issue 13) in Postgres: what the worker's sweep reads (recent vote events
 * with their signals), the flags it raises with the ballots they hold, the voiding/restoring
 * transitions' bookkeeping, and the admins' review (confirm with bans, dismiss). Postgres is
 * the truth; Redis holds copies (IntegrityStore) written after each commit.
 */

/** One vote event as the detection rules see it. */
export interface SweepEvent {
  voterId: string;
  llmId: string;
  value: -1 | 0 | 1;
  prevValue: -1 | 0 | 1;
  createdAt: Date;
  /** Null for events without signals (before they were kept, or past their retention). */
  signals: VoteSignals | null;
}

/** A ballot a flag blames: the voter's current value on the model and when it was cast. */
export interface FlagVote {
  voterId: string;
  llmId: string;
  value: 1 | -1;
  votedAt: Date;
}

/** What a rule raises (see raiseFlag). */
export interface FlagInput {
  rule: IntegrityRule;
  /** What the flag is about (e.g. `net:<hash>:<llm>:<dir>`): one active flag per (rule, subject). */
  subject: string;
  explanation: string;
  evidence: FlagEvidence;
  votes: readonly FlagVote[];
}

export type FlagVoteState = 'held' | 'voided' | 'restored';

/** What a review changed in Redis's copies: the bans to write or lift. */
export interface ReviewOutcome {
  flag: IntegrityFlag;
  voterIds: string[];
  networkHash: string | null;
}

/** A ban in force (for rebuilding Redis's copy). */
export interface ActiveBan {
  kind: 'voter' | 'prefix';
  subject: string;
  until: Date;
  flagId: string;
}

/** The public transparency figures (the api adds the config version). */
export interface RemovedVotes {
  removedTotal: number;
  removedByModel: Record<string, number>;
  underReview: number;
}

const ACTIVE: FlagStatus[] = ['voiding', 'open'];
/** Each flag_votes statement is bounded: a flag may hold thousands of ballots. */
const CHUNK = 1_000;

function chunks<T>(xs: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * The newest `limit` vote events (kind 'vote') created at or after `since`, returned oldest
 * first. Bounded so a flood cannot make one sweep unbounded: when it is hit, the newest events
 * (where an attack in progress is) are the ones kept.
 */
export async function readSweepEvents(
  db: Kysely<Database>,
  since: Date,
  limit: number,
): Promise<SweepEvent[]> {
  const rows = await db
    .selectFrom('user_votes')
    .select([
      'voter_id',
      'llm_id',
      'value',
      'prev_value',
      'created_at',
      'ip_hash',
      'net_hash',
      'ua_hash',
      'fp_hash',
      'new_voter',
      'automated',
    ])
    .where('created_at', '>=', since)
    .where('kind', '=', 'vote')
    .orderBy('created_at', 'desc')
    .orderBy('event_id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map((r) => ({
    voterId: r.voter_id,
    llmId: r.llm_id,
    value: Number(r.value) as -1 | 0 | 1,
    prevValue: Number(r.prev_value) as -1 | 0 | 1,
    createdAt: r.created_at,
    signals:
      r.net_hash === null
        ? null
        : {
            ip: r.ip_hash ?? '',
            net: r.net_hash,
            ua: r.ua_hash ?? '',
            fp: r.fp_hash ?? '',
            newVoter: r.new_voter === true,
            automated: r.automated === true,
          },
  }));
}

/**
 * Vote events (kind 'vote', value ±1) per model in [from, to): a model's own baseline for the
 * burst rule. Models without events are absent.
 */
export async function modelVoteCounts(
  db: Kysely<Database>,
  from: Date,
  to: Date,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('user_votes')
    .select(['llm_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .where('kind', '=', 'vote')
    .where('value', '<>', 0)
    .groupBy('llm_id')
    .execute();
  return new Map(rows.map((r) => [r.llm_id, Number(r.n)]));
}

/**
 * Raises a flag, in ONE transaction: the active (voiding/open) flag of the same (rule, subject)
 * gets the new ballots (back to 'voiding' when any were added, so the worker voids them),
 * otherwise a new flag starts in 'voiding'. Skipped ballots: those another active or confirmed
 * flag holds (the partial unique index integrity_flag_votes_ballot_idx: ON CONFLICT DO NOTHING),
 * and those a dismissed flag restored (an admin judged exactly that vote honest; a sweep seeing
 * it again in its window must not take it out again). Null: nothing added and no active flag.
 * `created`: a new flag (the sweep measures its detection delay).
 */
export async function raiseFlag(
  db: Kysely<Database>,
  f: FlagInput,
): Promise<{ flagId: string; added: number; created: boolean } | null> {
  return inTransaction(db, async (trx) => {
    const existing = await trx
      .selectFrom('integrity_flags')
      .select(['id', 'status'])
      .where('rule', '=', f.rule)
      .where('subject', '=', f.subject)
      .where('status', 'in', ACTIVE)
      .forUpdate()
      .executeTakeFirst();
    // int8 arrives as a number (createDb's parser); ids travel as strings (the Lua scripts').
    const flagId = String(
      existing?.id ??
        (
          await trx
            .insertInto('integrity_flags')
            .values({
              rule: f.rule,
              subject: f.subject,
              status: 'voiding',
              explanation: f.explanation,
              evidence: JSON.stringify(f.evidence),
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
    );

    let added = 0;
    for (const part of chunks(f.votes)) {
      const values = part.map(
        (v) =>
          sql`(${v.voterId}::text, ${v.llmId}::text, ${v.value}::smallint, ${v.votedAt}::timestamptz)`,
      );
      const res = await sql`
        INSERT INTO integrity_flag_votes (flag_id, voter_id, llm_id, value, state, voted_at)
        SELECT ${flagId}::bigint, c.voter_id, c.llm_id, c.value, 'held', c.voted_at
        FROM (VALUES ${sql.join(values)}) AS c (voter_id, llm_id, value, voted_at)
        WHERE NOT EXISTS (
          SELECT 1 FROM integrity_flag_votes r
          WHERE r.voter_id = c.voter_id AND r.llm_id = c.llm_id
            AND r.state = 'restored' AND r.voted_at = c.voted_at
        )
        ON CONFLICT DO NOTHING`.execute(trx);
      added += Number(res.numAffectedRows ?? 0n);
    }

    if (!existing) {
      if (added === 0) {
        // Nothing new to hold: the flag never existed (the transaction's own row goes).
        await trx.deleteFrom('integrity_flags').where('id', '=', Number(flagId)).execute();
        return null;
      }
      return { flagId, added, created: true };
    }
    // New ballots: the latest sweep's explanation and evidence describe the flag as it now
    // stands, and the worker voids them. None: the flag keeps the evidence it was raised with
    // (a later sweep sees fewer of its events as they leave the window).
    if (added > 0)
      await trx
        .updateTable('integrity_flags')
        .set({
          explanation: f.explanation,
          evidence: JSON.stringify(f.evidence),
          updated_at: sql`now()`,
          status: 'voiding',
        })
        .where('id', '=', Number(flagId))
        .execute();
    return { flagId, added, created: false };
  });
}

/** Flags whose ballots are being voided or restored (the worker's to-do list, oldest first). */
export async function flagsInTransition(
  db: Kysely<Database>,
): Promise<Array<{ id: string; status: 'voiding' | 'restoring' }>> {
  const rows = await db
    .selectFrom('integrity_flags')
    .select(['id', 'status'])
    .where('status', 'in', ['voiding', 'restoring'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: String(r.id), status: r.status as 'voiding' | 'restoring' }));
}

/** A flag's ballots in one state (all of them, or the first `limit` by voter and model). */
export async function votesOfFlag(
  db: Kysely<Database>,
  flagId: string,
  state: FlagVoteState,
  limit?: number,
): Promise<FlagVote[]> {
  let q = db
    .selectFrom('integrity_flag_votes')
    .select(['voter_id', 'llm_id', 'value', 'voted_at'])
    .where('flag_id', '=', Number(flagId))
    .where('state', '=', state)
    .orderBy('voter_id')
    .orderBy('llm_id');
  if (limit !== undefined) q = q.limit(limit);
  const rows = await q.execute();
  return rows.map((r) => ({
    voterId: r.voter_id,
    llmId: r.llm_id,
    value: Number(r.value) as 1 | -1,
    votedAt: r.voted_at,
  }));
}

/**
 * Moves a flag's ballots from one state to the next (after Redis did the work: the order that
 * makes a crash between the two safe, since the Lua script is idempotent). Returns rows moved.
 */
export async function markVotes(
  db: Kysely<Database>,
  flagId: string,
  keys: ReadonlyArray<{ voterId: string; llmId: string }>,
  from: FlagVoteState,
  to: FlagVoteState,
): Promise<number> {
  let moved = 0;
  for (const part of chunks(keys)) {
    const pairs = part.map((k) => sql`(${k.voterId}::text, ${k.llmId}::text)`);
    const res = await sql`
      UPDATE integrity_flag_votes SET state = ${to}
      WHERE flag_id = ${flagId}::bigint AND state = ${from}
        AND (voter_id, llm_id) IN (${sql.join(pairs)})`.execute(db);
    moved += Number(res.numAffectedRows ?? 0n);
  }
  return moved;
}

/**
 * Ends a transition (voiding → open, restoring → dismissed) by compare-and-set: only while the
 * flag is still in `from` and none of its ballots is left in the state that transition works
 * on (held while voiding, voided while restoring). False: not finished (or done by another).
 */
export async function finishTransition(
  db: Kysely<Database>,
  flagId: string,
  from: 'voiding' | 'restoring',
  to: 'open' | 'dismissed',
): Promise<boolean> {
  const pending: FlagVoteState = from === 'voiding' ? 'held' : 'voided';
  const res = await db
    .updateTable('integrity_flags')
    .set({ status: to, updated_at: sql`now()` })
    .where('id', '=', Number(flagId))
    .where('status', '=', from)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('integrity_flag_votes')
            .select(sql`1`.as('one'))
            .where('flag_id', '=', Number(flagId))
            .where('state', '=', pending),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

// ── The admins' review ──────────────────────────────────────────────────────────────────────

const STATUS_FILTER: Record<'pending' | 'confirmed' | 'dismissed', FlagStatus[]> = {
  pending: ['voiding', 'open', 'restoring'],
  confirmed: ['confirmed'],
  dismissed: ['dismissed'],
};

/** Adds the per-model counts and voters of each flag (one query for a page of flags). */
async function toFlags(db: Kysely<Database>, rows: IntegrityFlagRow[]): Promise<IntegrityFlag[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [byModel, voters] = await Promise.all([
    db
      .selectFrom('integrity_flag_votes')
      .select(['flag_id', 'llm_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('flag_id', 'in', ids)
      .groupBy(['flag_id', 'llm_id'])
      .orderBy('flag_id')
      .orderBy('n', 'desc')
      .orderBy('llm_id')
      .execute(),
    db
      .selectFrom('integrity_flag_votes')
      .select(['flag_id', (eb) => eb.fn.count<string>('voter_id').distinct().as('n')])
      .where('flag_id', 'in', ids)
      .groupBy('flag_id')
      .execute(),
  ]);
  const models = new Map<string, Array<{ llmId: string; votes: number }>>();
  for (const r of byModel) {
    const list = models.get(String(r.flag_id)) ?? [];
    list.push({ llmId: r.llm_id, votes: Number(r.n) });
    models.set(String(r.flag_id), list);
  }
  const voterCount = new Map(voters.map((r) => [String(r.flag_id), Number(r.n)]));
  return rows.map((r) => {
    const m = models.get(String(r.id)) ?? [];
    return {
      id: Number(r.id),
      rule: r.rule,
      status: r.status,
      explanation: r.explanation,
      evidence: r.evidence,
      // Every ballot the flag took (or takes) out, whatever its state now: a dismissed flag
      // still shows what it was about.
      votes: m.reduce((s, x) => s + x.votes, 0),
      voters: voterCount.get(String(r.id)) ?? 0,
      byModel: m,
      createdAt: r.created_at.toISOString(),
      reviewedAt: r.reviewed_at?.toISOString() ?? null,
      reviewedBy: r.reviewed_by,
      ban:
        r.ban_until && (r.ban_voters || r.ban_prefix)
          ? { voters: r.ban_voters, prefix: r.ban_prefix, until: r.ban_until.toISOString() }
          : null,
    };
  });
}

/**
 * The review queue: newest first, keyset-paged by id. `pending` counts the open flags (those
 * waiting for an admin), whatever the filter.
 * Named apart from the feature flags' listFlags (flags.repository), which @llmpt/db also exports.
 */
export async function listIntegrityFlags(
  db: Kysely<Database>,
  input: z.output<typeof integrityListInputSchema>,
): Promise<IntegrityList> {
  let q = db
    .selectFrom('integrity_flags')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (input.status !== 'all') q = q.where('status', 'in', STATUS_FILTER[input.status]);
  if (input.before !== undefined) q = q.where('id', '<', input.before);
  const [rows, pending] = await Promise.all([
    q.execute(),
    db
      .selectFrom('integrity_flags')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow(),
  ]);
  const page = rows.slice(0, input.limit);
  return {
    flags: await toFlags(db, page),
    next: rows.length > input.limit ? Number(page[page.length - 1]!.id) : null,
    pending: Number(pending.n),
  };
}

/** One flag with its counts; null when there is none with that id. */
export async function getIntegrityFlag(
  db: Kysely<Database>,
  id: string | number,
): Promise<IntegrityFlag | null> {
  const row = await db
    .selectFrom('integrity_flags')
    .selectAll()
    .where('id', '=', Number(id))
    .executeTakeFirst();
  if (!row) return null;
  return (await toFlags(db, [row]))[0] ?? null;
}

async function lockFlagRow(
  trx: Kysely<Database>,
  flagId: string,
): Promise<IntegrityFlagRow | undefined> {
  return trx
    .selectFrom('integrity_flags')
    .selectAll()
    .where('id', '=', Number(flagId))
    .forUpdate()
    .executeTakeFirst();
}

/**
 * An admin confirms an open flag: its ballots stay voided, and with `banVoters` / `banPrefix`
 * its voter ids and/or network (the evidence's prefix hash, when the rule had one) are banned
 * until `until`. A subject already banned keeps the later of the two ends (and that ban's
 * flag). Returns what Redis's copy must ban (empty when nothing), or why nothing was done.
 */
export async function confirmFlag(
  db: Kysely<Database>,
  input: { flagId: string; by: string; banVoters: boolean; banPrefix: boolean; until: Date },
): Promise<ReviewOutcome | 'not_found' | 'wrong_status'> {
  const done = await inTransaction(db, async (trx) => {
    const row = await lockFlagRow(trx, input.flagId);
    if (!row) return 'not_found' as const;
    if (row.status !== 'open') return 'wrong_status' as const;
    const voterIds = input.banVoters
      ? (
          await trx
            .selectFrom('integrity_flag_votes')
            .select('voter_id')
            .distinct()
            .where('flag_id', '=', Number(input.flagId))
            .orderBy('voter_id')
            .execute()
        ).map((r) => r.voter_id)
      : [];
    const networkHash = input.banPrefix ? (row.evidence.prefixHash ?? null) : null;
    const banned = voterIds.length > 0 || networkHash !== null;
    await trx
      .updateTable('integrity_flags')
      .set({
        status: 'confirmed',
        reviewed_at: sql`now()`,
        reviewed_by: input.by,
        updated_at: sql`now()`,
        ban_voters: voterIds.length > 0,
        ban_prefix: networkHash !== null,
        ban_until: banned ? input.until : null,
      })
      .where('id', '=', Number(input.flagId))
      .execute();
    const bans = [
      ...voterIds.map((subject) => ({ kind: 'voter' as const, subject })),
      ...(networkHash ? [{ kind: 'prefix' as const, subject: networkHash }] : []),
    ];
    for (const part of chunks(bans)) {
      await trx
        .insertInto('integrity_bans')
        .values(
          part.map((b) => ({
            ...b,
            until: input.until,
            flag_id: input.flagId,
            created_by: input.by,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['kind', 'subject']).doUpdateSet({
            until: sql`GREATEST(integrity_bans.until, excluded.until)`,
            flag_id: sql`CASE WHEN excluded.until > integrity_bans.until
              THEN excluded.flag_id ELSE integrity_bans.flag_id END`,
            created_by: sql`CASE WHEN excluded.until > integrity_bans.until
              THEN excluded.created_by ELSE integrity_bans.created_by END`,
          }),
        )
        .execute();
    }
    return { voterIds, networkHash };
  });
  if (typeof done === 'string') return done;
  const flag = await getIntegrityFlag(db, input.flagId);
  return { flag: flag!, ...done };
}

/**
 * An admin dismisses an open or confirmed flag: it goes to 'restoring' (the worker puts its
 * ballots back, then 'dismissed') and the bans it made are deleted. Returns what Redis's copy
 * must unban: only subjects whose ban was this flag's (a longer ban by another flag stays).
 */
export async function dismissFlag(
  db: Kysely<Database>,
  input: { flagId: string; by: string },
): Promise<ReviewOutcome | 'not_found' | 'wrong_status'> {
  const done = await inTransaction(db, async (trx) => {
    const row = await lockFlagRow(trx, input.flagId);
    if (!row) return 'not_found' as const;
    if (row.status !== 'open' && row.status !== 'confirmed') return 'wrong_status' as const;
    await trx
      .updateTable('integrity_flags')
      .set({
        status: 'restoring',
        reviewed_at: sql`now()`,
        reviewed_by: input.by,
        updated_at: sql`now()`,
      })
      .where('id', '=', Number(input.flagId))
      .execute();
    const lifted = await trx
      .deleteFrom('integrity_bans')
      .where('flag_id', '=', Number(input.flagId))
      .returning(['kind', 'subject'])
      .execute();
    return {
      voterIds: lifted.filter((b) => b.kind === 'voter').map((b) => b.subject),
      networkHash: lifted.find((b) => b.kind === 'prefix')?.subject ?? null,
    };
  });
  if (typeof done === 'string') return done;
  const flag = await getIntegrityFlag(db, input.flagId);
  return { flag: flag!, ...done };
}

/**
 * Ballots taken out of the ranking now: every flag ballot in state 'voided' (voided in Redis
 * and not restored yet), so the figures match the tallies; `underReview` are those of flags no
 * admin has confirmed yet (voiding, open, or being restored).
 */
export async function removedVotes(db: Kysely<Database>): Promise<RemovedVotes> {
  const rows = await db
    .selectFrom('integrity_flag_votes as v')
    .innerJoin('integrity_flags as f', 'f.id', 'v.flag_id')
    .select([
      'v.llm_id',
      (eb) => eb.fn.countAll<string>().as('n'),
      (eb) => eb.fn.countAll<string>().filterWhere('f.status', '<>', 'confirmed').as('review'),
    ])
    .where('v.state', '=', 'voided')
    .groupBy('v.llm_id')
    .orderBy('v.llm_id')
    .execute();
  const removedByModel: Record<string, number> = {};
  let removedTotal = 0;
  let underReview = 0;
  for (const r of rows) {
    removedByModel[r.llm_id] = Number(r.n);
    removedTotal += Number(r.n);
    underReview += Number(r.review);
  }
  return { removedTotal, removedByModel, underReview };
}

/** Bans still in force at `now` (to rebuild Redis's copy). */
export async function activeBans(db: Kysely<Database>, now: Date): Promise<ActiveBan[]> {
  const rows = await db
    .selectFrom('integrity_bans')
    .select(['kind', 'subject', 'until', 'flag_id'])
    .where('until', '>', now)
    .orderBy('kind')
    .orderBy('subject')
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    subject: r.subject,
    until: r.until,
    flagId: String(r.flag_id),
  }));
}

/** Every flag's status (to rebuild Redis's copy read by vote.mine). */
export async function flagStatuses(
  db: Kysely<Database>,
): Promise<Array<{ flagId: string; status: FlagStatus }>> {
  const rows = await db.selectFrom('integrity_flags').select(['id', 'status']).execute();
  return rows.map((r) => ({ flagId: String(r.id), status: r.status }));
}

/** Flags per status (every status present, 0 when none): the integrity_flags gauge. */
export async function flagCounts(db: Kysely<Database>): Promise<Record<FlagStatus, number>> {
  const rows = await db
    .selectFrom('integrity_flags')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  const out: Record<FlagStatus, number> = {
    voiding: 0,
    open: 0,
    confirmed: 0,
    restoring: 0,
    dismissed: 0,
  };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
