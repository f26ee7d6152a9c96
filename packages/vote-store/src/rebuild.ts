import { randomUUID } from 'node:crypto';

import { partitionOf } from './keys.ts';
import { OutboxReader } from './outbox.ts';
import type { VoteStore } from './vote-store.ts';

export type BallotPage = Array<{ voterId: string; llmId: string; value: number }>;

/** Ballots integrity flags voided: the flag, and the value it took out of the tally. */
export type VoidedPage = Array<{ voterId: string; llmId: string; flagId: string; value: number }>;

/** Where a rebuild reads the truth from: Postgres, through @llmpt/db's repositories. */
export interface RebuildSource {
  tallies(): Promise<Array<{ llmId: string; up: number; down: number }>>;
  /** Non-zero ballots, in pages. */
  ballots(): AsyncIterable<BallotPage> | Iterable<BallotPage>;
  /**
   * Voided ballots, in pages (issue 13): each becomes its marker `voided:<voter>` again, so the
   * voter still cannot change it and a dismissal can restore it. Optional: a source without it
   * rebuilds no markers.
   */
  voided?(): AsyncIterable<VoidedPage> | Iterable<VoidedPage>;
}

export interface RebuildResult {
  partitions: number[];
  tallies: number;
  ballots: number;
  /** Voided-ballot markers written. */
  voided: number;
  /** True when another process holds the rebuild lock; try again later. */
  busy: boolean;
}

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Rebuilds the partitions that have no ready marker (a cold or wiped Redis) from Postgres
 * (tallies, ballots, and the markers of ballots integrity flags voided), then
 * marks them ready: until then the vote script answers not_ready, so no vote is accepted on a
 * tally that would be overwritten. A partition whose outbox still holds events is refused:
 * Postgres lags it, and overwriting would lose acknowledged votes.
 */
export async function rebuildUnreadyPartitions(
  store: VoteStore,
  source: RebuildSource,
  opts: { lockTtlMs?: number; log?: (msg: string) => void } = {},
): Promise<RebuildResult> {
  const redis = store.redis;
  let unready = await store.unreadyPartitions();
  if (unready.length === 0)
    return { partitions: [], tallies: 0, ballots: 0, voided: 0, busy: false };

  const lockKey = `${store.prefix}rebuild-lock`;
  const token = randomUUID();
  const locked = await redis.set(lockKey, token, 'PX', opts.lockTtlMs ?? 120_000, 'NX');
  if (locked !== 'OK') return { partitions: [], tallies: 0, ballots: 0, voided: 0, busy: true };

  try {
    unready = await store.unreadyPartitions();
    const safe: number[] = [];
    for (const p of unready) {
      const pending = await redis.xlen(store.keysOf(p).outbox);
      if (pending > 0) {
        opts.log?.(
          `partition ${p} has no ready marker but ${pending} unflushed events: not rebuilt`,
        );
      } else {
        safe.push(p);
      }
    }
    const todo = new Set(safe);
    const inTodo = (llmId: string) => todo.has(partitionOf(llmId, store.partitions));

    let tallies = 0;
    const tallyPipe = redis.pipeline();
    for (const t of await source.tallies()) {
      if (!inTodo(t.llmId)) continue;
      tallyPipe.hset(store.keysFor(t.llmId).tally(t.llmId), 'up', t.up, 'down', t.down, 'ver', 0);
      tallies++;
    }
    await execOrThrow(tallyPipe);

    let ballots = 0;
    for await (const page of source.ballots()) {
      const pipe = redis.pipeline();
      for (const b of page) {
        if (!inTodo(b.llmId) || (b.value !== 1 && b.value !== -1)) continue;
        pipe.hset(store.keysFor(b.llmId).ballot(b.voterId), b.llmId, String(b.value));
        ballots++;
      }
      await execOrThrow(pipe);
    }

    let voided = 0;
    for await (const page of source.voided?.() ?? []) {
      const pipe = redis.pipeline();
      for (const b of page) {
        if (!inTodo(b.llmId) || (b.value !== 1 && b.value !== -1)) continue;
        // The format void-ballot-1.lua writes: '<flagId>:<value voided>'.
        pipe.hset(store.keysFor(b.llmId).voided(b.voterId), b.llmId, `${b.flagId}:${b.value}`);
        voided++;
      }
      await execOrThrow(pipe);
    }

    const reader = new OutboxReader(store, 'rebuild');
    for (const p of safe) await reader.ensureGroup(p);
    const readyPipe = redis.pipeline();
    for (const p of safe) readyPipe.set(store.keysOf(p).ready, new Date().toISOString());
    await execOrThrow(readyPipe);
    return { partitions: safe, tallies, ballots, voided, busy: false };
  } finally {
    await redis.eval(RELEASE_LOCK, 1, lockKey, token);
  }
}

/** Creates zero tallies for models that have none yet (a model added to the catalogue). */
export async function ensureTallies(store: VoteStore, llmIds: readonly string[]): Promise<number> {
  const pipe = store.redis.pipeline();
  for (const id of llmIds) {
    const key = store.keysFor(id).tally(id);
    pipe.hsetnx(key, 'up', 0).hsetnx(key, 'down', 0).hsetnx(key, 'ver', 0);
  }
  const replies = await execOrThrow(pipe);
  return replies.filter((r, i) => i % 3 === 0 && r === 1).length;
}

async function execOrThrow(pipe: ReturnType<VoteStore['redis']['pipeline']>): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? [];
  return results.map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}
