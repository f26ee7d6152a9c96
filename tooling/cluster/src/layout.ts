import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Not @llmpt/stack's repoRoot: the CLI reads this module before it loads anything heavy, so a
// bad flag is refused at once.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The default base port: 7100–7199, clear of `npm start`'s ports. */
export const DEFAULT_BASE_PORT = 7100;
/** Ports a cluster may use: base … base + 99. */
export const PORT_SPAN = 100;
export const MAX_APIS = 20;
export const MAX_WORKERS = 20;
/** What `npm start` listens on (its web app, metrics, Postgres and Redis): never ours. */
export const NPM_START_PORTS = [3000, 9463, 9464, 54329, 63790] as const;
/** The name the Sentinels monitor the Redis primary under (the apps' REDIS_MASTER_NAME). */
export const MASTER_NAME = 'llmpt';

/** Every port of a cluster, derived from its base port P. */
export interface Ports {
  /** nginx, plain HTTP: P. (P+1 is kept for its TLS listener.) */
  edge: number;
  /** api i: P+10+i (public, behind nginx). */
  apis: number[];
  /** api i's /metrics: P+30+i. */
  apiMetrics: number[];
  /** worker i's /metrics and /healthz: P+50+i. */
  workerMetrics: number[];
  /** Postgres primary P+70, streaming replica P+71, PgBouncer P+72. */
  postgresPrimary: number;
  postgresReplica: number;
  pgbouncer: number;
  /** Redis nodes: P+80 (created as the primary), P+81 (created as its replica). */
  redis: [number, number];
  /** Sentinels P+90, P+91, P+92. */
  sentinels: [number, number, number];
  /** Monitoring (its processes run unless the cluster is started without it). */
  monitoring: MonitoringPorts;
}

/** The monitoring's ports, from the layout's gaps. (P+97 … P+99: kept for Grafana.) */
export interface MonitoringPorts {
  /** nginx's internal /stub_status listener: P+2. */
  nginxStatus: number;
  /** node_exporter P+73; postgres_exporter of the primary P+74 and the replica P+75. */
  nodeExporter: number;
  postgresExporters: [primary: number, replica: number];
  /**
   * nginx's exporter: P+77. (No PgBouncer exporter: Debian's, 1.7, reads SHOW STATS columns
   * PgBouncer renamed in 1.8 and dies at start; Postgres's own connection counts stand in.)
   */
  nginxExporter: number;
  /** One redis_exporter (multi-target: both nodes and the three Sentinels): P+82. */
  redisExporter: number;
  /** Prometheus P+95, Alertmanager P+96. */
  prometheus: number;
  alertmanager: number;
}

/** What a cluster is asked to be. */
export interface Topology {
  basePort: number;
  apis: number;
  workers: number;
}

/** Bad input: the CLI says it and exits 2, before anything starts. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Checks a topology; throws a UsageError naming what is wrong. */
export function validateTopology(t: Topology): void {
  const whole = (n: number, min: number, max: number) =>
    Number.isInteger(n) && n >= min && n <= max;
  if (!whole(t.apis, 1, MAX_APIS))
    throw new UsageError(`--apis must be a whole number from 1 to ${MAX_APIS} (got ${t.apis})`);
  if (!whole(t.workers, 1, MAX_WORKERS))
    throw new UsageError(
      `--workers must be a whole number from 1 to ${MAX_WORKERS} (got ${t.workers}): without a worker no vote is ever accepted`,
    );
  if (!whole(t.basePort, 1024, 65535 - PORT_SPAN + 1))
    throw new UsageError(
      `--base-port must be a whole number from 1024 to ${65535 - PORT_SPAN + 1} (got ${t.basePort}): the cluster uses it and the ${PORT_SPAN - 1} ports above`,
    );
  const clash = NPM_START_PORTS.find((p) => p >= t.basePort && p < t.basePort + PORT_SPAN);
  if (clash !== undefined)
    throw new UsageError(
      `--base-port ${t.basePort}: its ports ${t.basePort}–${t.basePort + PORT_SPAN - 1} include ${clash}, which \`npm start\` uses; pick another (default ${DEFAULT_BASE_PORT})`,
    );
}

