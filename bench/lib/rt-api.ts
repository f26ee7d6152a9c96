/** The few api calls the real-time scenarios make themselves (probes, single votes). */
import { type RankingsKeys, readRankingsSnapshot } from '@llmpt/vote-store';
import type { Redis } from 'ioredis';

import { sleep } from './rt-measure.ts';

export interface CastAck {
  llmId: string;
  up: number;
  down: number;
}

/** POST /trpc/vote.cast; resolves with the acknowledged tally. */
export async function castVote(
  apiUrl: string,
  cookie: string,
  llmId: string,
  value: 1 | -1 | 0,
): Promise<CastAck> {
  const res = await fetch(`${apiUrl}/trpc/vote.cast`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ llmId, value }),
  });
  const body = (await res.json()) as { result?: { data?: CastAck }; error?: unknown };
  if (!res.ok || !body.result?.data) {
    throw new Error(`vote.cast: HTTP ${res.status} ${JSON.stringify(body.error).slice(0, 200)}`);
  }
  return body.result.data;
}

/** Waits for the ranker's first publication (a snapshot in Redis). */
export async function waitForSnapshot(redis: Redis, keys: RankingsKeys, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snap = await readRankingsSnapshot(redis, keys);
    if (snap && snap.entries.length > 0) return snap;
    if (Date.now() > deadline) throw new Error('no rankings snapshot: is the ranker running?');
    await sleep(100);
  }
}

/** The id of the newest entry of a stream ('0-0' when empty). */
export async function lastStreamId(redis: Redis, key: string): Promise<string> {
  const last = (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0];
  return last?.[0] ?? '0-0';
}
