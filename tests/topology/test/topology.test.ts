// The production topology (npm run cluster) under use and under failure: nginx in front of two
// apis, two workers, PgBouncer over a Postgres primary and streaming replica, Redis primary and
// replica under three Sentinels — real servers on loopback, killed for real.
import { request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';

import { type Cluster, freeBasePort, pgQuery, startCluster } from '@llmpt/cluster';
import { Voter } from '@llmpt/e2e/stack';
import { boardOf, follow, serverBoard } from '@llmpt/e2e/live';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sentinelClient, voterIdOf, votersThroughEdge } from '../src/cluster-votes.ts';
import { drill, until } from '../src/drill.ts';
import type { LedgerVoter } from '../src/ledger.ts';

let cluster: Cluster;
let redis: Redis;
let models: string[];
let voters: LedgerVoter[];

beforeAll(async () => {
  cluster = await startCluster({
    basePort: await freeBasePort(),
    apis: 2,
    workers: 2,
    // Failures and votes, not alerts (tests/monitoring): no Prometheus or exporters.
    monitoring: false,
    env: {
      // Every ledger voter is a new voter on its own /24; the front-door limits are tested
      // elsewhere (apps/api, tests/edge).
      VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '100000',
      VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '100000',
      RANKER_TICK_MS: '100',
      LOG_LEVEL: 'warn',
    },
  });
  redis = sentinelClient(cluster);
  const list = (await (await fetch(`${cluster.endpoints.edge}/trpc/llm.list`)).json()) as {
    result: { data: { id: string }[] };
  };
  models = list.result.data.slice(0, 20).map((m) => m.id);
  voters = await votersThroughEdge(cluster.endpoints.edge, 40);
});

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

