import {
  type Database,
  ensureMonthlyPartitions,
  listLlmIds,
  postgresRebuildSource,
  refreshVoteSummary,
  rollHourlyHistory,
} from '@llmpt/db';
import { type VoteStore, ensureTallies, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';

export interface MaintenanceDeps {
  db: Kysely<Database>;
  store: VoteStore;
  metrics: Metrics;
  log: (msg: string) => void;
}

/** Keeps a month of partitions ahead, so no event lands in the default partition. */
export async function createPartitions(deps: MaintenanceDeps, now = new Date()): Promise<string[]> {
  const created = await ensureMonthlyPartitions(deps.db, now, 3);
  if (created.length > 0) deps.log(`created partitions ${created.join(', ')}`);
  return created;
}

export async function refreshSummary(deps: MaintenanceDeps): Promise<void> {
  await refreshVoteSummary(deps.db);
}

/** Upserts this hour's snapshot (idempotent), so the chart's last point stays current. */
export async function rollHistory(deps: MaintenanceDeps, now = new Date()): Promise<void> {
  const hour = new Date(now);
  hour.setUTCMinutes(0, 0, 0);
  await rollHourlyHistory(deps.db, hour);
}

/**
 * Restores Redis from Postgres where it lost its state (cold start, wiped instance), then makes
 * sure every catalogue model has a tally. Votes on a partition are refused until it is back.
 */
export async function syncRedis(
  deps: MaintenanceDeps,
): Promise<{ rebuilt: number[]; busy: boolean }> {
  const result = await rebuildUnreadyPartitions(deps.store, postgresRebuildSource(deps.db), {
    log: deps.log,
  });
  if (result.partitions.length > 0) {
    deps.metrics.rebuilds.inc(result.partitions.length);
    deps.log(
      `rebuilt vote partitions [${result.partitions.join(',')}] from Postgres: ${result.tallies} tallies, ${result.ballots} ballots`,
    );
  }
  await ensureTallies(deps.store, await listLlmIds(deps.db));
  return { rebuilt: result.partitions, busy: result.busy };
}
