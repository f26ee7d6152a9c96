import { type VoteEvent, applyVoteEvents, rollHourlyHistory } from '@llmpt/db';
import { publishRankings, rankingsKeys } from '@llmpt/vote-store';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AppRouter } from '../src/routers/index.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

const HOUR_MS = 3_600_000;

let api: TestApi;
let a: string;
let b: string;
/** The hours the worker rolled in this test: two hours ago and the current one. */
let earlier: Date;
let current: Date;
let seq = 0;

function vote(voterId: string, llmId: string): VoteEvent {
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

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await api.deps.catalogue.all()).map((l) => l.id) as [string, string];
  const { db } = api.deps;
  const now = Date.now();

  // Two hours ago: a 2 up, b 1 up. Now: b has overtaken a (3 up against 2).
  await applyVoteEvents(db, [vote('v1', a), vote('v2', a), vote('v1', b)]);
  earlier = (await rollHourlyHistory(db, new Date(now - 2 * HOUR_MS))).hour;
  await applyVoteEvents(db, [vote('v3', b), vote('v4', b)]);
  current = (await rollHourlyHistory(db, new Date(now))).hour;

  // Older snapshots of a, written directly: 30 hours ago (inside 30 days, outside 24 hours)
  // and 40 days ago (outside every default window).
  const hourOf = (ms: number) => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);
  await db
    .insertInto('llm_score_history')
    .values([
      { llm_id: a, hour: hourOf(now - 30 * HOUR_MS), upvotes: 1, downvotes: 1, score: 0, rank: 7 },
      {
        llm_id: a,
        hour: hourOf(now - 40 * 24 * HOUR_MS),
        upvotes: 0,
        downvotes: 0,
        score: 0,
        rank: 9,
      },
    ])
    .execute();
});
afterAll(async () => {
  await api?.close();
});

describe('llm.history', () => {
  it('returns the model’s hourly points, oldest first, within the last 30 days by default', async () => {
    const client = new Visitor(api.baseUrl).client();
    const history = await client.llm.history.query({ id: a });
    expect(history.llmId).toBe(a);
    expect(history.points).toHaveLength(3);
    expect(history.points[0]).toMatchObject({ up: 1, down: 1, score: 0, rank: 7 });
    expect(history.points.slice(1)).toEqual([
      { hour: earlier.toISOString(), up: 2, down: 0, score: 2, rank: 1 },
      { hour: current.toISOString(), up: 2, down: 0, score: 2, rank: 2 },
    ]);
    const hours = history.points.map((p) => Date.parse(p.hour));
    expect(hours).toEqual([...hours].sort((x, y) => x - y));

    // A shorter window drops the snapshot from 30 hours ago; a longer one reaches 40 days back.
    const day = await client.llm.history.query({ id: a, days: 1 });
    expect(day.points.map((p) => p.hour)).toEqual([earlier.toISOString(), current.toISOString()]);
    expect((await client.llm.history.query({ id: a, days: 90 })).points).toHaveLength(4);
    expect((await client.llm.history.query({ id: b, days: 1 })).points).toEqual([
      { hour: earlier.toISOString(), up: 1, down: 0, score: 1, rank: 2 },
      { hour: current.toISOString(), up: 3, down: 0, score: 3, rank: 1 },
    ]);
  });

  it('is a plain GET that needs no voter cookie', async () => {
    const input = encodeURIComponent(JSON.stringify({ id: b, days: 1 }));
    const res = await fetch(`${api.baseUrl}/trpc/llm.history?input=${input}`);
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    const body = (await res.json()) as { result: { data: { points: unknown[] } } };
    expect(body.result.data.points).toHaveLength(2);
  });

  it('refuses a window outside 1..90 days and answers an unknown model with NOT_FOUND', async () => {
    const client = new Visitor(api.baseUrl).client();
    for (const days of [0, 91, 1.5]) {
      const err = trpcError(
        await client.llm.history.query({ id: a, days }).catch((e: unknown) => e),
      );
      expect(err.data?.httpStatus).toBe(400);
      expect(err.data?.zodError?.fieldErrors).toHaveProperty('days');
    }
    const unknown = trpcError(
      await client.llm.history.query({ id: 'no-such-model' }).catch((e: unknown) => e),
    );
    expect(unknown.data).toMatchObject({ httpStatus: 404, appCode: 'UNKNOWN_MODEL' });
  });
});

