import cluster from 'node:cluster';

import { buildApp } from './app.ts';
import { closeDeps, createDeps, startDeps } from './deps.ts';
import { loadEnv } from './env.ts';
import { attachWebSockets } from './realtime/ws-server.ts';

const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const env = loadEnv();
  if (env.WEB_CONCURRENCY > 1 && cluster.isPrimary) return runCluster(env.WEB_CONCURRENCY);
  const deps = createDeps(env);
  await startDeps(deps);
  const app = await buildApp(deps);
  const ws = attachWebSockets(app, deps);
  await app.listen({ host: env.HOST, port: env.PORT });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    // Clients reconnect (with their last event id) to another instance while this one drains.
    ws.broadcastReconnectNotification();
    void ws
      .close()
      .then(() => app.close())
      .then(() => closeDeps(deps))
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * WEB_CONCURRENCY processes share the port (node:cluster); one process may hold at most ~20,000
 * open files here, so many sockets need several. A worker that dies is replaced.
 */
function runCluster(n: number): void {
  let stopping = false;
  let quickDeaths = 0;
  const forkedAt = new Map<number, number>();
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
  const stop = (code = 0) => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(code);
    for (const w of workers) w?.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
    });
  };
  process.on('SIGTERM', () => stop());
  process.on('SIGINT', () => stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
