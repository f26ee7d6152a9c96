/**
 * Redis: memory against maxmemory (it runs with noeviction: full means votes refused), command
 * and client load, replication between the two nodes, and what the Sentinels see.
 */
import { dashboard, gauge, q, stat, steps, timeseries } from '../panels.ts';
import { datasourceVariable, targetVariable } from '../variables.ts';

/** The Redis nodes picked in `$instance` (both by default), through redis_exporter. */
const RS = 'job="redis",instance=~"$instance"';
const SENTINEL = 'job="redis-sentinel"';
const R = '[$__rate_interval]';
/** Keeps the series of the node that is the primary now (roles change with a failover). */
const ON_PRIMARY = `and on (instance) redis_instance_info{${RS},role="master"}`;

export const redis = () =>
  dashboard({
    uid: 'llmpt-redis',
    title: 'LLMPT / Redis',
    description: 'Memory vs maxmemory (noeviction), commands, clients, replication and Sentinels.',
    variables: [datasourceVariable(), targetVariable('instance', 'instance', 'redis', 'node')],
    rows: [
      {
        title: 'Memory',
        panels: [
          gauge({
            title: 'Memory used of the limit',
            description:
              'used_memory over maxmemory per node; where maxmemory is 0 (no limit), over the host’s RAM. With noeviction, reaching the limit refuses every write: votes, outbox, BullMQ.',
            unit: 'percentunit',
            queries: [
              q(
                `max by (process) (redis_memory_used_bytes{${RS}} / (redis_memory_max_bytes{${RS}} > 0)) or max by (process) (redis_memory_used_bytes{${RS}}) / on () group_left () max(node_memory_MemTotal_bytes{job="node"})`,
                '{{process}}',
              ),
            ],
            thresholds: steps.below(0.8),
            width: 8,
            height: 8,
          }),
          timeseries({
            title: 'Memory used vs maxmemory',
            description:
              'used_memory and RSS per node, and its maxmemory (0: no limit, then the host’s RAM is the limit). The outbox and BullMQ grow here while Postgres is down.',
            unit: 'bytes',
            queries: [
              q(`max by (process) (redis_memory_used_bytes{${RS}})`, '{{process}} used'),
              q(`max by (process) (redis_memory_used_rss_bytes{${RS}})`, '{{process}} rss'),
              q(`max by (process) (redis_memory_max_bytes{${RS}})`, '{{process}} maxmemory'),
            ],
            min: 0,
            width: 16,
          }),
        ],
      },
      {
        title: 'Load',
        panels: [
          timeseries({
            title: 'Commands /s',
            description:
              'Commands processed per second, per node (the replica applies the primary’s writes).',
            unit: 'ops',
            queries: [
              q(
                `sum by (process) (rate(redis_commands_processed_total{${RS}}${R}))`,
                '{{process}}',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Clients',
            description:
              'Connected clients per node (apis, workers, BullMQ, Sentinels, the replica), and clients blocked in a blocking command (the apis’ XREAD of the diff stream, BullMQ).',
            unit: 'short',
            queries: [
              q(`max by (process) (redis_connected_clients{${RS}})`, '{{process}} connected'),
              q(`max by (process) (redis_blocked_clients{${RS}})`, '{{process}} blocked'),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Network',
            description: 'Bytes received and sent per second, per node.',
            unit: 'Bps',
            queries: [
              q(
                `sum by (process) (rate(redis_net_input_bytes_total{${RS}}${R}))`,
                '{{process}} in',
              ),
              q(
                `sum by (process) (rate(redis_net_output_bytes_total{${RS}}${R}))`,
                '{{process}} out',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Keys',
            description: 'Keys per node (ballots, tallies, outboxes, sessions, limits, BullMQ).',
            unit: 'short',
            queries: [q(`sum by (process) (redis_db_keys{${RS}})`, '{{process}}')],
            width: 12,
          }),
        ],
      },
      {
        title: 'Replication and Sentinels',
        panels: [
          stat({
            title: 'Primaries',
            description:
              'Nodes that say they are the primary: exactly one (two after a partition would be a split brain).',
            unit: 'short',
            queries: [q(`count(redis_instance_info{${RS},role="master"})`, 'primaries')],
            thresholds: steps.exactly(1),
            width: 6,
          }),
          stat({
            title: 'Replicas attached',
            description:
              'Replicas connected to the primary. 0: votes are acknowledged on the primary alone (VOTE_ACK_WITHOUT_REPLICA) and flushes wait.',
            unit: 'short',
            queries: [q(`sum(redis_connected_slaves{${RS}} ${ON_PRIMARY})`, 'replicas')],
            thresholds: steps.atLeast(1),
            width: 6,
          }),
          timeseries({
            title: 'Replica behind the primary',
            description:
              'Replication stream the replica has not acknowledged yet (bytes), from the primary’s point of view.',
            unit: 'bytes',
            queries: [
              q(
                `max by (slave_port) (redis_master_repl_offset{${RS}} - on (instance) group_right () redis_connected_slave_offset_bytes{${RS}})`,
                'replica :{{slave_port}}',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Sentinels’ view',
            description:
              'Per Sentinel: the Sentinels and replicas it sees healthy for the master `llmpt` (3 and 1 expected); quorum is 2.',
            unit: 'short',
            queries: [
              q(
                `max by (process) (redis_sentinel_master_ok_sentinels{${SENTINEL}})`,
                '{{process}} sentinels',
              ),
              q(
                `max by (process) (redis_sentinel_master_ok_slaves{${SENTINEL}})`,
                '{{process}} replicas',
              ),
            ],
            min: 0,
            width: 12,
          }),
          timeseries({
            title: 'Replica link',
            description: '1 while the replica’s link to its primary is up.',
            unit: 'short',
            queries: [q(`max by (process) (redis_master_link_up{${RS}})`, '{{process}}')],
            min: 0,
            max: 1,
            width: 12,
          }),
        ],
      },
    ],
  });
