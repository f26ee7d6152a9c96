import cluster from 'node:cluster';

import { type MetricsServer, serveMetrics } from '@llmpt/shared/metrics-server';
import { AggregatorRegistry } from 'prom-client';

import type { Deps } from '../context.ts';
import type { Env } from '../env.ts';

/**
 * /metrics of this api process on its own internal listener (METRICS_HOST:METRICS_PORT,
 * loopback by default), never on the public port. Under WEB_CONCURRENCY the processes share
 * one port, so each hands its registry to the primary instead (see `startClusterMetrics`).
 */
export async function startMetricsListener(deps: Deps): Promise<MetricsServer | null> {
  const { env } = deps;
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([deps.metrics.registry]);
    return null;
  }
  if (env.METRICS_PORT < 0) return null;
  const server = await serveMetrics(deps.metrics.registry, {
    host: env.METRICS_HOST,
    port: env.METRICS_PORT,
  });
  deps.log.info({ url: server.url }, 'metrics listening');
  return server;
}

/**
 * The primary of a WEB_CONCURRENCY cluster serves the sum of its processes' metrics
 * (prom-client's AggregatorRegistry asks each over IPC), on the same internal listener.
 */
export async function startClusterMetrics(env: Env): Promise<MetricsServer | null> {
  if (env.METRICS_PORT < 0) return null;
  const aggregator = new AggregatorRegistry();
  const server = await serveMetrics(
    { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType },
    { host: env.METRICS_HOST, port: env.METRICS_PORT },
  );
  console.log(`[api] metrics of all processes at ${server.url}`);
  return server;
}
