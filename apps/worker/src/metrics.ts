import { FLAG_STATUSES, INTEGRITY_RULES } from '@llmpt/shared';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  /**
   * Age in ms of each partition's oldest unflushed outbox entry, read at every scrape: the
   * gauge then grows while a partition is stuck, even if no flush job completes.
   */
  outboxAgesMs?: () => Promise<number[]>;
  /**
   * Jobs per BullMQ queue and state (waiting, active, delayed, failed), read at every scrape
   * (and every ops sample) with Queue.getJobCounts.
   */
  queueJobs?: () => Promise<Record<string, Record<string, number>>>;
}

/** The states bullmq_queue_jobs reports: what is queued or running, and what failed for good. */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export function createMetrics(sources: MetricsSources = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    flushBatchSize: new Histogram({
      name: 'flush_batch_size',
      help: 'Outbox events per flush transaction',
      buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
    flushDuration: new Histogram({
      name: 'flush_duration_seconds',
      help: 'Duration of one flush batch: read, Postgres transaction, ack',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    flushedEvents: new Counter({
      name: 'flush_events_total',
      help: 'Outbox events written to Postgres (redeliveries included)',
      registers: [registry],
    }),
    flushedWithoutReplica: new Counter({
      name: 'flush_events_without_replica_total',
      help: 'Outbox events flushed to Postgres while no Redis replica was online to hold them (FLUSH_AFTER_REPLICAS > 0)',
      registers: [registry],
    }),
    outboxLag: new Gauge({
      name: 'outbox_lag_seconds',
      help: 'Age of the oldest unflushed vote event, per partition (read from Redis at scrape time)',
      labelNames: ['partition'] as const,
      registers: [registry],
      async collect() {
        if (!sources.outboxAgesMs) return;
        // Redis unreachable: keep the last values rather than failing the whole scrape.
        const ages = await sources.outboxAgesMs().catch(() => null);
        ages?.forEach((ms, p) => this.set({ partition: String(p) }, ms / 1000));
      },
    }),
    queueJobs: new Gauge({
      name: 'bullmq_queue_jobs',
      help: 'Jobs per BullMQ queue by state: waiting, active, delayed, failed (read from Redis at scrape time)',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        if (!sources.queueJobs) return;
        // Redis unreachable: keep the last values rather than failing the whole scrape.
        const counts = await sources.queueJobs().catch(() => null);
        for (const [queue, states] of Object.entries(counts ?? {}))
          for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      },
    }),
    outboxDeadLetters: new Counter({
      name: 'outbox_dead_letters_total',
      help: 'Outbox entries moved to the dead-letter stream instead of Postgres, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    outboxConsumersRemoved: new Counter({
      name: 'outbox_consumers_removed_total',
      help: 'Dead consumers (idle, nothing pending) removed from the outbox consumer group',
      registers: [registry],
    }),
    publicDumpNewestDay: new Gauge({
      name: 'public_dump_newest_day_timestamp_seconds',
      help: 'Start of the newest UTC day with a public dump (unix seconds; 0: none), after each public-dump run',
      registers: [registry],
    }),
    publicDumpDaysWritten: new Counter({
      name: 'public_dump_days_written_total',
      help: 'Public dump days written or rewritten (unchanged days are not counted)',
      registers: [registry],
    }),
    backupLastSuccess: new Gauge({
      name: 'backup_last_success_timestamp_seconds',
      help: 'When the newest complete backup in BACKUP_DIR was taken (unix seconds; 0: none)',
      registers: [registry],
    }),
    backupEnabled: new Gauge({
      name: 'backup_enabled',
      help: '1 when this worker schedules backups (BACKUP_ENABLED)',
      registers: [registry],
    }),
    backupRuns: new Counter({
      name: 'backup_runs_total',
      help: 'Backups attempted, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    backupBytes: new Gauge({
      name: 'backup_size_bytes',
      help: 'Size of the last successful backup, by part (postgres, redis)',
      labelNames: ['part'] as const,
      registers: [registry],
    }),
    backupDuration: new Gauge({
      name: 'backup_duration_seconds',
      help: 'Duration of the last successful backup',
      registers: [registry],
    }),
    defaultPartitionRows: new Gauge({
      name: 'votes_default_partition_rows',
      help: 'Vote events in user_votes_default (their month had no partition); should be 0',
      registers: [registry],
    }),
    partitionsAhead: new Gauge({
      name: 'votes_partitions_ahead_months',
      help: 'Whole months after the current one that already have a user_votes partition',
      registers: [registry],
    }),
    partitionsDetached: new Counter({
      name: 'votes_partitions_detached_total',
      help: 'Monthly user_votes partitions detached by the retention job',
      registers: [registry],
    }),
    reconcileDrift: new Gauge({
      name: 'reconcile_drift',
      help: 'Differences between Redis and Postgres found by the last reconciliation, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    reconcileLastRun: new Gauge({
      name: 'reconcile_last_run_timestamp_seconds',
      help: 'When the last reconciliation finished (unix seconds)',
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'worker_jobs_total',
      help: 'Jobs processed by name and outcome',
      labelNames: ['name', 'outcome'] as const,
      registers: [registry],
    }),
    rebuilds: new Counter({
      name: 'redis_rebuild_partitions_total',
      help: 'Vote partitions rebuilt in Redis from Postgres',
      registers: [registry],
    }),
    rankerTickDuration: new Histogram({
      name: 'ranker_tick_duration_seconds',
      help: 'Duration of one ranker tick while leader: read tallies, rank, diff, publish',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    rankerDiffs: new Counter({
      name: 'ranker_diffs_total',
      help: 'Rankings diffs published to the stream',
      registers: [registry],
    }),
    rankerDiffEntries: new Histogram({
      name: 'ranker_diff_entries',
      help: 'Entries per published rankings diff',
      buckets: [0, 1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
    rankerTickInterval: new Gauge({
      name: 'ranker_tick_interval_seconds',
      help: 'Time between ranker ticks now: RANKER_TICK_MS, stretched after big diffs (RANKER_MAX_ENTRIES_PER_SEC)',
      registers: [registry],
    }),
    rankerIsLeader: new Gauge({
      name: 'ranker_is_leader',
      help: '1 while this worker is the ranker leader',
      registers: [registry],
    }),
    ...integrityMetrics(registry),
  };
}

/** Ranking integrity (issue 13): the sweep, its rules and the flags' transitions. */
function integrityMetrics(registry: Registry) {
  const ruleFired = new Counter({
    name: 'integrity_rule_fired_total',
    help: 'Times a detection rule flagged ballots (a new flag, or new ballots for its active one), by rule',
    labelNames: ['rule'] as const,
    registers: [registry],
  });
  const votesFlagged = new Counter({
    name: 'integrity_votes_flagged_total',
    help: 'Ballots flagged by the detection rules, by rule',
    labelNames: ['rule'] as const,
    registers: [registry],
  });
  // Every rule present from the start: rate() and "never fired" need a 0 to start from.
  for (const rule of INTEGRITY_RULES) {
    ruleFired.inc({ rule }, 0);
    votesFlagged.inc({ rule }, 0);
  }
  const flags = new Gauge({
    name: 'integrity_flags',
    help: 'Integrity flags by status (as of the last sweep)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  for (const status of FLAG_STATUSES) flags.set({ status }, 0);
  return {
    integrityRuleFired: ruleFired,
    integrityVotesFlagged: votesFlagged,
    integrityVotesVoided: new Counter({
      name: 'integrity_votes_voided_total',
      help: 'Ballots voided for integrity flags (compensating events written)',
      registers: [registry],
    }),
    integrityVotesRestored: new Counter({
      name: 'integrity_votes_restored_total',
      help: 'Ballots restored after their flag was dismissed',
      registers: [registry],
    }),
    integritySweepDuration: new Histogram({
      name: 'integrity_sweep_duration_seconds',
      help: 'Duration of one integrity sweep: read the window, run the rules, raise flags, transitions',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    integrityFlags: flags,
    integrityDetectionDelay: new Histogram({
      name: 'integrity_detection_delay_seconds',
      help: "Time from a new flag's earliest affected vote to the flag being raised",
      buckets: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
