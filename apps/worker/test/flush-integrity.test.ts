import { applyVoteEvents, postgresRebuildSource } from '@llmpt/db';
import type { VoteSignals } from '@llmpt/shared';
import { OutboxReader, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { flushPartition } from '../src/jobs/flush.processor.ts';
import { reconcile } from '../src/jobs/reconcile.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { type Fixture, countEvents, createFixture, outboxTotal, pgCounts } from './helpers.ts';

let f: Fixture;

beforeEach(async () => {
  f = await createFixture();
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
});
afterEach(async () => {
  await f?.cleanup();
});

const SIGNALS: VoteSignals = {
  ip: 'ip-h',
  net: 'net-h',
  ua: 'ua-h',
  fp: 'fp-h',
  newVoter: true,
  automated: true,
};
const NONE = { tally: 0, ballot_missing: 0, ballot_extra: 0, ballot_wrong: 0 };

function flushDeps(consumer = 'fi') {
  return {
    env: {
      FLUSH_BATCH_SIZE: 500,
      FLUSH_BUDGET_MS: 60_000,
      FLUSH_CLAIM_IDLE_MS: 30_000,
      FLUSH_FAILPOINT: 'none' as const,
      FLUSH_AFTER_REPLICAS: 0,
      FLUSH_REPLICA_TIMEOUT_MS: 5_000,
    },
    db: f.db,
    reader: new OutboxReader(f.store, consumer),
    metrics: createMetrics(),
    redis: f.redis,
  };
}

async function flushAll(deps = flushDeps()): Promise<number> {
  let events = 0;
  for (let p = 0; p < f.store.partitions; p++) events += (await flushPartition(deps, p)).events;
  return events;
}

async function redisTallies(): Promise<Map<string, { up: number; down: number }>> {
  const t = await f.store.tallies(f.llmIds);
  return new Map([...t].map(([id, { up, down }]) => [id, { up, down }]));
}

/** An open flag holding the ballots (state voided), as the review path records them. */
async function flagHolding(ballots: Array<[voter: string, llm: string, value: 1 | -1]>) {
  const { id } = await f.db
    .insertInto('integrity_flags')
    .values({
      rule: 'prefix-new-voters',
      status: 'open',
      subject: `net:${ballots[0]![0]}`,
      explanation: 'test flag',
      evidence: JSON.stringify({ counts: { voters: ballots.length }, windowSec: 60 }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await f.db
    .insertInto('integrity_flag_votes')
    .values(
      ballots.map(([voter_id, llm_id, value]) => ({
        flag_id: id,
        voter_id,
        llm_id,
        value,
        state: 'voided' as const,
        voted_at: new Date(),
      })),
    )
    .execute();
  return String(id);
}

async function votesRow(voterId: string, llmId: string) {
  const row = await f.db
    .selectFrom('votes')
    .select(['value', 'voided_by'])
    .where('voter_id', '=', voterId)
    .where('llm_id', '=', llmId)
    .executeTakeFirstOrThrow();
  return { value: row.value, voidedBy: row.voided_by === null ? null : String(row.voided_by) };
}

/** Casts honest votes and the ballots a flag will void, all with signals. */
async function castScenario() {
  const [a, b] = f.llmIds as [string, string];
  for (let v = 0; v < 6; v++)
    await f.store.cast(`honest-${v}`, a, v % 3 ? 1 : -1, undefined, SIGNALS);
  for (let v = 0; v < 4; v++) await f.store.cast(`bot-${v}`, a, 1, undefined, SIGNALS);
  await f.store.cast('bot-0', b, -1, undefined, SIGNALS);
  return { a, b, bots: ['bot-0', 'bot-1', 'bot-2', 'bot-3'] };
}

describe('flush of integrity events', () => {
  it('voids and restores through the flush: counts drop and come back, nothing deleted, redelivery a no-op', async () => {
    const { a, b, bots } = await castScenario();
    await flushAll();
    const honest = await pgCounts(f.db);
    expect(honest.get(a)).toEqual({ up: 4 + 4, down: 2 });
    const events = await countEvents(f.db);
    const stored = await f.db
      .selectFrom('user_votes')
      .select(['ip_hash', 'net_hash', 'ua_hash', 'fp_hash', 'new_voter', 'automated', 'kind'])
      .where('voter_id', '=', 'bot-1')
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({
      ip_hash: 'ip-h',
      net_hash: 'net-h',
      ua_hash: 'ua-h',
      fp_hash: 'fp-h',
      new_voter: true,
      automated: true,
      kind: 'vote',
    });

    const flagId = await flagHolding([
      ...bots.map((v) => [v, a, 1] as [string, string, 1]),
      ['bot-0', b, -1],
    ]);
    for (const v of bots)
      expect((await f.store.voidBallot(v, a, 'void', flagId)).status).toBe('done');
    await f.store.voidBallot('bot-0', b, 'void', flagId);
    // A void delivered twice (a review retried) is one event.
    expect(await f.store.voidBallot('bot-0', a, 'void', flagId)).toEqual({ status: 'noop' });

    // Committed but not acknowledged (a worker killed before XACK): the flush redelivers it.
    const early = new OutboxReader(f.store, 'killed');
    for (let p = 0; p < f.store.partitions; p++) {
      const batch = await early.read(p, { count: 100, claimIdleMs: 60_000 });
      await applyVoteEvents(f.db, batch.events, { partition: p });
    }
    expect(await flushAll(flushDeps('killed'))).toBe(5);
    expect(await outboxTotal(f)).toBe(0);
    expect(await countEvents(f.db)).toBe(events + 5);
    const voided = await pgCounts(f.db);
    expect(voided.get(a)).toEqual({ up: 4, down: 2 });
    expect(voided.get(b)).toEqual({ up: 0, down: 0 });
    expect(voided).toEqual(await redisTallies());
    expect(await votesRow('bot-2', a)).toEqual({ value: 0, voidedBy: flagId });
    expect(await votesRow('honest-1', a)).toEqual({ value: 1, voidedBy: null });

    for (const v of bots) await f.store.voidBallot(v, a, 'restore', flagId);
    await f.store.voidBallot('bot-0', b, 'restore', flagId);
    expect(await flushAll()).toBe(5);
    expect(await pgCounts(f.db)).toEqual(honest);
    expect(await pgCounts(f.db)).toEqual(await redisTallies());
    expect(await votesRow('bot-2', a)).toEqual({ value: 1, voidedBy: null });

    // Every event stays: vote, void and restore of bot-0 on a.
    const trail = await f.db
      .selectFrom('user_votes')
      .select(['kind', 'value', 'prev_value', 'flag_id'])
      .where('voter_id', '=', 'bot-0')
      .where('llm_id', '=', a)
      .orderBy('created_at')
      .orderBy('event_id')
      .execute();
    expect(
      trail.map((e) => [
        e.kind,
        e.value,
        e.prev_value,
        e.flag_id === null ? null : String(e.flag_id),
      ]),
    ).toEqual([
      ['vote', 1, 0, null],
      ['void', 0, 1, flagId],
      ['restore', 1, 0, flagId],
    ]);
  });

  it('rebuilds a cold Redis with the voided markers: the ballot stays voided, tallies equal Postgres', async () => {
    const { a, b, bots } = await castScenario();
    await flushAll();
    const flagId = await flagHolding([[bots[0]!, a, 1]]);
    await f.store.voidBallot(bots[0]!, a, 'void', flagId);
    await flushAll();
    expect(await votesRow(bots[0]!, a)).toEqual({ value: 0, voidedBy: flagId });

    // Wipe every key of this store (a cold Redis), then rebuild from Postgres.
    const keys = await f.redis.keys(`${f.store.prefix}*`);
    await f.redis.del(...keys);
    expect(await f.store.ownBallotsOf(bots[0]!)).toEqual({});
    const result = await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
    expect(result).toMatchObject({ voided: 1, busy: false });

    for (const value of [1, -1, 0] as const)
      expect(await f.store.cast(bots[0]!, a, value)).toEqual({ status: 'voided', flagId });
    // Its other ballot (not held by the flag) is back as it was.
    expect(await f.store.ownBallotsOf(bots[0]!)).toEqual({
      [a]: { value: 1, voidedBy: flagId },
      [b]: { value: -1 },
    });
    expect(await f.store.ownBallotsOf(bots[1]!)).toEqual({ [a]: { value: 1 } });
    const pg = await pgCounts(f.db);
    const redis = await redisTallies();
    for (const [id, t] of pg) expect(redis.get(id), id).toEqual(t);
    expect(redis.get(a)).toEqual({ up: 4 + 3, down: 2 });

    // A dismissal after the rebuild restores the vote everywhere.
    expect(await f.store.voidBallot(bots[0]!, a, 'restore', flagId)).toMatchObject({
      status: 'done',
      up: 8,
    });
    await flushAll();
    expect((await pgCounts(f.db)).get(a)).toEqual({ up: 8, down: 2 });
  });

  it('reconcile reports no drift for a voided ballot, before and after its void is flushed', async () => {
    const { a, bots } = await castScenario();
    await flushAll();
    const flagId = await flagHolding([
      [bots[0]!, a, 1],
      [bots[1]!, a, 1],
    ]);
    await f.store.voidBallot(bots[0]!, a, 'void', flagId);
    await f.store.voidBallot(bots[1]!, a, 'void', flagId);
    const deps = { db: f.db, store: f.store, metrics: createMetrics(), log: () => {} };
    // The voids only in the outbox.
    expect((await reconcile(deps, true)).drift).toEqual(NONE);
    await flushAll();
    // Flushed: votes.value 0 in Postgres, no ballot in Redis (only the marker).
    const result = await reconcile(deps, true);
    expect(result.drift).toEqual(NONE);
    expect(result.repaired).toBe(0);
    expect(await f.store.cast(bots[0]!, a, 1)).toEqual({ status: 'voided', flagId });
  });

  it('dead-letters a void for a deleted model with the whole entry (kind, flag, signals)', async () => {
    const gone = f.llmIds.at(-1)!;
    await f.store.cast('sig-voter', gone, 1, undefined, SIGNALS);
    await f.store.voidBallot('other', gone, 'void', '77'); // retracted: no event
    await f.store.cast('void-voter', gone, -1);
    await f.store.voidBallot('void-voter', gone, 'void', '77');
    await f.db.deleteFrom('llms').where('id', '=', gone).execute();
    const results = [];
    const deps = flushDeps();
    for (let p = 0; p < f.store.partitions; p++) results.push(await flushPartition(deps, p));
    expect(results.reduce((n, r) => n + r.deadLetters, 0)).toBe(3);
    const dead = await f.redis.xrange(f.store.keysFor(gone).deadLetter, '-', '+');
    const entries = dead.map(
      ([, fields]) => JSON.parse(fields[fields.indexOf('entry') + 1]!) as Record<string, string>,
    );
    expect(entries).toEqual([
      {
        v: 'sig-voter',
        l: gone,
        n: '1',
        p: '0',
        ip: 'ip-h',
        nw: 'net-h',
        ua: 'ua-h',
        fp: 'fp-h',
        nv: '1',
        au: '1',
      },
      {
        v: 'void-voter',
        l: gone,
        n: '-1',
        p: '0',
        ip: '',
        nw: '',
        ua: '',
        fp: '',
        nv: '0',
        au: '0',
      },
      { v: 'void-voter', l: gone, n: '0', p: '-1', k: 'void', f: '77' },
    ]);
  });
});
