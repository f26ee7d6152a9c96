import { rankBoard } from '@llmpt/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  countDefaultPartitionRows,
  ensureMonthlyPartitions,
  listVotePartitions,
  refreshVoteSummary,
  rollHourlyHistory,
  votePartitionName,
} from '../src/repositories/maintenance.repository.ts';
import { setLlmStatus } from '../src/repositories/llm.repository.ts';
import { applyVoteEvents } from '../src/repositories/vote.repository.ts';
import { insertFixtureLlms, openTestDb, voteEvent, type TestDb } from './helpers.ts';

let t: TestDb;
let llmIds: string[];
beforeAll(async () => {
  t = await openTestDb();
  llmIds = await insertFixtureLlms(t.db, 4);
});
afterAll(() => t.close());

const month = (offset: number, from = new Date()) =>
  new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + offset, 1));

/** Which partition each event landed in. */
async function partitionsOf(eventIds: string[]): Promise<Record<string, string>> {
  const { rows } = await sql<{ event_id: string; partition: string }>`
    SELECT event_id, tableoid::regclass::text AS partition FROM user_votes
    WHERE event_id = ANY(${eventIds}::text[])`.execute(t.db);
  return Object.fromEntries(rows.map((r) => [r.event_id, r.partition]));
}

describe('user_votes partitions', () => {
  it('exist for this month and the next two after migrating, and events route into them', async () => {
    const names = [0, 1, 2].map((i) => votePartitionName(month(i)));
    expect(await listVotePartitions(t.db)).toEqual(names);

    const now = voteEvent('p-voter', llmIds[0]!, 1);
    const nextMonth = voteEvent('p-voter', llmIds[1]!, 1, { createdAt: month(1) });
    await applyVoteEvents(t.db, [now, nextMonth]);
    expect(await partitionsOf([now.eventId, nextMonth.eventId])).toEqual({
      [now.eventId]: names[0],
      [nextMonth.eventId]: names[1],
    });
    expect(await countDefaultPartitionRows(t.db)).toBe(0);
  });

  it('ensureMonthlyPartitions is idempotent and moves rows out of the default partition', async () => {
    expect(await ensureMonthlyPartitions(t.db, new Date(), 2)).toEqual([]);

    // An event five months ahead has no partition yet: it lands in the default one.
    const late = voteEvent('p-voter', llmIds[2]!, -1, {
      createdAt: new Date(month(5).getTime() + 42),
    });
    await applyVoteEvents(t.db, [late]);
    expect(await countDefaultPartitionRows(t.db)).toBe(1);

    const created = await ensureMonthlyPartitions(t.db, new Date(), 6);
    expect(created).toEqual([3, 4, 5, 6].map((i) => votePartitionName(month(i))));
    expect(await countDefaultPartitionRows(t.db)).toBe(0);
    expect(await partitionsOf([late.eventId])).toEqual({
      [late.eventId]: votePartitionName(month(5)),
    });
    expect(await ensureMonthlyPartitions(t.db, new Date(), 6)).toEqual([]);

    // The attached partition enforces the table's key: redelivery is still a no-op.
    expect(await applyVoteEvents(t.db, [late])).toEqual({ eventsInserted: 0, ballotsWritten: 0 });
  });

  it('names months in UTC, across a year boundary', async () => {
    const created = await ensureMonthlyPartitions(t.db, new Date('2030-11-30T23:30:00-05:00'), 2);
    expect(created).toEqual(['user_votes_p203012', 'user_votes_p203101', 'user_votes_p203102']);
  });
});

describe('mv_vote_summary', () => {
  it('refreshes CONCURRENTLY and reflects the counts', async () => {
    const [a, b] = llmIds as [string, string];
    await applyVoteEvents(t.db, [
      voteEvent('mv-1', a, 1),
      voteEvent('mv-2', a, 1),
      voteEvent('mv-3', a, -1),
      voteEvent('mv-1', b, -1),
      voteEvent('mv-2', b, 0),
    ]);
    await refreshVoteSummary(t.db);
    const rows = await t.db.selectFrom('mv_vote_summary').selectAll().orderBy('llm_id').execute();
    const counts = await t.db.selectFrom('llm_vote_counts').selectAll().orderBy('llm_id').execute();
    expect(rows.map((r) => [r.llm_id, r.upvotes, r.downvotes, r.score])).toEqual(
      counts.map((c) => [c.llm_id, c.upvotes, c.downvotes, c.score]),
    );
    const rowA = rows.find((r) => r.llm_id === a)!;
    // p-voter's vote + three mv votes on a; the retraction on b is not counted as a vote.
    expect(rowA).toMatchObject({
      name: 'Model 0',
      upvotes: 3,
      downvotes: 1,
      score: 2,
      votes_24h: 4,
    });
    expect(rows.find((r) => r.llm_id === b)).toMatchObject({ votes_24h: 1 });
    expect(rowA.last_vote_at).toBeInstanceOf(Date);
    expect(rows.find((r) => r.llm_id === llmIds[3])).toMatchObject({
      votes_24h: 0,
      last_vote_at: null,
    });

    await expect(t.db.transaction().execute((trx) => refreshVoteSummary(trx))).rejects.toThrow(
      /transaction/,
    );
  });
});

