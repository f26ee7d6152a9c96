/**
 * Postgres: connections against the seed's bound (500) and max_connections, transactions and
 * rows, the replica's lag (in bytes on the primary, in seconds as the apis measure it), and
 * PgBouncer's pools in front of both.
 */
import { POOL } from '@llmpt/cluster';

import { dashboard, q, stat, steps, timeseries } from '../panels.ts';
import { datasourceVariable, targetVariable } from '../variables.ts';

/** postgres_exporter of the servers picked in `$instance` (both by default). */
const PG = 'job="postgres",instance=~"$instance"';
/** The app's database (the exporter also reports postgres, template0/1). */
const APP_DB = `${PG},datname="llmpt"`;
const R = '[$__rate_interval]';

export const postgres = () =>
  dashboard({
    uid: 'llmpt-postgres',
    title: 'LLMPT / Postgres',
    description:
      'Connections (seed: < 500), transactions, rows, replication lag of the streaming replica, PgBouncer pools.',
    variables: [datasourceVariable(), targetVariable('instance', 'instance', 'postgres', 'server')],
    rows: [
      {
        title: 'Connections',
        panels: [
          stat({
            title: 'Connections',
            description:
              'Backends on the picked servers, all databases. The seed expects fewer than 500; PgBouncer caps the apps at 25 per server.',
            unit: 'short',
            queries: [q(`sum(pg_stat_database_numbackends{${PG}})`, 'connections')],
            thresholds: steps.dbConnections(),
            width: 6,
          }),
          stat({
            title: 'Highest use of max_connections',
            description: 'Backends over max_connections on the busiest picked server.',
            unit: 'percentunit',
            queries: [
              q(
                `max(sum by (instance) (pg_stat_database_numbackends{${PG}}) / on (instance) max by (instance) (pg_settings_max_connections{${PG}}))`,
                'used',
              ),
            ],
            thresholds: steps.below(0.8),
            width: 6,
          }),
          stat({
            title: 'Transactions /s',
            description: 'Commits and rollbacks per second in the app database.',
            unit: 'ops',
            queries: [
              q(
                `sum(rate(pg_stat_database_xact_commit{${APP_DB}}${R}) + rate(pg_stat_database_xact_rollback{${APP_DB}}${R}))`,
                'tx/s',
              ),
            ],
            width: 6,
          }),
          stat({
            title: 'Replica lag (apis)',
            description:
              'The replica’s replay lag as the apis measure it (they read from it while under DATABASE_REPLICA_MAX_LAG_MS); -1: down, reads go to the primary.',
            unit: 's',
            queries: [q(`max(db_replica_lag_seconds{job="api"})`, 'lag')],
            thresholds: steps.below(5),
            width: 6,
          }),
          timeseries({
            title: 'Connections vs limits',
            description:
              'Backends per server against its max_connections. Dashed: the seed’s bound of 500 connections.',
            unit: 'short',
            queries: [
              q(`sum by (process) (pg_stat_database_numbackends{${PG}})`, '{{process}}'),
              q(
                `max by (process) (pg_settings_max_connections{${PG}})`,
                '{{process}} max_connections',
              ),
            ],
            thresholds: steps.dbConnections(),
            min: 0,
            width: 12,
          }),
          timeseries({
            title: 'Connections by state',
            description:
              'active, idle, idle in transaction (a long one holds locks and vacuum back) per server; states with none are hidden.',
            unit: 'short',
            queries: [
              q(
                `sum by (process, state) (pg_stat_activity_count{${PG}}) > 0`,
                '{{process}} {{state}}',
              ),
            ],
            width: 12,
          }),
        ],
      },
      {
        title: 'Work',
        panels: [
          timeseries({
            title: 'Transactions /s',
            description: 'Commits and rollbacks in the app database, per server.',
            unit: 'ops',
            queries: [
              q(
                `sum by (process) (rate(pg_stat_database_xact_commit{${APP_DB}}${R}))`,
                '{{process}} commit',
              ),
              q(
                `sum by (process) (rate(pg_stat_database_xact_rollback{${APP_DB}}${R}))`,
                '{{process}} rollback',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Rows written /s',
            description:
              'Rows inserted and updated in the app database (the flush writes user_votes and votes; triggers update llm_vote_counts).',
            unit: 'ops',
            queries: [
              q(
                `sum by (process) (rate(pg_stat_database_tup_inserted{${APP_DB}}${R}))`,
                '{{process}} inserted',
              ),
              q(
                `sum by (process) (rate(pg_stat_database_tup_updated{${APP_DB}}${R}))`,
                '{{process}} updated',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Buffer cache hit rate',
            description: 'Blocks found in shared buffers over all block reads, per server.',
            unit: 'percentunit',
            queries: [
              q(
                `sum by (process) (rate(pg_stat_database_blks_hit{${APP_DB}}${R})) / (sum by (process) (rate(pg_stat_database_blks_hit{${APP_DB}}${R})) + sum by (process) (rate(pg_stat_database_blks_read{${APP_DB}}${R})))`,
                '{{process}}',
              ),
            ],
            max: 1,
            width: 12,
          }),
          timeseries({
            title: 'Database size',
            description: 'Size of the app database on each server.',
            unit: 'bytes',
            queries: [q(`max by (process) (pg_database_size_bytes{${APP_DB}})`, '{{process}}')],
            width: 12,
          }),
        ],
      },
      {
        title: 'PgBouncer pools',
        panels: [
          timeseries({
            title: 'Pool connections on each server',
            description: `Connections to the app database on each Postgres server: PgBouncer's server connections (transaction pooling, the llmpt alias to the primary and llmpt_replica to the replica) plus the exporter's own. Dashed: PgBouncer's cap per database (max_db_connections = ${POOL.maxDbConnections}). Clients waiting at PgBouncer are not exported: Debian's PgBouncer exporter does not work with PgBouncer 1.18 (docs/operations.md, "Dashboards").`,
            unit: 'short',
            queries: [
              q(`sum by (process) (pg_stat_activity_count{${APP_DB}})`, '{{process}} open'),
              q(
                `sum by (process) (pg_stat_activity_count{${APP_DB},state="active"})`,
                '{{process}} in a transaction',
              ),
            ],
            thresholds: steps.below(POOL.maxDbConnections),
            min: 0,
            width: 12,
          }),
          timeseries({
            title: 'App pools (per process)',
            description:
              'Each api’s and worker’s own Postgres pool (DATABASE_POOL_MAX, db_pool_max_connections): connections in use and queries waiting for one. Waiting above 0 is an exhausted pool (alert DbPoolExhausted), before PgBouncer or Postgres see the query.',
            unit: 'short',
            queries: [
              q(
                `sum by (process, pool) (db_pool_connections{state="in_use"})`,
                '{{process}} {{pool}} in use',
              ),
              q(
                `sum by (process, pool) (db_pool_connections{state="waiting"})`,
                '{{process}} {{pool}} waiting',
              ),
            ],
            min: 0,
            width: 12,
          }),
        ],
      },
      {
        title: 'Replication',
        panels: [
          timeseries({
            title: 'Replication lag (bytes)',
            description:
              'WAL the replica has not replayed yet, as the primary sees it (pg_stat_replication), and WAL the replica’s slot keeps on the primary (bounded by max_slot_wal_keep_size).',
            unit: 'bytes',
            queries: [
              q(
                `max by (application_name) (pg_stat_replication_pg_wal_lsn_diff{${PG}})`,
                '{{application_name}} replay',
              ),
              q(
                `max by (slot_name) (pg_replication_slots_pg_wal_lsn_diff{${PG}})`,
                'slot {{slot_name}}',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Replica lag seen by each api',
            description:
              'Each api measures the replica’s lag before reading from it; -1 means down or not answering (reads then go to the primary).',
            unit: 's',
            queries: [q(`max by (process) (db_replica_lag_seconds{job="api"})`, '{{process}}')],
            thresholds: steps.below(5),
            width: 12,
          }),
        ],
      },
    ],
  });
