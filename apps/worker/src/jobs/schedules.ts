import type { Queue } from 'bullmq';

import type { Env } from '../env.ts';

// One definition of the queue names, shared with the api's BullMQ board (/admin/queues).
export { QUEUE_BACKGROUND, QUEUE_FLUSH, QUEUE_MAINTENANCE } from '@llmpt/shared';

export type MaintenanceJob =
  | 'refresh-summary'
  | 'roll-history'
  | 'sync-redis'
  | 'outbox-consumers'
  | 'integrity-sweep'
  | 'integrity-apply';
export type BackgroundJob = 'partitions' | 'backup' | 'reconcile' | 'public-dump';

type Repeat = { every: number; startDate?: number } | { pattern: string; tz?: string };

/**
 * The id of the public dump's catch-up job, added at each worker start: while one waits, the
 * other workers starting add none.
 */
export const PUBLIC_DUMP_CATCH_UP_JOB_ID = 'public-dump-catch-up';

/**
 * Repeat schedule of each maintenance job; null: run on demand only (`integrity-apply` is added
 * by the api when an admin dismisses a flag, so its ballots come back at once).
 */
function maintenance(env: Env): Record<MaintenanceJob, Repeat | null> {
  return {
    'sync-redis': { every: 5_000 },
    'refresh-summary': { every: 5 * 60_000 },
    'roll-history': { every: 5 * 60_000 },
    'outbox-consumers': { every: 10 * 60_000 },
    'integrity-sweep': { every: env.INTEGRITY_SWEEP_MS },
    'integrity-apply': null,
  };
}

/** Background jobs and their schedule; null: not scheduled (turned off in the env). */
function background(env: Env): Record<BackgroundJob, Repeat | null> {
  return {
    partitions: { every: 60 * 60_000 },
    backup: env.BACKUP_ENABLED ? { pattern: env.BACKUP_CRON } : null,
    // A new scheduler runs its first reconciliation one interval from now, not at once: it is
    // created by the first worker of a deployment, right after its cold start rebuilt Redis
    // from Postgres (nothing to find yet), while the outbox may hold a backlog that the
    // reconciliation would read whole and hold each partition's flush for (issue 14: half the
    // worker's CPU draining 200,000 events). An existing scheduler keeps its next run (BullMQ
    // reads startDate only when it has none).
    reconcile:
      env.RECONCILE_EVERY_MS > 0
        ? { every: env.RECONCILE_EVERY_MS, startDate: Date.now() + env.RECONCILE_EVERY_MS }
        : null,
    // The previous UTC day's open data, by default at 00:15 UTC (whatever the host's zone).
    'public-dump': { pattern: env.PUBLIC_DUMP_CRON, tz: 'UTC' },
  };
}

/** Schedulers of earlier versions, removed when found. */
const RETIRED = ['create-partitions'];

/**
 * Declares every job scheduler (idempotent upserts: each worker process may run this at start;
 * schedulers for partitions beyond VOTE_PARTITIONS, and for jobs turned off, are removed).
 * @see https://docs.bullmq.io/guide/job-schedulers
 */
export async function upsertSchedules(
  env: Env,
  flush: Queue,
  maintenanceQueue: Queue,
  backgroundQueue: Queue,
): Promise<void> {
  const jobOpts = { removeOnComplete: 100, removeOnFail: 500, attempts: 1 };
  for (let p = 0; p < env.VOTE_PARTITIONS; p++) {
    await flush.upsertJobScheduler(
      `flush:p${p}`,
      { every: env.FLUSH_EVERY_MS },
      {
        name: 'flush',
        data: { partition: p },
        opts: jobOpts,
      },
    );
  }
  for (const scheduler of await flush.getJobSchedulers()) {
    const p = Number(/^flush:p(\d+)$/.exec(scheduler.key)?.[1] ?? -1);
    if (p >= env.VOTE_PARTITIONS) await flush.removeJobScheduler(scheduler.key);
  }
  for (const [name, repeat] of Object.entries(maintenance(env))) {
    if (repeat) await maintenanceQueue.upsertJobScheduler(name, repeat, { name, opts: jobOpts });
  }
  for (const name of RETIRED) await maintenanceQueue.removeJobScheduler(name);
  for (const [name, repeat] of Object.entries(background(env))) {
    if (repeat) await backgroundQueue.upsertJobScheduler(name, repeat, { name, opts: jobOpts });
    else await backgroundQueue.removeJobScheduler(name);
  }
}
