import type { VoteSignals } from '@llmpt/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  clearOldSignals,
  ensureMonthlyPartitions,
} from '../src/repositories/maintenance.repository.ts';
import { postgresRebuildSource } from '../src/repositories/rebuild-source.ts';
import {
  applyVoteEvents,
  readBallots,
  readVoidedBallots,
} from '../src/repositories/vote.repository.ts';
import {
  freshAggregate,
  insertFixtureLlms,
  openTestDb,
  storedCounts,
  voteEvent,
  type TestDb,
} from './helpers.ts';

let t: TestDb;
let llmIds: string[];
beforeAll(async () => {
  t = await openTestDb();
  llmIds = await insertFixtureLlms(t.db, 4);
});
afterAll(() => t.close());

const SIGNALS: VoteSignals = {
  ip: 'ip-hash',
  net: 'net-hash',
  ua: 'ua-hash',
  fp: '',
  newVoter: true,
  automated: false,
};

/** A flag in state open holding one voided ballot, as the review path writes them. */
async function flagHolding(voterId: string, llmId: string, value: 1 | -1): Promise<string> {
  const { id } = await t.db
    .insertInto('integrity_flags')
    .values({
      rule: 'prefix-new-voters',
      status: 'open',
      subject: `net:${voterId}:${llmId}`,
      explanation: 'test',
      evidence: JSON.stringify({ counts: {}, windowSec: 60 }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db
    .insertInto('integrity_flag_votes')
    .values({
      flag_id: id,
      voter_id: voterId,
      llm_id: llmId,
      value,
      state: 'voided',
      voted_at: new Date(),
    })
    .execute();
  return String(id);
}

async function counts(llmId: string) {
  return (await storedCounts(t.db)).find((c) => c.llm_id === llmId);
}

describe('applyVoteEvents with integrity events', () => {
  it('keeps the signals, kind and flag of every event; void and restore move the counts', async () => {
    const llm = llmIds[0]!;
    const base = Date.now();
    const at = (ms: number) => ({ createdAt: new Date(base + ms), seq: 0 });
    const flagId = await flagHolding('eve', llm, 1);
    const vote = voteEvent('eve', llm, 1, { ...at(0), signals: SIGNALS });
    const other = voteEvent('frank', llm, 1, at(1));
    await applyVoteEvents(t.db, [vote, other]);
    expect(await counts(llm)).toMatchObject({ upvotes: 2, downvotes: 0 });

    const voided = voteEvent('eve', llm, 0, {
      ...at(10),
      prevValue: 1,
      kind: 'void',
      flagId,
    });
    expect(await applyVoteEvents(t.db, [voided])).toEqual({
      eventsInserted: 1,
      ballotsWritten: 1,
    });
    expect(await counts(llm)).toMatchObject({ upvotes: 1, downvotes: 0 });
    // bigint columns come back as numbers (createDb's int8 parser), whatever the row types say.
    const ballot = async () => {
      const row = await t.db
        .selectFrom('votes')
        .select(['value', 'voided_by'])
        .where('voter_id', '=', 'eve')
        .where('llm_id', '=', llm)
        .executeTakeFirstOrThrow();
      return { value: row.value, voided_by: row.voided_by === null ? null : String(row.voided_by) };
    };
    expect(await ballot()).toEqual({ value: 0, voided_by: flagId });
    // Voided ballots are what a rebuild of Redis reads back as markers, whatever the flag vote's
    // state says (the review path may not have recorded the void yet).
    await t.db
      .updateTable('integrity_flag_votes')
      .set({ state: 'held' })
      .where('flag_id', '=', Number(flagId))
      .execute();
    expect(await readVoidedBallots(t.db, null, 10)).toEqual([
      { voterId: 'eve', llmId: llm, flagId, value: 1 },
    ]);
    expect((await readBallots(t.db, null, 100)).some((b) => b.voterId === 'eve')).toBe(false);

    const restored = voteEvent('eve', llm, 1, { ...at(20), kind: 'restore', flagId });
    await applyVoteEvents(t.db, [restored]);
    expect(await counts(llm)).toMatchObject({ upvotes: 2, downvotes: 0 });
    expect(await ballot()).toEqual({ value: 1, voided_by: null });
    expect(await readVoidedBallots(t.db, null, 10)).toEqual([]);

    // Redelivering everything, in any order, changes nothing.
    const before = await storedCounts(t.db);
    expect(await applyVoteEvents(t.db, [restored, voided, other, vote])).toEqual({
      eventsInserted: 0,
      ballotsWritten: 0,
    });
    expect(await storedCounts(t.db)).toEqual(before);
    expect(await storedCounts(t.db)).toEqual(
      (await freshAggregate(t.db)).filter((c) => before.some((b) => b.llm_id === c.llm_id)),
    );

    // Nothing is deleted: the vote, its void and its restore are all in user_votes.
    const events = (
      await t.db
        .selectFrom('user_votes')
        .select([
          'event_id',
          'kind',
          'flag_id',
          'value',
          'prev_value',
          'ip_hash',
          'net_hash',
          'ua_hash',
          'fp_hash',
          'new_voter',
          'automated',
        ])
        .where('voter_id', '=', 'eve')
        .orderBy('created_at')
        .execute()
    ).map((e) => ({ ...e, flag_id: e.flag_id === null ? null : String(e.flag_id) }));
    const none = {
      ip_hash: null,
      net_hash: null,
      ua_hash: null,
      fp_hash: null,
      new_voter: null,
      automated: null,
    };
    expect(events).toEqual([
      {
        event_id: vote.eventId,
        kind: 'vote',
        flag_id: null,
        value: 1,
        prev_value: 0,
        ip_hash: 'ip-hash',
        net_hash: 'net-hash',
        ua_hash: 'ua-hash',
        // '' (no fingerprint sent) is stored as NULL.
        fp_hash: null,
        new_voter: true,
        automated: false,
      },
      { event_id: voided.eventId, kind: 'void', flag_id: flagId, value: 0, prev_value: 1, ...none },
      {
        event_id: restored.eventId,
        kind: 'restore',
        flag_id: flagId,
        value: 1,
        prev_value: 0,
        ...none,
      },
    ]);
  });

  it('is last-writer-wins for voids too: a late, older void does not void a newer vote', async () => {
    const llm = llmIds[1]!;
    const now = Date.now();
    const flagId = await flagHolding('gina', llm, -1);
    await applyVoteEvents(t.db, [
      voteEvent('gina', llm, -1, { createdAt: new Date(now), seq: 1, signals: SIGNALS }),
    ]);
    const oldVoid = voteEvent('gina', llm, 0, {
      createdAt: new Date(now - 1_000),
      seq: 0,
      prevValue: -1,
      kind: 'void',
      flagId,
    });
    expect(await applyVoteEvents(t.db, [oldVoid])).toEqual({
      eventsInserted: 1,
      ballotsWritten: 0,
    });
    const row = await t.db
      .selectFrom('votes')
      .select(['value', 'voided_by'])
      .where('voter_id', '=', 'gina')
      .where('llm_id', '=', llm)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ value: -1, voided_by: null });
    expect(await counts(llm)).toMatchObject({ downvotes: 1 });
  });

  it('rebuild source pages voided ballots past the first page', async () => {
    const source = postgresRebuildSource(t.db);
    const pages: unknown[] = [];
    for await (const page of source.voided()) pages.push(...page);
    // One voided ballot at most from the tests above (eve was restored): add three.
    const llm = llmIds[2]!;
    const flagIds: string[] = [];
    for (const voter of ['v-a', 'v-b', 'v-c']) {
      const flagId = await flagHolding(voter, llm, 1);
      flagIds.push(flagId);
      await applyVoteEvents(t.db, [
        voteEvent(voter, llm, 1),
        voteEvent(voter, llm, 0, {
          createdAt: new Date(Date.now() + 5),
          prevValue: 1,
          kind: 'void',
          flagId,
        }),
      ]);
    }
    const first = await readVoidedBallots(t.db, null, 2);
    const rest = await readVoidedBallots(t.db, first.at(-1)!, 2);
    expect([...first, ...rest].map((b) => [b.voterId, b.flagId])).toEqual([
      ['v-a', flagIds[0]],
      ['v-b', flagIds[1]],
      ['v-c', flagIds[2]],
    ]);
    const all: unknown[] = [];
    for await (const page of source.voided()) all.push(...page);
    expect(all).toHaveLength(pages.length + 3);
  });
});

describe('clearOldSignals (signal retention)', () => {
  it('clears the signals of events older than the cutoff only, in bounded ranges', async () => {
    const llm = llmIds[3]!;
    const now = new Date();
    // Partitions for the last three months, so old events do not sit in the default partition.
    await ensureMonthlyPartitions(
      t.db,
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1)),
      2,
    );
    const day = 86_400_000;
    const old1 = voteEvent('ret-1', llm, 1, {
      createdAt: new Date(now.getTime() - 40 * day),
      signals: SIGNALS,
    });
    const old2 = voteEvent('ret-2', llm, 1, {
      createdAt: new Date(now.getTime() - 31 * day - 3_600_000 * 5),
      signals: { ...SIGNALS, fp: 'fp-hash', automated: true },
    });
    const recent = voteEvent('ret-3', llm, -1, {
      createdAt: new Date(now.getTime() - 29 * day),
      signals: SIGNALS,
    });
    await applyVoteEvents(t.db, [old1, old2, recent]);
    const before = new Date(now.getTime() - 30 * day);

    // Interrupted after two ranges: only the oldest event is cleared; a second run finishes.
    const partial = await clearOldSignals(t.db, { before, stepMs: 3_600_000, maxSteps: 2 });
    expect(partial).toEqual({ cleared: 1, steps: 2 });
    const done = await clearOldSignals(t.db, { before, stepMs: day });
    expect(done.cleared).toBe(1);
    expect(await clearOldSignals(t.db, { before, stepMs: day })).toEqual({ cleared: 0, steps: 0 });

    const { rows } = await sql<{
      voter_id: string;
      value: number;
      kind: string;
      ip_hash: string | null;
      net_hash: string | null;
      ua_hash: string | null;
      fp_hash: string | null;
      new_voter: boolean | null;
      automated: boolean | null;
    }>`SELECT voter_id, value, kind, ip_hash, net_hash, ua_hash, fp_hash, new_voter, automated
       FROM user_votes WHERE voter_id LIKE 'ret-%' ORDER BY voter_id`.execute(t.db);
    const cleared = {
      ip_hash: null,
      net_hash: null,
      ua_hash: null,
      fp_hash: null,
      new_voter: null,
      automated: null,
    };
    expect(rows).toEqual([
      { voter_id: 'ret-1', value: 1, kind: 'vote', ...cleared },
      { voter_id: 'ret-2', value: 1, kind: 'vote', ...cleared },
      {
        voter_id: 'ret-3',
        value: -1,
        kind: 'vote',
        ip_hash: 'ip-hash',
        net_hash: 'net-hash',
        ua_hash: 'ua-hash',
        fp_hash: null,
        new_voter: true,
        automated: false,
      },
    ]);
  });

  it('moves every column when events leave the default partition for a new month', async () => {
    const future = new Date(Date.UTC(new Date().getUTCFullYear() + 3, 0, 15));
    const e = voteEvent('mover', llmIds[0]!, 1, { createdAt: future, signals: SIGNALS });
    await applyVoteEvents(t.db, [e]);
    await ensureMonthlyPartitions(t.db, future, 0);
    const row = await t.db
      .selectFrom('user_votes')
      .select([
        'ip_hash',
        'net_hash',
        'new_voter',
        'kind',
        sql<string>`tableoid::regclass::text`.as('part'),
      ])
      .where('event_id', '=', e.eventId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      ip_hash: 'ip-hash',
      net_hash: 'net-hash',
      new_voter: true,
      kind: 'vote',
      part: `user_votes_p${future.getUTCFullYear()}01`,
    });
  });
});
