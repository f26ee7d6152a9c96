import {
  type Database,
  type DetachedPartition,
  analyzeUserVotes,
  clearOldSignals,
  detachOldPartitions,
  ensureMonthlyPartitions,
  partitionHealth,
  listLlmIds,
  postgresRebuildSource,
  refreshVoteSummary,
  rollHourlyHistory,
} from '@llmpt/db';
import { type VoteStore, ensureTallies, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import type { Kysely } from 'kysely';

import type { Env } from '../env.ts';
import type { Metrics } from '../metrics.ts';

export interface MaintenanceDeps {
  db: Kysely<Database>;
  store: VoteStore;
  metrics: Metrics;
  log: (msg: string) => void;
  env: Pick<
    Env,
    | 'DATABASE_URL'
    | 'PARTITION_RETENTION_MONTHS'
    | 'PARTITION_ARCHIVE'
    | 'PARTITION_ARCHIVE_DIR'
    | 'INTEGRITY_SIGNAL_RETENTION_DAYS'
    | 'RANK_MIN_VOTES'
  >;
}

const DAY_MS = 86_400_000;

/** Months of user_votes partitions kept ahead of the current one. */
export const PARTITIONS_AHEAD = 3;

/**
 * The partition housekeeping, hourly: keeps PARTITIONS_AHEAD months of partitions ahead (so no
 * event lands in the default partition), detaches months older than PARTITION_RETENTION_MONTHS,
 * ANALYZEs user_votes after any change, exports votes_default_partition_rows and
 * votes_partitions_ahead_months, and ends the retention of old events' signals
 * (clearSignals).
 */
export async function maintainPartitions(
  deps: MaintenanceDeps,
  now = new Date(),
): Promise<{ created: string[]; detached: DetachedPartition[]; signalsCleared: number }> {
  const created = await ensureMonthlyPartitions(deps.db, now, PARTITIONS_AHEAD);
  if (created.length > 0) {
    deps.log(`created partitions ${created.join(', ')}`);
    await analyzeUserVotes(deps.db);
  }
  const detached = await detachOldPartitions(deps.db, {
    keepMonths: deps.env.PARTITION_RETENTION_MONTHS,
    archive: deps.env.PARTITION_ARCHIVE,
    archiveDir: deps.env.PARTITION_ARCHIVE_DIR,
    databaseUrl: deps.env.DATABASE_URL,
    now,
  });
  for (const d of detached)
    deps.log(`detached partition ${d.name}${d.archivedTo ? ` → ${d.archivedTo}` : ' (dropped)'}`);
  deps.metrics.partitionsDetached.inc(detached.length);
  const health = await partitionHealth(deps.db, now);
  deps.metrics.defaultPartitionRows.set(health.defaultRows);
  deps.metrics.partitionsAhead.set(health.monthsAhead);
  const signalsCleared = await clearSignals(deps, now);
  return { created, detached, signalsCleared };
}

/**
 * Signal retention (issue 13): events older than INTEGRITY_SIGNAL_RETENTION_DAYS lose their
 * signal hashes and marks, in hour-wide created_at ranges (each its own short UPDATE, see
 * clearOldSignals). Runs with the hourly partition housekeeping, so each run has about an
 * hour of events to clear; the detection sweep only ever reads recent events.
 * @returns the events cleared.
 */
export async function clearSignals(deps: MaintenanceDeps, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - deps.env.INTEGRITY_SIGNAL_RETENTION_DAYS * DAY_MS);
  const { cleared, steps } = await clearOldSignals(deps.db, { before });
  if (cleared > 0)
    deps.log(
      `cleared the signals of ${cleared} vote events older than ${before.toISOString()} (${steps} ranges)`,
    );
  return cleared;
}

export async function refreshSummary(deps: MaintenanceDeps): Promise<void> {
  await refreshVoteSummary(deps.db);
}

/**
 * Upserts this hour's snapshot (idempotent), so the chart's last point stays current; ranks by
 * the live board's rule (RANK_MIN_VOTES: fewer votes, no rank).
 */
export async function rollHistory(deps: MaintenanceDeps, now = new Date()): Promise<void> {
  const hour = new Date(now);
  hour.setUTCMinutes(0, 0, 0);
  await rollHourlyHistory(deps.db, hour, { minVotes: deps.env.RANK_MIN_VOTES });
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
      `rebuilt vote partitions [${result.partitions.join(',')}] from Postgres: ${result.tallies} tallies, ${result.ballots} ballots, ${result.voided} voided ballots`,
    );
  }
  await ensureTallies(deps.store, await listLlmIds(deps.db));
  return { rebuilt: result.partitions, busy: result.busy };
}
