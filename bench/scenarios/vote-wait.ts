import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { startRedisServer } from '@llmpt/devstack';
import { Redis } from 'ioredis';

import { budgetOf } from '../lib/budget.ts';
import { httpFigures, ratio } from '../lib/figures.ts';
import { assertFewErrors, runLoad } from '../lib/load.ts';
import { deleteKeysWithPrefix } from '../lib/redis-keys.ts';
import { startBenchStack, waitUntil } from '../lib/stack.ts';
import type { Scenario, ScenarioResult } from '../lib/types.ts';
import { signedVoters } from '../lib/voters.ts';

/**
 * What acknowledging a vote only once a Redis replica holds it costs (VOTE_ACK_REPLICAS=1: the
 * api's `WAIT 1`, coalesced on the vote connection): the `vote` workload against one api process,
 * first without the wait, then with it, with the same replica attached to the bench's Redis in
 * both runs (so replication itself costs the same). `waitRatio` = votes/s with / without.
 */
export const scenario: Scenario = {
  name: 'voteWait',
  describe: 'vote.cast with and without waiting for a Redis replica (WAIT 1)',
  async run(ctx) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-bench-replica-'));
    const replica = await startRedisServer({ dataDir: dir, appendOnly: false });
    const primary = new URL(ctx.redisUrl);
    const client = new Redis(replica.url);
    try {
      await client.replicaof(primary.hostname, Number(primary.port || 6379));
      await waitUntil(
        async () => /master_link_status:up/.test(await client.info('replication')),
        60_000,
      );
      const without = await measure(ctx, '0');
      const withWait = await measure(ctx, '1');
      const result: ScenarioResult = {};
      for (const [k, v] of Object.entries(without)) result[`noWait${cap(k)}`] = v;
      for (const [k, v] of Object.entries(withWait)) result[`wait${cap(k)}`] = v;
      result.waitRatio = ratio(withWait.rps, without.rps);
      return result;
    } finally {
      await client.replicaof('NO', 'ONE').catch(() => undefined);
      client.disconnect();
      await replica.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function measure(
  ctx: Parameters<Scenario['run']>[0],
  ackReplicas: '0' | '1',
): Promise<ScenarioResult> {
  const b = budgetOf(ctx.opts);
  const stack = await startBenchStack(ctx, {
    apis: 1,
    workers: 1,
    env: { VOTE_ACK_REPLICAS: ackReplicas, VOTE_ACK_TIMEOUT_MS: '1000' },
  });
  try {
    const origin = stack.apiUrls[0]!;
    const list = (await (await fetch(`${origin}/trpc/llm.list`)).json()) as {
      result: { data: { id: string }[] };
    };
    const models = list.result.data.map((m) => m.id);
    const cookies = signedVoters(stack.env.VOTER_COOKIE_SECRET!, b.voters);
    ctx.log(`voteWait: VOTE_ACK_REPLICAS=${ackReplicas}`);
    const r = await runLoad(ctx.repoRoot, {
      origin,
      workload: { kind: 'vote', path: '/trpc/vote.cast', models, cookies, body: 'single' },
      connections: b.connections,
      warmupSec: b.warmupSec,
      durationSec: b.durationSec,
      maxRequests: b.maxRequests,
    });
    assertFewErrors(`voteWait (${ackReplicas})`, r);
    return httpFigures(r);
  } finally {
    await stack.stop();
    await deleteKeysWithPrefix(ctx.redisUrl, stack.prefix);
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
