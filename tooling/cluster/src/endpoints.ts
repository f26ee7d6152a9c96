import { MASTER_NAME, type Ports, type Topology } from './layout.ts';
import { pgbouncerUrls } from './pgbouncer.ts';
import { postgresUrls } from './postgres.ts';
import type { ClusterSecrets } from './secrets.ts';

/**
 * Every address of a running cluster: the JSON line `up` and `status` print. The Postgres URLs
 * carry the app role's password (generated per data directory, loopback only), so a test or a
 * psql can use them as they are.
 */
export interface Endpoints {
  /** nginx: the site, /trpc, /healthz. */
  edge: string;
  /** Each api directly (http://127.0.0.1:port). */
  apis: string[];
  /** Each worker's /metrics (its /healthz is beside it). */
  workers: string[];
  postgres: {
    /** The primary, directly (migrations, read-your-writes checks). */
    primary: string;
    /** The streaming replica, directly. */
    replica: string;
    /** The primary through PgBouncer: the apps' DATABASE_URL. */
    pgbouncer: string;
    /** The replica through PgBouncer (alias llmpt_replica): the apps' DATABASE_REPLICA_URL. */
    pgbouncerReplica: string;
  };
  redis: {
    /** host:port of the three Sentinels: the apps' REDIS_SENTINELS. */
    sentinels: string[];
    masterName: string;
    /** host:port of the two nodes (which one is the primary: ask a Sentinel). */
    nodes: string[];
  };
  /** Each api's /metrics. */
  apiMetrics: string[];
  /** Prometheus (http://127.0.0.1:P+95) and Alertmanager (P+96); null: started without them. */
  prometheus: string | null;
  alertmanager: string | null;
  basePort: number;
  dataDir: string;
}

const http = (port: number, suffix = '') => `http://127.0.0.1:${port}${suffix}`;

export function endpointsOf(
  t: Topology,
  ports: Ports,
  secrets: ClusterSecrets,
  dataDir: string,
  monitoring: boolean,
): Endpoints {
  const direct = postgresUrls(ports, secrets);
  const pooled = pgbouncerUrls(ports, secrets);
  return {
    edge: http(ports.edge),
    apis: ports.apis.map((p) => http(p)),
    workers: ports.workerMetrics.map((p) => http(p, '/metrics')),
    postgres: {
      primary: direct.primary,
      replica: direct.replica,
      pgbouncer: pooled.primary,
      pgbouncerReplica: pooled.replica,
    },
    redis: {
      sentinels: ports.sentinels.map((p) => `127.0.0.1:${p}`),
      masterName: MASTER_NAME,
      nodes: ports.redis.map((p) => `127.0.0.1:${p}`),
    },
    apiMetrics: ports.apiMetrics.map((p) => http(p, '/metrics')),
    prometheus: monitoring ? http(ports.monitoring.prometheus) : null,
    alertmanager: monitoring ? http(ports.monitoring.alertmanager) : null,
    basePort: t.basePort,
    dataDir,
  };
}