describe('rankings.trends', () => {
  it('gives each model’s scores and ranks over the last 24 hours, oldest first', async () => {
    const client = new Visitor(api.baseUrl).client();
    const trends = await client.rankings.trends.query();
    expect(trends.hours).toBe(24);
    expect(trends.series[a]).toEqual({ score: [2, 2], rank: [1, 2] });
    expect(trends.series[b]).toEqual({ score: [1, 3], rank: [2, 1] });
    // Every active model is snapshotted; the unvoted ones have no rank (the shared rank rule).
    const ids = (await api.deps.catalogue.all()).map((l) => l.id);
    expect(Object.keys(trends.series).sort()).toEqual([...ids].sort());
    expect(trends.series[ids[2]!]).toEqual({ score: [0, 0], rank: [null, null] });

    const twoDays = await client.rankings.trends.query({ hours: 48 });
    expect(twoDays).toMatchObject({
      hours: 48,
      series: { [a]: { score: [0, 2, 2], rank: [7, 1, 2] } },
    });
  });

  it('serves the same window from memory for a minute', async () => {
    const client = new Visitor(api.baseUrl).client();
    const hits = async () => {
      const metric = await api.deps.metrics.cacheRequests.get();
      return (
        metric.values.find((v) => v.labels.cache === 'trends' && v.labels.result === 'hit')
          ?.value ?? 0
      );
    };
    const first = await client.rankings.trends.query({ hours: 12 });
    const hitsBefore = await hits();
    // A snapshot written now is not seen until the cached copy expires.
    await api.deps.db
      .updateTable('llm_score_history')
      .set({ score: 99 })
      .where('llm_id', '=', b)
      .where('hour', '=', current)
      .execute();
    expect(await client.rankings.trends.query({ hours: 12 })).toEqual(first);
    expect(await hits()).toBe(hitsBefore + 1);
    expect(first.series[b]?.score.at(-1)).toBe(3);
  });

  it('refuses a window outside 1..168 hours or an unknown field', async () => {
    const client = new Visitor(api.baseUrl).client();
    for (const input of [{ hours: 0 }, { hours: 169 }, { hours: 2.5 }, { hours: 24, days: 1 }]) {
      const err = trpcError(
        await client.rankings.trends.query(input as { hours: number }).catch((e: unknown) => e),
      );
      expect(err.data?.httpStatus).toBe(400);
    }
  });

  it('is a plain GET that needs no voter cookie', async () => {
    const res = await fetch(`${api.baseUrl}/trpc/rankings.trends`);
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('llm.byId', () => {
  it('carries the overall rank from the live feed, null before the ranker has published', async () => {
    const client = new Visitor(api.baseUrl).client();
    expect(await client.llm.byId.query({ id: b })).toMatchObject({ id: b, rank: null });

    const at = Date.now();
    const entry = {
      llmId: b,
      up: 3,
      down: 0,
      score: 3,
      wilson: 0.4,
      trending: 0,
      ranks: { score: 4, wilson: 7, trending: 1 },
    };
    await publishRankings(
      api.deps.redis,
      rankingsKeys(api.deps.env.REDIS_PREFIX),
      { at, entries: [entry] },
      { at, entries: [entry] },
    );
    await expect
      .poll(async () => (await client.llm.byId.query({ id: b })).rank, { timeout: 10_000 })
      .toBe(4);
  });
});
