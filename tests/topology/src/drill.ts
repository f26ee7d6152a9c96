import type { Cluster } from '@llmpt/cluster';
import type { Redis } from 'ioredis';

import { outboxDrained, redisTallies, storedVotes, voterIdOf } from './cluster-votes.ts';
import { type LedgerVerdict, type LedgerVoter, VoteLedger, judge } from './ledger.ts';

export interface DrillResult {
  verdict: LedgerVerdict;
  /** The longest stretch without an acknowledged vote from the disruption on, ms. */
  gapMs: number;
  /** Models whose Redis tally and Postgres counts differ at the end. */
  mismatched: string[];
  /** HTTP status → answers (0: no answer). */
  statuses: Record<string, number>;
}

/** Waits until `check` holds, polling; throws naming `what` after `ms`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Until the Redis primary has a replica online and caught up: a drill must not start while the
 * replica is still loading (Sentinel could then promote a half-synced copy: a second failure,
 * not the one under test).
 */
export async function replicaInSync(redis: Redis, ms = 60_000): Promise<void> {
  await until(
    async () => {
      const info = await redis.info('replication').catch(() => '');
      const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? -1);
      const replica = /^slave\d+:.*state=online,offset=(\d+)/m.exec(info);
      return (
        replica !== null && Number(replica[1]) >= offset - 1_000_000 && /role:master/.test(info)
      );
    },
    'a replica online and in sync',
    ms,
  );
}

/**
 * Steady voting through the edge around `disrupt` (which returns when it struck, in ledger ms):
 * 3 s before, until votes are acknowledged again, 4 s after. Then, once the workers have
 * flushed every outbox, every acknowledged vote is compared with Postgres, and Redis's tallies
 * with Postgres's counts.
 */
export async function drill(
  cluster: Cluster,
  redis: Redis,
  voters: LedgerVoter[],
  models: string[],
  disrupt: (ledger: VoteLedger) => Promise<number>,
): Promise<DrillResult> {
  const ledger = new VoteLedger({
    origin: cluster.endpoints.edge,
    voters,
    models,
    // Each voter under nginx's 60 votes/min per address.
    perVoterPerSec: 0.8,
  });
  await replicaInSync(redis);
  const before = (await storedVotes(cluster)).ballots;
  ledger.start();
  await new Promise((r) => setTimeout(r, 3_000));
  const at = await disrupt(ledger);
  await until(
    () => ledger.entries.some((e) => e.outcome === 'acked' && e.sentMs > at + 500),
    'votes acknowledged again',
    90_000,
  );
  await new Promise((r) => setTimeout(r, 4_000));
  await ledger.stop();
  await outboxDrained(redis);
  const stored = await storedVotes(cluster);
  const verdict = judge(
    ledger.entries,
    stored,
    voters.map((v) => voterIdOf(v.cookie)),
    before,
  );
  const tallies = await redisTallies(redis, models);
  const mismatched = models.filter((id) => {
    const t = tallies.get(id)!;
    const c = stored.counts.get(id) ?? { up: 0, down: 0 };
    return t.up !== c.up || t.down !== c.down;
  });
  const statuses: Record<string, number> = {};
  for (const e of ledger.entries) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
  return { verdict, gapMs: ledger.longestGapAfter(at), mismatched, statuses };
}
