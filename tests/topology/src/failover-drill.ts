/**
 * The Redis failover drill, for the record (docs/operations.md): starts a cluster with votes
 * acknowledged after the replica (`--ack 1`, the default) or not (`--ack 0`), runs steady voting
 * through the edge, kill -9's the Redis primary, and prints one JSON line per run: acknowledged,
 * lost, double-counted, the longest stretch without an acknowledgement.
 *
 * `--stall-ms N` first stops the replica (SIGSTOP) for N ms while voting goes on, then kills the
 * primary and lets the replica go on (SIGCONT): the replica lags behind what the primary
 * acknowledged, which is exactly what WAIT is for.
 *
 *   node --import tsx tests/topology/src/failover-drill.ts [--ack 0|1] [--runs N] [--voters N]
 *                                                         [--stall-ms N]
 */
import { parseArgs } from 'node:util';

import { freeBasePort, startCluster } from '@llmpt/cluster';

import { sentinelClient, votersThroughEdge } from './cluster-votes.ts';
import { drill } from './drill.ts';

const USAGE =
  'usage: failover-drill.ts [--ack 0|1] [--runs 1..20] [--voters 1..500] [--stall-ms 0..10000]';
let args: { ack: '0' | '1'; runs: number; voters: number; stallMs: number };
try {
  const { values } = parseArgs({
    strict: true,
    options: {
      ack: { type: 'string', default: '1' },
      runs: { type: 'string', default: '1' },
      voters: { type: 'string', default: '60' },
      'stall-ms': { type: 'string', default: '0' },
    },
  });
  const runs = Number(values.runs);
  const voters = Number(values.voters);
  if (values.ack !== '0' && values.ack !== '1') throw new Error('--ack must be 0 or 1');
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error('--runs must be 1..20');
  if (!Number.isInteger(voters) || voters < 1 || voters > 500)
    throw new Error('--voters must be 1..500');
  const stallMs = Number(values['stall-ms']);
  if (!Number.isInteger(stallMs) || stallMs < 0 || stallMs > 10_000)
    throw new Error('--stall-ms must be 0..10000');
  args = { ack: values.ack, runs, voters, stallMs };
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
}

const cluster = await startCluster({
  basePort: await freeBasePort(),
  monitoring: false,
  env: {
    VOTE_ACK_REPLICAS: args.ack,
    VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '100000',
    VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '100000',
    LOG_LEVEL: 'warn',
  },
  log: (m) => console.error(`[cluster] ${m}`),
});
const redis = sentinelClient(cluster);
try {
  const list = (await (await fetch(`${cluster.endpoints.edge}/trpc/llm.list`)).json()) as {
    result: { data: { id: string }[] };
  };
  const models = list.result.data.slice(0, 20).map((m) => m.id);
  const voters = await votersThroughEdge(cluster.endpoints.edge, args.voters);
  for (let run = 1; run <= args.runs; run++) {
    let killed = '';
    const r = await drill(cluster, redis, voters, models, async (ledger) => {
      const stalled =
        args.stallMs > 0 ? (await cluster.kill('redis-replica', 'SIGSTOP')).part : null;
      await new Promise((res) => setTimeout(res, args.stallMs));
      const at = ledger.now();
      killed = (await cluster.kill('redis-primary', 'SIGKILL')).part;
      if (stalled) await cluster.kill(stalled, 'SIGCONT');
      return at;
    });
    console.log(
      JSON.stringify({
        run,
        voteAckReplicas: Number(args.ack),
        replicaStalledMs: args.stallMs,
        ...r.verdict,
        windowWithoutAcksSec: Math.round(r.gapMs / 100) / 10,
        redisPostgresMismatches: r.mismatched.length,
        statuses: r.statuses,
      }),
    );
    await cluster.restart(killed);
  }
} finally {
  redis.disconnect();
  await cluster.stop();
}
