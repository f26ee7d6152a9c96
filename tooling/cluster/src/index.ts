// @llmpt/cluster: the production topology on loopback (`npm run cluster`), and its handle for
// tests: nginx, api ×N, worker ×M, PgBouncer in front of a Postgres primary and its streaming
// replica, a Redis primary and replica watched by three Sentinels.
export { startCluster } from './cluster.ts';
export type { ClusterOptions } from './cluster.ts';
export type { Cluster, Part } from './control.ts';
export type { Endpoints } from './endpoints.ts';
export { checkHealth, isHealthy } from './health.ts';
export type { Health } from './health.ts';
export {
  DEFAULT_BASE_PORT,
  MASTER_NAME,
  MAX_APIS,
  MAX_WORKERS,
  NPM_START_PORTS,
  PORT_SPAN,
  UsageError,
  clustersRoot,
  namedPorts,
  pathsOf,
  portsOf,
  validateTopology,
} from './layout.ts';
export type { ClusterPaths, MonitoringPorts, Ports, Topology } from './layout.ts';
export { POOL, REPLICA_ALIAS, showPools } from './pgbouncer.ts';
export type { PoolRow } from './pgbouncer.ts';
export { REPLICA_NAME, REPLICA_SLOT } from './postgres.ts';
export { pgQuery, redisCall, redisInfo } from './probes.ts';
export { SUPERUSER } from './secrets.ts';
export { ClusterError, isAlive, readState, runningClusters } from './state.ts';
export type { ClusterState } from './state.ts';
export { freeBasePort } from './free-base-port.ts';
export { MONITOR_ROLE } from './monitoring.ts';
export type { MonitoringOptions } from './monitoring.ts';
export { RULES_DIR, clusterScrapeJobs, renderPrometheusConfig } from './prometheus-config.ts';
export type { PrometheusConfigOptions, ScrapeJob, ScrapeTarget } from './prometheus-config.ts';
