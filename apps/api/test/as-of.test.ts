import { type VoteEvent, applyVoteEvents, listScoreHistory, rollHourlyHistory } from '@llmpt/db';
import { type Llm, rankRanges } from '@llmpt/shared';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AppRouter } from '../src/routers/index.ts';
import { HistoryBoards, splitMovers } from '../src/services/history-boards.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

const H = 3_600_000;

let api: TestApi;
let llms: Llm[];
let a: string;
let b: string;
let c: string;
/** Hours of this test's history: R rolled by the worker's function, T0..T2 written by hand. */
let R: Date;
let T0: Date;
let T1: Date;
let T2: Date;
let seq = 0;

function upvote(voterId: string, llmId: string): VoteEvent {
  seq += 1;
  return {
    eventId: `0:${Date.now()}-${seq}`,
    voterId,
    llmId,
    value: 1,
    prevValue: 0,
    createdAt: new Date(),
    seq,
  };
}

function trpcError(err: unknown): TRPCClientError<AppRouter> {
  if (!(err instanceof TRPCClientError)) throw err;
  return err as TRPCClientError<AppRouter>;
}

const snap = (llmId: string, hour: Date, up: number, rank: number | null) => ({
  llm_id: llmId,
  hour,
  upvotes: up,
  downvotes: 0,
  score: up,
  rank,
});

beforeAll(async () => {
  api = await startTestApi();
  llms = await api.deps.catalogue.all();
  [a, b, c] = llms.map((l) => l.id) as [string, string, string];
  const { db } = api.deps;
  const now = Math.floor(Date.now() / H) * H;
  // 400 h ago (beyond the trending look-back of the hours below): a 2 up, b 1 up, rolled by the
  // worker's function (every active model gets a row).
  await applyVoteEvents(db, [upvote('v1', a), upvote('v2', a), upvote('v1', b)]);
  R = (await rollHourlyHistory(db, new Date(now - 400 * H))).hour;
  T0 = new Date(now - 30 * H);
  T1 = new Date(now - 24 * H);
  T2 = new Date(now);
  // T0: a 10, b 5. T1: a 10, b 12 (b overtakes). T2: a 20, b 13, and c appears with 4.
  await db
    .insertInto('llm_score_history')
    .values([
      snap(a, T0, 10, 1),
      snap(b, T0, 5, 2),
      snap(a, T1, 10, 2),
      snap(b, T1, 12, 1),
      snap(a, T2, 20, 1),
      snap(b, T2, 13, 2),
      snap(c, T2, 4, 3),
    ])
    .execute();
});
afterAll(async () => {
  await api?.close();
});

describe('rankings.asOf', () => {
  it('equals the history rows of that hour (the worker’s roll)', async () => {
    const client = new Visitor(api.baseUrl).client();
    const board = await client.rankings.asOf.query({
      at: new Date(R.getTime() + 42 * 60_000).toISOString(),
    });
    expect(board.hour).toBe(R.toISOString());
    const stored = (await listScoreHistory(api.deps.db, { since: R })).filter(
      (r) => r.hour.getTime() === R.getTime(),
    );
    expect(stored.length).toBe(llms.length);
    const shown = board.rows.map((r) => [r.llm.id, r.up, r.down, r.score, r.rank]);
    const want = stored.map((r) => [r.llmId, r.up, r.down, r.score, r.rank]);
    expect(shown.sort()).toEqual(want.sort());
    // Display order: a (2) then b (1), then the unvoted by name.
    expect(board.rows.slice(0, 2).map((r) => [r.llm.id, r.rank])).toEqual([
      [a, 1],
      [b, 2],
    ]);
    expect(board.rows[2]).toMatchObject({ rank: null, provisional: false });
  });

  it('leaves out models that had no snapshot then, and decays trending from the hours before', async () => {
    const client = new Visitor(api.baseUrl).client();
    const t1 = await client.rankings.asOf.query({ at: T1.toISOString(), sort: 'trending' });
    expect(t1.hour).toBe(T1.toISOString());
    // c was added after T1; R is 376 h before T1, beyond the look-back (32 half-lives of 6 h).
    // Trending at T1 (6 h half-life): a = 10·2^−1 + 0 = 5; b = 5·2^−1 + 7 = 9.5.
    expect(t1.rows.map((r) => [r.llm.id, r.rank, r.trending])).toEqual([
      [b, 1, 9.5],
      [a, 2, 5],
    ]);
    expect(t1.rows.every((r) => r.rankRange === null)).toBe(true);
  });

  it('ranks by the asked sort with rank ranges, and shows the latest hour at or before `at`', async () => {
    const client = new Visitor(api.baseUrl).client();
    // Two hours after T1 there is no snapshot: T1's board is shown.
    const gap = await client.rankings.asOf.query({
      at: new Date(T1.getTime() + 2 * H + 5).toISOString(),
      sort: 'wilson',
    });
    expect(gap.hour).toBe(T1.toISOString());
    const now = await client.rankings.asOf.query({ at: new Date().toISOString() });
    expect(now.hour).toBe(T2.toISOString());
    expect(now.rows.map((r) => [r.llm.id, r.rank])).toEqual([
      [a, 1],
      [b, 2],
      [c, 3],
    ]);
    expect(now.rows.map((r) => r.rankRange)).toEqual(rankRanges('score', now.rows));
    // Score intervals (n·(2p−1) at the Wilson bounds, p = 1): a 20/0 → [13.56, 20], b 13/0 →
    // [7.07, 13], c 4/0 → [0.08, 4]: none overlaps, so each range is its rank alone.
    expect(now.rows.map((r) => r.rankRange)).toEqual([
      { best: 1, worst: 1 },
      { best: 2, worst: 2 },
      { best: 3, worst: 3 },
    ]);
  });

  it('answers an hour before all history with no rows', async () => {
    const client = new Visitor(api.baseUrl).client();
    const before = new Date(R.getTime() - H).toISOString();
    expect(await client.rankings.asOf.query({ at: before })).toEqual({ hour: null, rows: [] });
  });

  it('applies RANK_MIN_VOTES: fewer votes is provisional, unranked', async () => {
    const boards = new HistoryBoards(api.deps.reads, api.deps.metrics, {
      minVotes: 11,
      trendingHalfLifeHours: 6,
    });
    const t2 = await boards.asOf(T2, 'score');
    expect(t2.rows.map((r) => [r.llm.id, r.rank, r.provisional])).toEqual([
      [a, 1, false],
      [b, 2, false],
      [c, null, true],
    ]);
    const t1 = await boards.asOf(T1, 'score');
    expect(t1.rows.map((r) => [r.llm.id, r.rank, r.provisional])).toEqual([
      [b, 1, false],
      [a, null, true],
    ]);
  });

  it('refuses a time in the future or not a date-time with BAD_REQUEST', async () => {
    const client = new Visitor(api.baseUrl).client();
    const future = trpcError(
      await client.rankings.asOf
        .query({ at: new Date(Date.now() + 2 * H).toISOString() })
        .catch((e: unknown) => e),
    );
    expect(future.data).toMatchObject({ httpStatus: 400, appCode: 'FUTURE_TIME' });
    expect(future.message).toMatch(/in the future/);
    for (const at of ['yesterday', '2026-13-01T00:00:00Z', '']) {
      const err = trpcError(await client.rankings.asOf.query({ at }).catch((e: unknown) => e));
      expect(err.data?.httpStatus).toBe(400);
      expect(err.data?.zodError?.fieldErrors).toHaveProperty('at');
    }
  });
});

