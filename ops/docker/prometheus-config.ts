/**
 * The Prometheus container's configuration, rendered at its start from the environment:
 * the cluster's scrape jobs (tooling/cluster/src/prometheus-config.ts, the one definition of
 * jobs and labels) over the compose port layout, and the rules of ops/prometheus/rules.
 *
 *   PORT_PREFIX=81 API_REPLICAS=4 node ops/docker/prometheus-config.ts RULES_DIR > prometheus.yml
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  clusterScrapeJobs,
  renderPrometheusConfig,
} from '../../tooling/cluster/src/prometheus-config.ts';
import { DEFAULT_PORT_PREFIX, MAX_API_REPLICAS, composePorts } from './compose-ports.ts';

/** A replica count from the environment: a whole number from 1 to max. */
export function replicaCount(
  name: string,
  value: string | undefined,
  fallback: number,
  max: number,
): number {
  const raw = value ?? String(fallback);
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw new Error(`${name} must be a whole number from 1 to ${max}, got "${raw}"`);
  return Number(raw);
}

/** The configuration object for an environment (PORT_PREFIX, API_REPLICAS). */
export function composePrometheusConfig(
  env: NodeJS.ProcessEnv,
  rulesDir: string,
): Record<string, unknown> {
  const apis = replicaCount('API_REPLICAS', env.API_REPLICAS, 4, MAX_API_REPLICAS);
  const prefix = env.PORT_PREFIX ?? DEFAULT_PORT_PREFIX;
  const ports = composePorts(prefix, apis);
  return renderPrometheusConfig({
    jobs: clusterScrapeJobs(ports),
    ruleFiles: [`${rulesDir.replace(/\/$/, '')}/*.yml`],
    alertmanagers: [`127.0.0.1:${ports.monitoring.alertmanager}`],
    externalLabels: { cluster: `llmpt-compose-${prefix}` },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    const rules = process.argv[2] ?? '/etc/prometheus/rules';
    process.stdout.write(
      `${JSON.stringify(composePrometheusConfig(process.env, rules), null, 2)}\n`,
    );
  } catch (err) {
    console.error(`prometheus-config: ${(err as Error).message}`);
    process.exit(2);
  }
}
