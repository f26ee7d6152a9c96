import cluster from 'node:cluster';

import { buildApp } from './app.ts';
import { closeDeps, createDeps, startDeps } from './deps.ts';
import { type Env, loadEnv } from './env.ts';
import { startClusterMetrics, startMetricsListener } from './http/metrics-listener.ts';
import { attachWebSockets } from './realtime/ws-server.ts';

/** A stop request always ends the process within this long, whatever it was doing. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Calls `stop` on SIGTERM, SIGINT, or when the IPC channel from the process that started us
 * closes (`npm start` or a test runner gave us one and died, even by SIGKILL). Installed before
 * anything else, so a stop request during start-up is honoured too.
 */
function onStopRequest(stop: (reason: string) => void): void {
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (process.channel) process.once('disconnect', () => stop('parent process exited'));
}

async function main(): Promise<void> {
  const env = loadEnv();
  if (env.WEB_CONCURRENCY > 1 && cluster.isPrimary) return runCluster(env);

  // Synchronous, so the stop handlers below still come before any signal can be handled.
  const deps = createDeps(env);
  // What a stop request closes grows with start-up: at first the connections, at the end the
  // listeners too, clients being told to reconnect elsewhere while this process drains.
  let close = () => closeDeps(deps);
  let stopping = false;
  onStopRequest((reason) => {
    if (stopping) return;
    stopping = true;
    deps.log.info({ reason }, 'shutting down');
    setTimeout(() => {
      deps.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        deps.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });

  await startDeps(deps);
  if (stopping) return;
  const app = await buildApp(deps);
  const ws = attachWebSockets(app, deps);
  close = async () => {
    await app.close();
    await closeDeps(deps);
  };
  if (stopping) return;
  await app.listen({ host: env.HOST, port: env.PORT });
  if (stopping) return;
  const metrics = await startMetricsListener(deps);
  close = async () => {
    // Clients reconnect (with their last event id) to another instance while this one drains.
    ws.broadcastReconnectNotification();
    await ws.close();
    await metrics?.close();
    await app.close();
    await closeDeps(deps);
  };
}

/**
 * WEB_CONCURRENCY processes share the port (node:cluster); one process may hold at most ~20,000
 * open files here, so many sockets need several. A worker that dies is replaced. Its processes
 * exit with the primary (node:cluster closes their IPC channel).
 */
async function runCluster(env: Env): Promise<void> {
  const n = env.WEB_CONCURRENCY;
  let stopping = false;
  let quickDeaths = 0;
  const forkedAt = new Map<number, number>();
  const stop = (code = 0) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS).unref();
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(code);
    for (const w of workers) w?.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
    });
  };
  onStopRequest(() => stop());
  await startClusterMetrics(env);
  if (stopping) return;
  const fork = () => {
    const w = cluster.fork();
    forkedAt.set(w.id, Date.now());
  };
  for (let i = 0; i < n; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    // A process that dies right after starting (port taken, bad config) would only die again.
    const quick = Date.now() - (forkedAt.get(worker.id) ?? 0) < 10_000;
    quickDeaths = quick ? quickDeaths + 1 : 0;
    if (quickDeaths >= 3) {
      console.error('[api] processes keep exiting at start; giving up');
      stop(1);
      return;
    }
    console.error(
      `[api] process ${worker.process.pid} exited (${signal ?? code}); starting another`,
    );
    fork();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