describe('rankings.movers', () => {
  it('compares the latest hour with the one 24 h before: by places, then score', async () => {
    const client = new Visitor(api.baseUrl).client();
    const day = await client.rankings.movers.query({ window: '24h' });
    expect(day).toMatchObject({ window: '24h', from: T1.toISOString(), to: T2.toISOString() });
    // a: 2 → 1 (+1 place, +10); c: new, unranked then (no place change), 0 → 4; b: 1 → 2.
    expect(day.risers).toEqual([
      {
        llmId: a,
        rankBefore: 2,
        rankNow: 1,
        rankChange: 1,
        scoreBefore: 10,
        scoreNow: 20,
        scoreChange: 10,
      },
      {
        llmId: c,
        rankBefore: null,
        rankNow: 3,
        rankChange: null,
        scoreBefore: 0,
        scoreNow: 4,
        scoreChange: 4,
      },
    ]);
    expect(day.fallers.map((m) => [m.llmId, m.rankChange, m.scoreChange])).toEqual([[b, -1, 1]]);
    const one = await client.rankings.movers.query({ window: '24h', limit: 1 });
    expect(one.risers.map((m) => m.llmId)).toEqual([a]);
  });

  it('over 7 d compares with the nearest hour at or before a week earlier', async () => {
    const client = new Visitor(api.baseUrl).client();
    const week = await client.rankings.movers.query({ window: '7d' });
    expect(week.from).toBe(R.toISOString());
    // Same places (a 1, b 2) at both ends: ordered by score gained; c new.
    expect(week.risers.map((m) => [m.llmId, m.rankChange, m.scoreChange])).toEqual([
      [a, 0, 18],
      [b, 0, 12],
      [c, null, 4],
    ]);
    expect(week.fallers).toEqual([]);
  });

  it('lists a model that lost its rank as falling and one newly ranked as rising, whatever the score did', () => {
    const m = (name: string, rankBefore: number | null, rankNow: number | null, d: number) => ({
      llmId: name,
      name,
      rankBefore,
      rankNow,
      rankChange: rankBefore !== null && rankNow !== null ? rankBefore - rankNow : null,
      scoreBefore: 0,
      scoreNow: d,
      scoreChange: d,
    });
    const { risers, fallers } = splitMovers([
      m('lost', 3, null, 2), // -2 → 0 votes: its score rose, its rank is gone
      m('fresh', null, 4, -1), // first ranked with a net down vote
      m('up', 5, 2, -3),
      m('down', 1, 2, 9),
      m('same', 2, 2, 1),
      m('never', null, null, 5),
      m('still', 6, 6, 0),
    ]);
    expect(risers.map((r) => r.llmId)).toEqual(['up', 'never', 'same', 'fresh']);
    expect(fallers.map((r) => r.llmId)).toEqual(['down', 'lost']);
  });

  it('refuses an unknown window or a limit outside 1..20', async () => {
    const client = new Visitor(api.baseUrl).client();
    for (const input of [{ window: '1h' }, { limit: 0 }, { limit: 21 }]) {
      const err = trpcError(
        await client.rankings.movers.query(input as { window: '24h' }).catch((e: unknown) => e),
      );
      expect(err.data?.httpStatus).toBe(400);
    }
  });
});
