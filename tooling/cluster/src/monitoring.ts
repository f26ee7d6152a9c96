/**
 * The cluster's monitoring: node, Postgres (primary and replica), Redis (nodes and Sentinels, one
 * multi-target exporter) and nginx exporters, Alertmanager and Prometheus, all
 * Debian's, each on 127.0.0.1 with its data under `<data>/monitoring`, each a part of the cluster
 * (devstack's watchdog stops them with it).
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { SYSTEM_COMMANDS, Tier, findOrInstallAll } from '@llmpt/devstack';
import { parseDocument } from 'yaml';

import {
  type AlertmanagerOptions,
  SEVERITIES,
  checkWebhookUrl,
  renderAlertmanagerConfig,
} from '../../../ops/alertmanager/render.ts';
import type { ClusterPaths, Ports } from './layout.ts';
import { APP_DATABASE } from './postgres.ts';
import { httpStatus, pgQuery } from './probes.ts';
import {
  RULES_DIR,
  type ScrapeJob,
  clusterScrapeJobs,
  renderPrometheusConfig,
} from './prometheus-config.ts';
import type { ClusterSecrets } from './secrets.ts';
import { ServerProcess } from './server-process.ts';

/** The Postgres role the exporters connect as: pg_monitor's rights, nothing else. */
export const MONITOR_ROLE = 'llmpt_monitor';

/** What a cluster's monitoring may be asked (all optional; tests shorten the timings). */
export interface MonitoringOptions {
  /** Scrape and rule evaluation interval (default 15 s). */
  scrapeIntervalSec?: number;
  evaluationIntervalSec?: number;
  /**
   * Tests only: every alert's `for:` replaced by this (e.g. '0s'), in a copy of the rules under
   * the data directory; ops/prometheus/rules stays the source and is not touched.
   */
  alertFor?: string;
  /** Alertmanager: webhooks per severity, and (tests) shorter group_wait / group_interval. */
  alertmanager?: AlertmanagerOptions;
  /** How long Prometheus keeps its samples (default 7d). */
  retention?: string;
}

const http = (port: number) => `http://127.0.0.1:${port}`;
const ok = (url: string) => async () => (await httpStatus(url)) === 200;

/**
 * Creates (or updates the password of) the role the Postgres exporters use, on the primary; the
 * replica gets it through replication.
 */
