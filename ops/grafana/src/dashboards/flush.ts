/**
 * Flush and queues: the workers moving outbox events from Redis to Postgres (rate, batch size,
 * duration, lag per partition), the BullMQ jobs behind them, the ranker's leader and ticks, and
 * the integrity sweep (flags, rules firing, votes voided and restored).
 */
import { dashboard, q, stat, steps, timeseries } from '../panels.ts';
import { datasourceVariable, targetVariable } from '../variables.ts';

const WORKER = 'job="worker",instance=~"$instance"';
const R = '[$__rate_interval]';

const quantile = (quantile: number, metric: string) =>
  `histogram_quantile(${quantile}, sum by (le) (rate(${metric}_bucket{${WORKER}}${R})))`;

export const flush = () =>
  dashboard({
    uid: 'llmpt-flush',
    title: 'LLMPT / Flush and queues',
    description:
      'Outbox flush to Postgres (rate, batch size, duration, lag per partition), BullMQ jobs, the ranker leader and its ticks, the integrity sweep.',
    variables: [datasourceVariable(), targetVariable('instance', 'instance', 'worker', 'worker')],
    rows: [
      {
        title: 'Flush',
        panels: [
          stat({
            title: 'Events flushed /s',
            description: 'Outbox events written to Postgres per second (redeliveries included).',
            unit: 'ops',
            queries: [q(`sum(rate(flush_events_total{${WORKER}}${R}))`, 'events/s')],
            width: 6,
          }),
          stat({
            title: 'Oldest unflushed vote',
            description:
              'The largest outbox lag over all partitions: how far Postgres is behind Redis. It grows while a partition is stuck.',
            unit: 's',
            queries: [q(`max(outbox_lag_seconds{${WORKER}})`, 'lag')],
            thresholds: steps.below(30),
            width: 6,
          }),
          stat({
            title: 'Ranker leaders',
            description:
              'Workers holding the ranker lock: exactly one, or the leaderboard stops moving.',
            unit: 'short',
            queries: [q(`sum(ranker_is_leader{${WORKER}})`, 'leaders')],
            thresholds: steps.exactly(1),
            width: 6,
          }),
          stat({
            title: 'Flush p95',
            description: 'One flush batch: read the outbox, one Postgres transaction, ack.',
            unit: 's',
            queries: [q(quantile(0.95, 'flush_duration_seconds'), 'p95')],
            width: 6,
          }),
          timeseries({
            title: 'Flush rate',
            description:
              'Events written to Postgres per second, and flush transactions per second, per worker.',
            unit: 'ops',
            queries: [
              q(`sum by (process) (rate(flush_events_total{${WORKER}}${R}))`, '{{process}} events'),
              q(
                `sum by (process) (rate(flush_batch_size_count{${WORKER}}${R}))`,
                '{{process}} batches',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Outbox lag per partition',
            description:
              'Age of the oldest unflushed vote event in each of the 16 partitions. One partition climbing alone: a stuck flush (poison entry, lost lock).',
            unit: 's',
            queries: [
              q(`max by (partition) (outbox_lag_seconds{${WORKER}})`, 'partition {{partition}}'),
            ],
            thresholds: steps.below(30),
            width: 12,
          }),
          timeseries({
            title: 'Batch size',
            description:
              'Outbox events per flush transaction (p50, p95, and the mean); at most 5,000.',
            unit: 'short',
            queries: [
              q(quantile(0.5, 'flush_batch_size'), 'p50'),
              q(quantile(0.95, 'flush_batch_size'), 'p95'),
              q(
                `sum(rate(flush_batch_size_sum{${WORKER}}${R})) / sum(rate(flush_batch_size_count{${WORKER}}${R}))`,
                'mean',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Flush duration',
            description: 'One flush batch, p50 / p95 / p99.',
            unit: 's',
            queries: [
              q(quantile(0.5, 'flush_duration_seconds'), 'p50'),
              q(quantile(0.95, 'flush_duration_seconds'), 'p95'),
              q(quantile(0.99, 'flush_duration_seconds'), 'p99'),
            ],
            width: 12,
          }),
        ],
      },
      {
        title: 'Jobs',
        panels: [
          timeseries({
            title: 'BullMQ jobs by name and outcome',
            description:
              'Jobs processed per second: flush:pN per partition, sync-redis, maintenance; failed ones show as outcome=failed.',
            unit: 'ops',
            queries: [
              q(
                `sum by (name, outcome) (rate(worker_jobs_total{${WORKER}}${R}))`,
                '{{name}} {{outcome}}',
              ),
            ],
            stacked: true,
            width: 12,
          }),
          timeseries({
            title: 'Replica safety',
            description:
              'Partitions rebuilt in Redis from Postgres, and events flushed while no Redis replica held them (FLUSH_AFTER_REPLICAS): both 0 in steady state.',
            unit: 'ops',
            queries: [
              q(`sum(rate(redis_rebuild_partitions_total{${WORKER}}${R}))`, 'partitions rebuilt'),
              q(
                `sum(rate(flush_events_without_replica_total{${WORKER}}${R}))`,
                'flushed without replica',
              ),
            ],
            width: 12,
          }),
        ],
      },
      {
        title: 'Ranker',
        panels: [
          timeseries({
            title: 'Ranker leader',
            description:
              '1 on the worker holding the ranker lock; the lock passes to another worker when it stops renewing.',
            unit: 'short',
            queries: [q(`max by (process) (ranker_is_leader{${WORKER}})`, '{{process}}')],
            min: 0,
            max: 1,
            width: 6,
          }),
          timeseries({
            title: 'Diffs published /s',
            description:
              'Rankings diffs the leader published: one per tick in which some tally changed.',
            unit: 'ops',
            queries: [q(`sum(rate(ranker_diffs_total{${WORKER}}${R}))`, 'diffs/s')],
            width: 6,
          }),
          timeseries({
            title: 'Tick interval and duration',
            description:
              'The time between ticks now (RANKER_TICK_MS, stretched after big diffs by RANKER_MAX_ENTRIES_PER_SEC), and one tick while leader (read tallies, rank, publish), p95.',
            unit: 's',
            queries: [
              q(
                `max by (process) (ranker_tick_interval_seconds{${WORKER}})`,
                '{{process}} interval',
              ),
              q(quantile(0.95, 'ranker_tick_duration_seconds'), 'tick p95'),
            ],
            width: 6,
          }),
          timeseries({
            title: 'Entries per published diff',
            description: 'Models whose tally or rank changed in a published diff (p50, p95).',
            unit: 'short',
            queries: [
              q(quantile(0.5, 'ranker_diff_entries'), 'p50'),
              q(quantile(0.95, 'ranker_diff_entries'), 'p95'),
            ],
            width: 6,
          }),
        ],
      },
      {
        title: 'Integrity',
        panels: [
          stat({
            title: 'Flags waiting for review',
            description:
              'Integrity flags open: their votes are out of the ranking until an admin confirms or dismisses them (/admin/integrity). Alert IntegrityFlagsWaiting after 30 minutes.',
            unit: 'short',
            queries: [q(`max(integrity_flags{${WORKER},status="open"})`, 'open')],
            thresholds: steps.below(1),
            width: 6,
          }),
          timeseries({
            title: 'Rules firing',
            description:
              'Ballots flagged per second by each detection rule (a new flag, or new ballots for an active one).',
            unit: 'ops',
            queries: [
              q(`sum by (rule) (rate(integrity_votes_flagged_total{${WORKER}}${R}))`, '{{rule}}'),
            ],
            stacked: true,
            width: 6,
          }),
          timeseries({
            title: 'Votes voided and restored /s',
            description:
              "Compensating events written by the flags' transitions: voided when a flag is raised, restored when one is dismissed.",
            unit: 'ops',
            queries: [
              q(`sum(rate(integrity_votes_voided_total{${WORKER}}${R}))`, 'voided'),
              q(`sum(rate(integrity_votes_restored_total{${WORKER}}${R}))`, 'restored'),
            ],
            width: 6,
          }),
          timeseries({
            title: 'Sweep duration',
            description:
              'One integrity sweep (every INTEGRITY_SWEEP_MS): read the window, run the rules, raise flags, move transitions; p50 / p95.',
            unit: 's',
            queries: [
              q(quantile(0.5, 'integrity_sweep_duration_seconds'), 'p50'),
              q(quantile(0.95, 'integrity_sweep_duration_seconds'), 'p95'),
            ],
            width: 6,
          }),
        ],
      },
      {
        title: 'Open data',
        panels: [
          stat({
            title: 'Newest public dump',
            description:
              'The newest UTC day with a public data dump (/api/v1/dumps; written at 00:15 UTC for the day before). 1970-01-01: none yet. Alert PublicDumpBehind when it began over 52 hours ago.',
            unit: 'dateTimeAsIsoNoDateIfToday',
            queries: [q(`max(public_dump_newest_day_timestamp_seconds{${WORKER}}) * 1000`, 'day')],
            width: 6,
          }),
          timeseries({
            title: 'Public dump days written',
            description:
              'Days written or rewritten by the public-dump job per hour (a rerun of an unchanged day writes nothing).',
            unit: 'short',
            queries: [
              q(`sum(increase(public_dump_days_written_total{${WORKER}}[1h]))`, 'days written'),
            ],
            width: 6,
          }),
        ],
      },
    ],
  });