describe('rollHourlyHistory', () => {
  const history = () =>
    t.db
      .selectFrom('llm_score_history')
      .select(['llm_id', 'upvotes', 'downvotes', 'score', 'rank', 'hour'])
      .orderBy('hour')
      .orderBy('llm_id')
      .execute();

  it('snapshots the active models with ranks by the shared rank rule, idempotently', async () => {
    const hour = new Date('2026-11-27T10:37:12Z');
    const first = await rollHourlyHistory(t.db, hour);
    expect(first).toEqual({ hour: new Date('2026-11-27T10:00:00Z'), models: llmIds.length });
    const rows = await history();
    expect(await rollHourlyHistory(t.db, new Date('2026-11-27T10:59:59Z'))).toEqual(first);
    expect(await history()).toEqual(rows);

    // The votes so far (earlier tests): m-00 3 up 1 down (score 2); m-01 1 up 1 down (0: voted,
    // so ranked); m-02 1 down (-1); m-03 none. So m-00 1st, m-01 2nd, m-02 3rd, m-03 no rank.
    expect(rows.map((r) => [r.llm_id, r.upvotes, r.downvotes, r.score, r.rank])).toEqual([
      ['m-00', 3, 1, 2, 1],
      ['m-01', 1, 1, 0, 2],
      ['m-02', 0, 1, -1, 3],
      ['m-03', 0, 0, 0, null],
    ]);
    expect(rows.every((r) => r.hour.getTime() === first.hour.getTime())).toBe(true);
  });

  it('stores the ranks rankBoard gives the same counts: ties shared, no votes null', async () => {
    // m-03 now ties m-00 at score 2 (3 up, 1 down each); m-01 gets one more up (score 1).
    const [, m1, , m3] = llmIds as [string, string, string, string];
    await applyVoteEvents(t.db, [
      voteEvent('h-1', m3, 1),
      voteEvent('h-2', m3, 1),
      voteEvent('h-3', m3, 1),
      voteEvent('h-4', m3, -1),
      voteEvent('h-5', m1, 1),
    ]);
    const at = new Date('2026-11-27T12:00:00Z');
    await rollHourlyHistory(t.db, at);
    const stored = (await history()).filter((r) => r.hour.getTime() === at.getTime());
    const names = Object.fromEntries(
      (await t.db.selectFrom('llms').select(['id', 'name']).execute()).map((l) => [l.id, l.name]),
    );
    const expected = rankBoard(
      stored.map((r) => ({
        id: r.llm_id,
        name: names[r.llm_id]!,
        up: r.upvotes,
        down: r.downvotes,
      })),
      'score',
    );
    expect(Object.fromEntries(stored.map((r) => [r.llm_id, r.rank]))).toEqual(
      Object.fromEntries(expected.map((e) => [e.item.id, e.rank])),
    );
    // By hand: m-00 2 and m-03 2 share 1st, m-01 1 is 3rd, m-02 -1 is 4th.
    expect(Object.fromEntries(stored.map((r) => [r.llm_id, r.rank]))).toEqual({
      'm-00': 1,
      'm-01': 3,
      'm-02': 4,
      'm-03': 1,
    });

    // Hidden models are left out of the next hour's ranking.
    await setLlmStatus(t.db, 'm-00', 'hidden');
    expect(await rollHourlyHistory(t.db, new Date('2026-11-27T13:00:00Z'))).toMatchObject({
      models: llmIds.length - 1,
    });
    const later = (await history()).filter(
      (r) => r.hour.getTime() === Date.parse('2026-11-27T13:00:00Z'),
    );
    expect(Object.fromEntries(later.map((r) => [r.llm_id, r.rank]))).toEqual({
      'm-01': 2,
      'm-02': 3,
      'm-03': 1,
    });
  });

  it('leaves models with fewer than minVotes votes (RANK_MIN_VOTES) unranked', async () => {
    // Active now: m-01 2 up 1 down (3 votes, score 1), m-02 0/1 (1 vote), m-03 3/1 (4 votes).
    const ranksAt = async (iso: string) =>
      Object.fromEntries(
        (await history())
          .filter((r) => r.hour.getTime() === Date.parse(iso))
          .map((r) => [r.llm_id, r.rank]),
      );
    await rollHourlyHistory(t.db, new Date('2026-11-27T14:00:00Z'), { minVotes: 3 });
    expect(await ranksAt('2026-11-27T14:00:00Z')).toEqual({ 'm-01': 2, 'm-02': null, 'm-03': 1 });
    await rollHourlyHistory(t.db, new Date('2026-11-27T15:00:00Z'), { minVotes: 4 });
    expect(await ranksAt('2026-11-27T15:00:00Z')).toEqual({
      'm-01': null,
      'm-02': null,
      'm-03': 1,
    });
  });
});
