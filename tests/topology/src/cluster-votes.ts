import { get } from 'node:http';

import { type Cluster, pgQuery } from '@llmpt/cluster';
import { partitionKeys, partitionOf } from '@llmpt/vote-store';
import { Redis } from 'ioredis';

import type { LedgerVoter, StoredVotes } from './ledger.ts';

/**
 * `n` voters, each on its own client network (127.1.<i>.1: its own /24, so per-network limits
 * and nginx's per-address zones apply to each separately), with the cookie the api sets at first
 * contact through the edge.
 */
export async function votersThroughEdge(edge: string, n: number): Promise<LedgerVoter[]> {
  const voters: LedgerVoter[] = [];
  for (let i = 0; i < n; i++) {
    const localAddress = `127.1.${(i % 250) + 1}.${Math.floor(i / 250) + 1}`;
    const cookie = await new Promise<string>((resolve, reject) => {
      get(`${edge}/trpc/vote.mine`, { localAddress }, (res) => {
        res.resume();
        const vid = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('vid='));
        res.on('end', () =>
          vid ? resolve(vid.split(';')[0]!) : reject(new Error(`no cookie (${res.statusCode})`)),
        );
      }).on('error', reject);
    });
    voters.push({ cookie, localAddress });
  }
  return voters;
}

/** The voter id a `vid=<id>.<signature>` cookie carries. */
export const voterIdOf = (cookie: string) => cookie.slice(4, cookie.indexOf('.'));

/** A client of the current Redis primary, found through the cluster's Sentinels. */
export function sentinelClient(cluster: Cluster): Redis {
  const { sentinels, masterName } = cluster.endpoints.redis;
  const redis = new Redis({
    sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })),
    name: masterName,
    maxRetriesPerRequest: 3,
  });
  // Expected while a primary is being replaced; the calls that matter retry or fail loudly.
  redis.on('error', () => undefined);
  return redis;
}

/** Until every vote partition's outbox is empty (the workers flushed everything to Postgres). */
export async function outboxDrained(redis: Redis, partitions = 16, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lengths = await Promise.all(
      Array.from({ length: partitions }, (_, p) => redis.xlen(partitionKeys('', p).outbox)),
    );
    if (lengths.every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`outboxes not drained: ${lengths.join(',')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every ballot and every count, as Postgres (the primary) holds them. */
export async function storedVotes(cluster: Cluster): Promise<StoredVotes> {
  const url = cluster.endpoints.postgres.primary;
  const rows = await pgQuery<{ voter_id: string; llm_id: string; value: number }>(
    url,
    'SELECT voter_id, llm_id, value FROM votes',
  );
  const counts = await pgQuery<{ llm_id: string; upvotes: string; downvotes: string }>(
    url,
    'SELECT llm_id, upvotes, downvotes FROM llm_vote_counts',
  );
  return {
    ballots: new Map(rows.map((r) => [`${r.voter_id}|${r.llm_id}`, Number(r.value)])),
    counts: new Map(
      counts.map((c) => [c.llm_id, { up: Number(c.upvotes), down: Number(c.downvotes) }]),
    ),
  };
}

/** Redis's tallies of the given models (what voters see), from the current primary. */
export async function redisTallies(redis: Redis, models: readonly string[], partitions = 16) {
  const out = new Map<string, { up: number; down: number }>();
  for (const id of models) {
    const keys = partitionKeys('', partitionOf(id, partitions));
    const [up, down] = await redis.hmget(keys.tally(id), 'up', 'down');
    out.set(id, { up: Number(up ?? 0), down: Number(down ?? 0) });
  }
  return out;
}
