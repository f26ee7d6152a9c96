/**
 * The port layout of docker-compose.scale.yml: every port is PORT_PREFIX followed by two digits
 * (PORT_PREFIX=81: nginx on 8100, api 1 on 8111 …), because compose can join strings but not
 * add numbers. The compose file writes each port as `${PORT_PREFIX:-81}NN`; tests/docker checks
 * it against this table, and the Prometheus container renders its scrape targets from it with
 * the cluster's own job list (tooling/cluster's clusterScrapeJobs), so compose and
 * `npm run cluster` expose the same jobs and labels.
 */
import type { Ports } from '../../tooling/cluster/src/layout.ts';

export const DEFAULT_PORT_PREFIX = '81';
/** Largest api and worker replica sets the file declares. */
export const MAX_API_REPLICAS = 8;
export const MAX_WORKER_REPLICAS = 2;

/** Two-digit suffix of each port, by the name the compose file's services use. */
export const PORT_SUFFIX = {
  edge: 0,
  nginxStatus: 1,
  api: 11, // api-i: 10 + i
  apiMetrics: 21, // api-i: 20 + i
  workerMetrics: 31, // worker-i: 30 + i
  postgresPrimary: 40,
  postgresReplica: 41,
  pgbouncer: 42,
  redis: 50, // redis-1, redis-2: 50, 51
  sentinel: 55, // sentinel-1…3: 55, 56, 57
  prometheus: 60,
  alertmanager: 61,
  grafana: 62,
  nodeExporter: 70,
  postgresExporterPrimary: 71,
  postgresExporterReplica: 72,
  redisExporter: 73,
  nginxExporter: 74,
} as const;

/** PORT_PREFIX must make ports of 1024…65535 with every suffix: 2 to 3 digits, no leading 0. */
export function checkPortPrefix(prefix: string): number {
  if (
    !/^[1-9]\d{1,2}$/.test(prefix) ||
    Number(`${prefix}99`) > 65_535 ||
    Number(`${prefix}00`) < 1024
  )
    throw new Error(
      `PORT_PREFIX must be 2 or 3 digits making ports from ${prefix}00 to ${prefix}99 within 1024…65535 (e.g. 81), got "${prefix}"`,
    );
  return Number(prefix) * 100;
}

/** The stack's ports for a prefix, in the cluster's shape (`apis`: the replicas that run). */
export function composePorts(
  prefix: string,
  apiReplicas = 4,
  workerReplicas = MAX_WORKER_REPLICAS,
): Ports {
  const base = checkPortPrefix(prefix);
  const p = (suffix: number) => base + suffix;
  const range = (first: number, n: number) => Array.from({ length: n }, (_, i) => p(first + i));
  return {
    edge: p(PORT_SUFFIX.edge),
    apis: range(PORT_SUFFIX.api, apiReplicas),
    apiMetrics: range(PORT_SUFFIX.apiMetrics, apiReplicas),
    workerMetrics: range(PORT_SUFFIX.workerMetrics, workerReplicas),
    postgresPrimary: p(PORT_SUFFIX.postgresPrimary),
    postgresReplica: p(PORT_SUFFIX.postgresReplica),
    pgbouncer: p(PORT_SUFFIX.pgbouncer),
    redis: [p(PORT_SUFFIX.redis), p(PORT_SUFFIX.redis + 1)],
    sentinels: [p(PORT_SUFFIX.sentinel), p(PORT_SUFFIX.sentinel + 1), p(PORT_SUFFIX.sentinel + 2)],
    monitoring: {
      nginxStatus: p(PORT_SUFFIX.nginxStatus),
      nodeExporter: p(PORT_SUFFIX.nodeExporter),
      postgresExporters: [
        p(PORT_SUFFIX.postgresExporterPrimary),
        p(PORT_SUFFIX.postgresExporterReplica),
      ],
      nginxExporter: p(PORT_SUFFIX.nginxExporter),
      redisExporter: p(PORT_SUFFIX.redisExporter),
      prometheus: p(PORT_SUFFIX.prometheus),
      alertmanager: p(PORT_SUFFIX.alertmanager),
    },
  };
}
