import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Ports } from './layout.ts';

/** ops/prometheus/rules: the one source of alert rules (cluster, compose, Kubernetes). */
export const RULES_DIR = fileURLToPath(new URL('../../../ops/prometheus/rules/', import.meta.url));

/** One scrape target: where to scrape, and the labels its series get. */
export interface ScrapeTarget {
  /** host:port that is scraped (an exporter's, for the multi-target Redis exporter). */
  address: string;
  labels: Record<string, string>;
}

/** One scrape job: its name is the `job` label of its series. */
export interface ScrapeJob {
  job: string;
  /** Default /metrics. */
  metricsPath?: string;
  targets: ScrapeTarget[];
}

const local = (port: number) => `127.0.0.1:${port}`;

/**
 * What Prometheus scrapes in a cluster, every process separately (never through nginx). Every
 * series has `job` (api, worker, nginx, postgres, redis, redis-sentinel, node,
 * prometheus, alertmanager), `instance` (host:port of the process itself, also behind an
 * exporter) and `process` (the cluster's part name: api-1, worker-2, postgres-primary, redis-1,
 * sentinel-3, nginx, node, prometheus, alertmanager); Postgres series also `role`
 * (primary / replica). Redis's roles change with a failover: `redis_instance_info{role}` says
 * which node is the primary now.
 */
export function clusterScrapeJobs(ports: Ports): ScrapeJob[] {
  const m = ports.monitoring;
  const one = (port: number, process: string): ScrapeTarget => ({
    address: local(port),
    labels: { process },
  });
  // redis_exporter's multi-target endpoint: /scrape?target=redis://host:port.
  const viaRedisExporter = (port: number, process: string): ScrapeTarget => ({
    address: local(m.redisExporter),
    labels: { process, instance: local(port), __param_target: `redis://${local(port)}` },
  });
  return [
    { job: 'api', targets: ports.apiMetrics.map((p, i) => one(p, `api-${i + 1}`)) },
    { job: 'worker', targets: ports.workerMetrics.map((p, i) => one(p, `worker-${i + 1}`)) },
    // nginx's exporter reads its stub_status; instance is the edge's public address.
    {
      job: 'nginx',
      targets: [
        {
          address: local(m.nginxExporter),
          labels: { process: 'nginx', instance: local(ports.edge) },
        },
      ],
    },
    {
      job: 'postgres',
      targets: [
        {
          address: local(m.postgresExporters[0]),
          labels: {
            process: 'postgres-primary',
            role: 'primary',
            instance: local(ports.postgresPrimary),
          },
        },
        {
          address: local(m.postgresExporters[1]),
          labels: {
            process: 'postgres-replica',
            role: 'replica',
            instance: local(ports.postgresReplica),
          },
        },
      ],
    },
    {
      job: 'redis',
      metricsPath: '/scrape',
      targets: ports.redis.map((p, i) => viaRedisExporter(p, `redis-${i + 1}`)),
    },
    {
      job: 'redis-sentinel',
      metricsPath: '/scrape',
      targets: ports.sentinels.map((p, i) => viaRedisExporter(p, `sentinel-${i + 1}`)),
    },
    { job: 'node', targets: [one(m.nodeExporter, 'node')] },
    { job: 'prometheus', targets: [one(m.prometheus, 'prometheus')] },
    { job: 'alertmanager', targets: [one(m.alertmanager, 'alertmanager')] },
  ];
}

export interface PrometheusConfigOptions {
  jobs: ScrapeJob[];
  /** Globs of rule files. */
  ruleFiles: string[];
  /** host:port of each Alertmanager. */
  alertmanagers: string[];
  /** Default 15 s for both. */
  scrapeIntervalSec?: number;
  evaluationIntervalSec?: number;
  /** On every series and alert (e.g. `cluster: llmpt-7100`). */
  externalLabels?: Record<string, string>;
}

/**
 * Prometheus's configuration as an object (its YAML is written with JSON.stringify: JSON is
 * YAML). One static_config per target, so each carries its own labels.
 */
export function renderPrometheusConfig(o: PrometheusConfigOptions): Record<string, unknown> {
  const scrape = o.scrapeIntervalSec ?? 15;
  return {
    global: {
      scrape_interval: `${scrape}s`,
      // A scrape never outlasts its interval.
      scrape_timeout: `${Math.min(10, scrape)}s`,
      evaluation_interval: `${o.evaluationIntervalSec ?? 15}s`,
      external_labels: o.externalLabels ?? {},
    },
    rule_files: o.ruleFiles.map((f) => path.resolve(f)),
    alerting: {
      alertmanagers: o.alertmanagers.length
        ? [{ static_configs: [{ targets: o.alertmanagers }] }]
        : [],
    },
    scrape_configs: o.jobs.map((j) => ({
      job_name: j.job,
      metrics_path: j.metricsPath ?? '/metrics',
      static_configs: j.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
    })),
  };
}