const metric = async (url: string, name: string) => {
  const text = await (await fetch(url)).text();
  const m = new RegExp(`^${name} (-?[\\d.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

describe('the topology in use', () => {
  it('a vote on either api is seen live by a subscriber connected through nginx', async () => {
    const sub = follow(cluster.endpoints.edge);
    try {
      await until(() => sub.state.snapshots === 1, 'the snapshot');
      for (const [i, api] of cluster.endpoints.apis.entries()) {
        const ack = await new Voter().client(api).vote.cast.mutate({ llmId: models[i]!, value: 1 });
        await until(
          () => sub.state.board.get(models[i]!)?.up === ack.up,
          `the vote on api ${i + 1}`,
        );
      }
    } finally {
      await sub.stop();
    }
  });

  it('lag-tolerant reads come from the replica; with the replica down they fall back to the primary', async () => {
    const [api] = cluster.endpoints.apis as [string];
    const [apiMetrics] = cluster.endpoints.apiMetrics as [string];
    const replica = cluster.endpoints.postgres.replica;
    const commits = async () =>
      Number(
        (
          await pgQuery<{ n: string }>(
            replica,
            'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
          )
        )[0]!.n,
      );
    await until(
      async () => ((await metric(apiMetrics, 'db_replica_lag_seconds')) ?? -1) >= 0,
      'the replica measured',
    );
    const history = (days: number) =>
      new Voter().client(api).llm.history.query({ id: models[0]!, days });
    const before = await commits();
    for (let i = 0; i < 30; i++) await history(1 + (i % 90));
    // Each history read is a transaction on the replica (through PgBouncer's replica alias);
    // backends report their counts when idle, within ~10 s.
    await until(
      async () => (await commits()) - before >= 30,
      '30 transactions on the replica',
      20_000,
    );

    await cluster.kill('postgres-replica', 'SIGKILL');
    try {
      await until(
        async () => (await metric(apiMetrics, 'db_replica_lag_seconds')) === -1,
        'the replica marked down',
      );
      const points = await history(7);
      expect(points.llmId).toBe(models[0]);
    } finally {
      await cluster.restart('postgres-replica');
    }
    await until(
      async () => ((await metric(apiMetrics, 'db_replica_lag_seconds')) ?? -1) >= 0,
      'the replica back',
    );
  });
});

/** POSTs one vote straight to an api from `localAddress`; answers the HTTP status. */
function castFrom(api: string, localAddress: string, cookie: string, llmId: string, value: number) {
  return new Promise<number>((resolve, reject) => {
    const body = JSON.stringify({ llmId, value });
    const req = request(
      `${api}/trpc/vote.cast`,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', cookie, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the rate limits under Sentinel (issue 14: folded into the vote script)', () => {
  it('are exact across both apis: the 61st vote of a minute is refused and the counters hold 60', async () => {
    const [apiA, apiB] = cluster.endpoints.apis as [string, string];
    const address = '127.3.0.1'; // an address no other test votes from
    const { cookie } = (await votersThroughEdge(cluster.endpoints.edge, 1))[0]!;
    const statuses: number[] = [];
    // Up and down on the same models: every request is a vote the limits count.
    for (let i = 0; i < 62; i++) {
      const api = i % 2 === 0 ? apiA : apiB;
      statuses.push(await castFrom(api, address, cookie, models[i % 5]!, i % 10 < 5 ? 1 : -1));
    }
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(60)).toEqual([429, 429]);
    // Through the Sentinels to the primary: exactly the requests let through, none of the refused.
    expect(await redis.get(`rl:vote:voter:${voterIdOf(cookie)}`)).toBe('60');
    expect(await redis.get(`rl:vote:ip:${address}`)).toBe('60');
  });
});

describe('the topology under failure', () => {
  it('kill -9 of an api: its subscribers reconnect through nginx to the other and resume; no vote is lost', async () => {
    const subs = Array.from({ length: 12 }, () => follow(cluster.endpoints.edge));
    try {
      await until(() => subs.every((s) => s.state.snapshots >= 1), 'every snapshot');
      const result = await drill(cluster, redis, voters, models, async (ledger) => {
        const at = ledger.now();
        await cluster.kill('api-1', 'SIGKILL');
        return at;
      });
      expect(result.verdict.lost).toBe(0);
      expect(result.verdict.doubleCounted).toBe(0);
      expect(result.mismatched).toEqual([]);
      // Every subscriber ends with exactly the server's board, whichever api it ended up on.
      const api2 = cluster.endpoints.apis[1]!;
      await until(
        async () => {
          const board = await serverBoard(api2);
          return subs.every((s) => isDeepStrictEqual(boardOf(s.state), board));
        },
        'every subscriber equal to the server',
        30_000,
      );
    } finally {
      await Promise.all(subs.map((s) => s.stop()));
      await cluster.restart('api-1');
    }
  });

  it('kill -9 of a worker while it flushes: the other worker takes over; nothing lost or doubled', async () => {
    const result = await drill(cluster, redis, voters, models, async (ledger) => {
      const at = ledger.now();
      await cluster.kill('worker-1', 'SIGKILL');
      return at;
    });
    expect(result.verdict.lost).toBe(0);
    expect(result.verdict.doubleCounted).toBe(0);
    expect(result.mismatched).toEqual([]);
    await cluster.restart('worker-1');
  });

  it('kill -9 of the Redis primary: the replica is promoted, apps follow it, voting resumes; no acknowledged vote is lost or counted twice (WAIT 1)', async () => {
    const before = await cluster.redisPrimary();
    let killed = '';
    const result = await drill(cluster, redis, voters, models, async (ledger) => {
      const at = ledger.now();
      killed = (await cluster.kill('redis-primary', 'SIGKILL')).part;
      return at;
    });
    expect(await cluster.redisPrimary()).not.toBe(before);
    console.log(
      `[failover] Redis primary killed: ${JSON.stringify(result.verdict)}, statuses ${JSON.stringify(result.statuses)}; longest stretch without an acknowledged vote ${(result.gapMs / 1000).toFixed(1)} s`,
    );
    expect(result.verdict.acked).toBeGreaterThan(100);
    expect(result.verdict.lost).toBe(0);
    expect(result.verdict.doubleCounted).toBe(0);
    expect(result.mismatched).toEqual([]);
    // The old primary comes back as a replica of the new one.
    await cluster.restart(killed);
  });
});
