import type { Queue } from 'bullmq';

import type { Env } from '../env.ts';

export const QUEUE_FLUSH = 'vote-flush';
export const QUEUE_MAINTENANCE = 'maintenance';

export type MaintenanceJob =
  'refresh-summary' | 'create-partitions' | 'roll-history' | 'sync-redis';

/** Repeat schedule of each maintenance job. */
const MAINTENANCE: Record<MaintenanceJob, { every?: number; pattern?: string }> = {
  'sync-redis': { every: 5_000 },
  'refresh-summary': { every: 5 * 60_000 },
  'roll-history': { every: 5 * 60_000 },
  'create-partitions': { pattern: '0 0 3 * * *' },
};

/**
 * Declares every job scheduler (idempotent upserts: each worker process may run this at start;
 * schedulers for partitions beyond VOTE_PARTITIONS are removed).
 * @see https://docs.bullmq.io/guide/job-schedulers
 */
export async function upsertSchedules(env: Env, flush: Queue, maintenance: Queue): Promise<void> {
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
  for (const [name, repeat] of Object.entries(MAINTENANCE)) {
    await maintenance.upsertJobScheduler(name, repeat, { name, opts: jobOpts });
  }
}