/** The ports of a (valid) topology. */
export function portsOf(t: Topology): Ports {
  const p = t.basePort;
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  return {
    edge: p,
    apis: range(p + 10, t.apis),
    apiMetrics: range(p + 30, t.apis),
    workerMetrics: range(p + 50, t.workers),
    postgresPrimary: p + 70,
    postgresReplica: p + 71,
    pgbouncer: p + 72,
    redis: [p + 80, p + 81],
    sentinels: [p + 90, p + 91, p + 92],
    monitoring: {
      nginxStatus: p + 2,
      nodeExporter: p + 73,
      postgresExporters: [p + 74, p + 75],
      nginxExporter: p + 77,
      redisExporter: p + 82,
      prometheus: p + 95,
      alertmanager: p + 96,
    },
  };
}

/** Every port with what listens on it, for messages ("port 7172 (PgBouncer) is taken"). */
export function namedPorts(ports: Ports): Array<[port: number, what: string]> {
  return [
    [ports.edge, 'nginx'],
    ...ports.apis.map((p, i): [number, string] => [p, `api-${i + 1}`]),
    ...ports.apiMetrics.map((p, i): [number, string] => [p, `api-${i + 1} metrics`]),
    ...ports.workerMetrics.map((p, i): [number, string] => [p, `worker-${i + 1} metrics`]),
    [ports.postgresPrimary, 'Postgres primary'],
    [ports.postgresReplica, 'Postgres replica'],
    [ports.pgbouncer, 'PgBouncer'],
    ...ports.redis.map((p, i): [number, string] => [p, `redis-${i + 1}`]),
    ...ports.sentinels.map((p, i): [number, string] => [p, `sentinel-${i + 1}`]),
    [ports.monitoring.nginxStatus, 'nginx stub_status'],
    [ports.monitoring.nodeExporter, 'node-exporter'],
    [ports.monitoring.postgresExporters[0], 'postgres-exporter-primary'],
    [ports.monitoring.postgresExporters[1], 'postgres-exporter-replica'],
    [ports.monitoring.nginxExporter, 'nginx-exporter'],
    [ports.monitoring.redisExporter, 'redis-exporter'],
    [ports.monitoring.prometheus, 'Prometheus'],
    [ports.monitoring.alertmanager, 'Alertmanager'],
  ];
}

/**
 * Where clusters keep their data: `$DATA_DIR/cluster` (DATA_DIR as `npm start` reads it, default
 * `.data` in the repository).
 */
export function clustersRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.resolve(REPO_ROOT, env.DATA_DIR || '.data'), 'cluster');
}

/** A cluster's data directory: `<clustersRoot>/<base port>`. */
export function clusterDir(basePort: number, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(clustersRoot(env), String(basePort));
}

/** The command line's flags. */
export interface Flags extends Topology {
  detach: boolean;
  wipe: boolean;
  /** False with --no-monitoring: no Prometheus, Alertmanager or exporters. */
  monitoring: boolean;
}

/** The CLI's messages: on stderr, so stdout carries the JSON line alone. */
export const say = (msg: string) => process.stderr.write(`[cluster] ${msg}\n`);

/** The files of one cluster, under `<clustersRoot>/<base port>/`. */
export function pathsOf(dataDir: string) {
  return {
    dataDir,
    state: path.join(dataDir, 'state.json'),
    secrets: path.join(dataDir, 'secrets.json'),
    logs: path.join(dataDir, 'logs'),
    supervisorLog: path.join(dataDir, 'logs', 'supervisor.log'),
    postgres: path.join(dataDir, 'postgres'),
    postgresPrimary: path.join(dataDir, 'postgres', 'primary'),
    postgresReplica: path.join(dataDir, 'postgres', 'replica'),
    /** Written once the primary and the replica's copy are complete. */
    postgresReady: path.join(dataDir, 'postgres', 'bootstrapped'),
    pgbouncer: path.join(dataDir, 'pgbouncer'),
    redis: path.join(dataDir, 'redis'),
    nginx: path.join(dataDir, 'nginx'),
    /** Prometheus's config and TSDB, Alertmanager's config and state, exporters' configs. */
    monitoring: path.join(dataDir, 'monitoring'),
    /** The workers' scheduled backups and archived vote partitions (their own, not `npm start`'s). */
    backups: path.join(dataDir, 'backups'),
    archive: path.join(dataDir, 'archive'),
  };
}

export type ClusterPaths = ReturnType<typeof pathsOf>;
