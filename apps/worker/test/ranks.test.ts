// One rank rule (shared/DESIGN.md "Ranks"): what the ranker publishes and what the history roll
// stores are the shared rankBoard's ranks, so the board, the arrows and the history agree.
import { listLlms, postgresRebuildSource } from '@llmpt/db';
import { type BoardKey, type RankingEntry, boardKey, rankBoard } from '@llmpt/shared';
import {
  OutboxReader,
  ensureTallies,
  rankingsKeys,
  readRankingsSnapshot,
  rebuildUnreadyPartitions,
} from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { flushPartition } from '../src/jobs/flush.processor.ts';
import { rollHistory } from '../src/jobs/maintenance.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { Ranker } from '../src/ranker/ranker.ts';
import { type Fixture, createFixture, waitFor } from './helpers.ts';

let f: Fixture;
let ranker: Ranker | null = null;
let rankerRedis: Redis | null = null;

beforeEach(async () => {
  f = await createFixture();
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
  await ensureTallies(f.store, f.llmIds);
});
afterEach(async () => {
  await ranker?.close();
  await rankerRedis?.quit();
  ranker = rankerRedis = null;
  await f?.cleanup();
});

function startRanker(minVotes = 1): Ranker {
  rankerRedis = new Redis(f.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
  ranker = new Ranker(
    { redis: rankerRedis, store: f.store, db: f.db, metrics: createMetrics(), log: () => {} },
    { tickMs: 50, lockTtlMs: 3000, streamMaxLen: 2000, minVotes },
  );
  ranker.start();
  return ranker;
}

const keys = () => rankingsKeys(f.env.REDIS_PREFIX);

/** Each model's rank on `board` as published: id → rank (null: no votes yet). */
function ranksOn(entries: RankingEntry[], board: BoardKey): Record<string, number | null> {
  return Object.fromEntries(
    entries.flatMap((e) => (board in e.ranks ? [[e.llmId, e.ranks[board] ?? null]] : [])),
  );
}

/** a and b 2 up each (tied), c 1 up 1 down, d 1 down; every other model has no vote. */
async function castVotes(): Promise<[string, string, string, string]> {
  const [a, b, c, d] = f.llmIds as [string, string, string, string];
  const votes: Array<[string, string, 1 | -1]> = [
    ['v1', a, 1],
    ['v2', a, 1],
    ['v1', b, 1],
    ['v2', b, 1],
    ['v1', c, 1],
    ['v2', c, -1],
    ['v1', d, -1],
  ];
  for (const [voter, llm, value] of votes) await f.store.cast(voter, llm, value);
  return [a, b, c, d];
}

describe('the ranker', () => {
  it('publishes the ranks of the shared rankBoard on every board: ties shared, no votes null', async () => {
    startRanker();
    const [a, b, c, d] = await castVotes();
    const snapshot = await waitFor(
      () => readRankingsSnapshot(f.redis, keys()),
      (s) => s?.entries.find((e) => e.llmId === d)?.down === 1,
    );
    const entries = snapshot!.entries;

    // By hand: a and b share 1st (score 2), c is 3rd (0), d 4th (-1), the rest have no rank.
    const overall = ranksOn(entries, 'score');
    expect([overall[a], overall[b], overall[c], overall[d]]).toEqual([1, 1, 3, 4]);
    const others = f.llmIds.filter((id) => ![a, b, c, d].includes(id));
    expect(others.length).toBeGreaterThan(90);
    expect(new Set(others.map((id) => overall[id]))).toEqual(new Set([null]));

    // Every board, overall and per category, by both sorts, is rankBoard's over its members.
    const llms = await listLlms(f.db);
    const tallies = new Map(entries.map((e) => [e.llmId, e]));
    const boards = [...new Set(entries.flatMap((e) => Object.keys(e.ranks)))] as BoardKey[];
    expect(boards.length).toBeGreaterThan(4);
    for (const board of boards) {
      const [category, sort] = board.includes(':')
        ? (board.split(':') as [string, 'score' | 'wilson'])
        : [undefined, board as 'score' | 'wilson'];
      const members = llms
        .filter((l) => !category || (l.categories as string[]).includes(category))
        .map((l) => ({ id: l.id, name: l.name, ...tallies.get(l.id)! }));
      expect(boardKey(sort, category as never)).toBe(board);
      expect(ranksOn(entries, board), board).toEqual(
        Object.fromEntries(rankBoard(members, sort).map((r) => [r.item.id, r.rank])),
      );
    }
  });
});

describe('the history roll', () => {
  it.each([1, 2])(
    'stores for each model the overall rank the ranker published for the same votes (RANK_MIN_VOTES=%i)',
    async (minVotes) => {
      startRanker(minVotes);
      const [a, b, c, d] = await castVotes();
      // The votes reach Postgres as in production: the flush, then the maintenance roll.
      const flush = {
        env: {
          FLUSH_BATCH_SIZE: 500,
          FLUSH_BUDGET_MS: 60_000,
          FLUSH_CLAIM_IDLE_MS: 30_000,
          FLUSH_FAILPOINT: 'none' as const,
          FLUSH_AFTER_REPLICAS: 0,
          FLUSH_REPLICA_TIMEOUT_MS: 5_000,
        },
        db: f.db,
        reader: new OutboxReader(f.store, 'ranks-test'),
        metrics: createMetrics(),
        redis: f.store.redis,
      };
      for (let p = 0; p < f.store.partitions; p++) await flushPartition(flush, p);
      const now = new Date();
      await rollHistory(
        {
          db: f.db,
          store: f.store,
          metrics: createMetrics(),
          log: () => {},
          env: { ...f.env, RANK_MIN_VOTES: minVotes },
        },
        now,
      );

      const snapshot = await waitFor(
        () => readRankingsSnapshot(f.redis, keys()),
        (s) => s?.entries.filter((e) => e.up + e.down > 0).length === 4,
      );
      const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
      const stored = await f.db
        .selectFrom('llm_score_history')
        .select(['llm_id', 'rank'])
        .where('hour', '=', hour)
        .execute();
      expect(stored).toHaveLength(f.llmIds.length);
      const ranks = Object.fromEntries(stored.map((r) => [r.llm_id, r.rank]));
      expect(ranks).toEqual(ranksOn(snapshot!.entries, 'score'));
      // By hand: a, b (2 up) share 1st, c (1 up 1 down) 3rd; d has one vote: 4th, or unranked
      // when 2 are needed.
      expect([ranks[a], ranks[b], ranks[c], ranks[d]]).toEqual(
        minVotes === 1 ? [1, 1, 3, 4] : [1, 1, 3, null],
      );
    },
  );
});