export async function ensureMonitorRole(primaryAdminUrl: string, password: string): Promise<void> {
  const lit = `'${password.replaceAll("'", "''")}'`;
  await pgQuery(
    primaryAdminUrl,
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${MONITOR_ROLE}') THEN
         CREATE ROLE ${MONITOR_ROLE} LOGIN IN ROLE pg_monitor;
       END IF;
       ALTER ROLE ${MONITOR_ROLE} PASSWORD ${lit};
     END $$`,
  );
}

const DURATION = /^\d+(ms|s|m|h)$/;

/**
 * Refuses options Prometheus or Alertmanager would choke on, naming them (startCluster calls it
 * before anything starts).
 */
export function validateMonitoringOptions(o: MonitoringOptions): void {
  for (const [name, n] of Object.entries({
    scrapeIntervalSec: o.scrapeIntervalSec,
    evaluationIntervalSec: o.evaluationIntervalSec,
  }))
    if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 3600))
      throw new Error(`monitoring.${name} must be a whole number of seconds, 1–3600 (got ${n})`);
  for (const [name, d] of Object.entries({
    alertFor: o.alertFor,
    'alertmanager.groupWait': o.alertmanager?.groupWait,
    'alertmanager.groupInterval': o.alertmanager?.groupInterval,
  }))
    if (d !== undefined && !DURATION.test(d))
      throw new Error(`monitoring.${name} must be a duration such as 0s, 30s or 5m (got "${d}")`);
  if (o.retention !== undefined && !/^\d+(h|d|w|y)$/.test(o.retention))
    throw new Error(`monitoring.retention must be such as 12h, 7d or 2w (got "${o.retention}")`);
  for (const [severity, urls] of Object.entries(o.alertmanager?.webhooks ?? {})) {
    if (!(SEVERITIES as readonly string[]).includes(severity))
      throw new Error(
        `monitoring.alertmanager.webhooks: no severity "${severity}" (${SEVERITIES.join(', ')})`,
      );
    for (const url of urls ?? []) checkWebhookUrl(url);
  }
}

/** Copies the rule files with every `for:` set to `alertFor`; returns their directory. */
async function shortenedRules(dir: string, alertFor: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const name of (await readdir(RULES_DIR)).filter((n) => n.endsWith('.yml'))) {
    const doc = parseDocument(await readFile(path.join(RULES_DIR, name), 'utf8'));
    const groups = doc.toJS() as { groups?: Array<{ rules?: Array<Record<string, unknown>> }> };
    for (const group of groups.groups ?? [])
      for (const rule of group.rules ?? []) if ('alert' in rule) rule.for = alertFor;
    await writeFile(path.join(dir, name), JSON.stringify(groups, null, 2));
  }
  return dir;
}

/** The scrape jobs, the rendered configs, and the processes, in start order. */
export async function monitoringServers(c: {
  ports: Ports;
  paths: ClusterPaths;
  secrets: ClusterSecrets;
  basePort: number;
  options: MonitoringOptions;
  logFile: (name: string) => string;
}): Promise<{ jobs: ScrapeJob[]; servers: ServerProcess[] }> {
  const { ports, paths, secrets, options } = c;
  const m = ports.monitoring;
  const dir = paths.monitoring;
  await mkdir(dir, { recursive: true });
  const [nodeBin, postgresBin, nginxBin, redisBin, alertmanagerBin, prometheusBin] =
    await findOrInstallAll([
      SYSTEM_COMMANDS['node-exporter'],
      SYSTEM_COMMANDS['postgres-exporter'],
      SYSTEM_COMMANDS['nginx-exporter'],
      SYSTEM_COMMANDS['redis-exporter'],
      SYSTEM_COMMANDS.alertmanager,
      SYSTEM_COMMANDS.prometheus,
    ]);
  const server = (
    name: string,
    command: string | undefined,
    args: string[],
    ready: () => Promise<boolean>,
    env?: Record<string, string>,
  ) =>
    new ServerProcess({
      name,
      command: command!,
      args,
      env,
      logFile: c.logFile(name),
      // Stopped before the servers they watch, so none of them is reported down at shutdown.
      tier: Tier.app,
      graceMs: 10_000,
      ready,
    });
  const metrics = (port: number) => ok(`${http(port)}/metrics`);

  const postgresDsn = (port: number) =>
    `postgresql://${MONITOR_ROLE}:${encodeURIComponent(secrets.monitorPassword)}@127.0.0.1:${port}/${APP_DATABASE}?sslmode=disable`;
  const postgresExporter = (i: 0 | 1, name: string, pgPort: number) =>
    server(
      name,
      postgresBin,
      [`--web.listen-address=127.0.0.1:${m.postgresExporters[i]}`, '--log.level=warn'],
      metrics(m.postgresExporters[i]),
      // In the environment, not on the command line (`ps` would show the password).
      { DATA_SOURCE_NAME: postgresDsn(pgPort) },
    );

  const servers = [
    server(
      'node-exporter',
      nodeBin,
      [
        `--web.listen-address=127.0.0.1:${m.nodeExporter}`,
        '--log.level=warn',
        // Loopback, overlay and container mounts are not the disks an operator watches.
        '--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|tmpfs)$',
      ],
      metrics(m.nodeExporter),
    ),
    postgresExporter(0, 'postgres-exporter-primary', ports.postgresPrimary),
    postgresExporter(1, 'postgres-exporter-replica', ports.postgresReplica),
    server(
      'nginx-exporter',
      nginxBin,
      [
        `-web.listen-address=127.0.0.1:${m.nginxExporter}`,
        `-nginx.scrape-uri=${http(m.nginxStatus)}/stub_status`,
      ],
      metrics(m.nginxExporter),
    ),
    server(
      'redis-exporter',
      redisBin,
      [
        `-web.listen-address=127.0.0.1:${m.redisExporter}`,
        // No default node: each scrape names its target (/scrape?target=…).
        '-redis.addr=',
      ],
      metrics(m.redisExporter),
    ),
  ];

  await writeFile(
    path.join(dir, 'alertmanager.yml'),
    renderAlertmanagerConfig(options.alertmanager),
  );
  servers.push(
    server(
      'alertmanager',
      alertmanagerBin,
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${m.alertmanager}`,
        // One Alertmanager: no gossip port.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      ok(`${http(m.alertmanager)}/-/ready`),
    ),
  );

  const jobs = clusterScrapeJobs(ports);
  const rules = options.alertFor
    ? await shortenedRules(path.join(dir, 'rules'), options.alertFor)
    : RULES_DIR;
  const config = renderPrometheusConfig({
    jobs,
    ruleFiles: [path.join(rules, '*.yml')],
    alertmanagers: [`127.0.0.1:${m.alertmanager}`],
    scrapeIntervalSec: options.scrapeIntervalSec,
    evaluationIntervalSec: options.evaluationIntervalSec,
    externalLabels: { cluster: `llmpt-${c.basePort}` },
  });
  const prometheusYml = path.join(dir, 'prometheus.yml');
  await writeFile(prometheusYml, `${JSON.stringify(config, null, 2)}\n`);
  servers.push(
    server(
      'prometheus',
      prometheusBin,
      [
        `--config.file=${prometheusYml}`,
        `--storage.tsdb.path=${path.join(dir, 'prometheus')}`,
        `--storage.tsdb.retention.time=${options.retention ?? '7d'}`,
        `--web.listen-address=127.0.0.1:${m.prometheus}`,
        // POST /-/reload re-reads the config and the rules.
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      ok(`${http(m.prometheus)}/-/ready`),
    ),
  );
  return { jobs, servers };
}
