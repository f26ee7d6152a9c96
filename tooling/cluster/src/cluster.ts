import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { SYSTEM_COMMANDS, findOrInstallAll } from '@llmpt/devstack';
import {
  type AppProcess,
  type Exit,
  type Stack,
  buildWebIfStale,
  bundleIfStale,
  createStack,
  prepareDatabase,
  waitUntil,
  webDist,
} from '@llmpt/stack';

import { type Cluster, controlCluster } from './control.ts';
import { EDGE_PROXY_BIND, EdgePart, type EdgeOptions } from './edge.ts';
import { endpointsOf } from './endpoints.ts';
import {
  DEFAULT_BASE_PORT,
  MASTER_NAME,
  type Topology,
  clustersRoot,
  pathsOf,
  portsOf,
  validateTopology,
} from './layout.ts';
import { pgbouncerServer, pgbouncerUrls, writePgbouncerConfig } from './pgbouncer.ts';
import {
  bootstrapPostgres,
  postgresRuntime,
  postgresServer,
  postgresUrls,
  replicationState,
} from './postgres.ts';
import { redisNode, redisSettled, sentinel, writeRedisConfigs } from './redis.ts';
import {
  type MonitoringOptions,
  ensureMonitorRole,
  monitoringServers,
  validateMonitoringOptions,
} from './monitoring.ts';
import { loadSecrets } from './secrets.ts';
import type { ServerPart } from './server-process.ts';
import { assertCanStart, removeState, writeState } from './state.ts';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Default 7100: every port is derived from it (see layout.ts). */
  basePort?: number;
  /** api processes (default 2). */
  apis?: number;
  /** worker processes (default 2). */
  workers?: number;
  /** Default `$DATA_DIR/cluster/<basePort>` (DATA_DIR default `.data`). */
  dataDir?: string;
  /** Added to every api and worker's environment, e.g. LOG_LEVEL or a rate limit for a test. */
  env?: Record<string, string | undefined>;
  /** Hears progress ("starting 8 apis"). */
  log?: (msg: string) => void;
  /** Aborting stops a pending start (what was started is stopped, then it rejects). */
  signal?: AbortSignal;
  /** A part exited on its own (crash, or a signal sent with kill()). */
  onExit?: (part: string, exit: Exit) => void;
  /**
   * The edge's configuration beyond its addresses (nginx/render.ts): rate limits, TLS, an
   * access log, `proxyBind` (default 127.0.0.2; the apis trust that address).
   */
  edge?: EdgeOptions;
  /**
   * Prometheus, Alertmanager and the exporters (default on; `false` leaves them out, for tests
   * that do not need them). An object: on, with its timings and receivers (see MonitoringOptions).
   */
  monitoring?: boolean | MonitoringOptions;
}

/**
 * Starts the production topology on loopback: Postgres primary + streaming replica behind
 * PgBouncer (transaction pooling), a Redis primary + replica watched by three Sentinels, the
 * worker and api processes (@llmpt/stack), and nginx in front. Resolves once every part is
 * healthy and votes are accepted through the api; on failure or abort stops what it started and
 * rejects. Every process is registered with devstack's watchdog: none outlives this one.
 *
 * Migrations and the seed run on the primary directly (as the app role), not through PgBouncer.
 * Writes `state.json` into the data directory while it runs (`npm run cluster -- status`).
 * @see ../../../docs/operations.md (Running the topology)
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const topology: Topology = {
    basePort: opts.basePort ?? DEFAULT_BASE_PORT,
    apis: opts.apis ?? 2,
    workers: opts.workers ?? 2,
  };
  validateTopology(topology);
  const monitoring: MonitoringOptions | null =
    opts.monitoring === false
      ? null
      : opts.monitoring === true || opts.monitoring === undefined
        ? {}
        : opts.monitoring;
  if (monitoring) validateMonitoringOptions(monitoring);
  const ports = portsOf(topology);
  const dataDir = path.resolve(
    opts.dataDir ?? path.join(clustersRoot(), String(topology.basePort)),
  );
  await assertCanStart(path.dirname(dataDir), topology, ports);
  const log = opts.log ?? (() => undefined);
  const paths = pathsOf(dataDir);
  await mkdir(paths.logs, { recursive: true });
  const secrets = await loadSecrets(paths.secrets);
  const endpoints = endpointsOf(topology, ports, secrets, dataDir, monitoring !== null);
  const logFile = (name: string) => path.join(paths.logs, `${name}.log`);
  const proxyBind = opts.edge?.proxyBind ?? EDGE_PROXY_BIND;
  // Claimed from the start: a second `up` on these ports is refused even before they are bound,
  // and `down` can stop a cluster that is still starting.
  await writeState({
    ...topology,
    supervisorPid: process.pid,
    dataDir,
    startedAt: new Date().toISOString(),
    endpoints,
    pids: {},
    ready: false,
  });

  const [redisBin, sentinelBin, pgbouncerBin, nginxBin] = await findOrInstallAll([
    SYSTEM_COMMANDS['redis-server'],
    SYSTEM_COMMANDS['redis-sentinel'],
    SYSTEM_COMMANDS.pgbouncer,
    SYSTEM_COMMANDS.nginx,
  ]);
  const servers = new Map<string, ServerPart>();
  const onExit = (part: string, exit: Exit) => {
    log(`${part} exited (${exit.signal ?? exit.code})`);
    opts.onExit?.(part, exit);
  };
  const add = <T extends ServerPart>(server: T): T => {
    server.onUnexpectedExit = onExit;
    servers.set(server.name, server);
    return server;
  };
  const appLogs = new Map<string, number>();
  const monitored: string[] = [];
  let stack: Stack | undefined;
  let stopping: Promise<void> | undefined;

  const stopAll = () =>
    (stopping ??= (async () => {
      const stop = async (names: string[]) => {
        const running = names.map((n) => servers.get(n)).filter((s) => s !== undefined);
        await Promise.all(running.map((s) => s.stop().catch(() => undefined)));
      };
      // Monitoring first: nothing it watches is reported down while the cluster stops.
      await stop(monitored);
      await stop(['nginx']);
      await stack?.stop();
      // The Sentinels first: seeing the primary go, they would fail over to the replica.
      await stop(['sentinel-1', 'sentinel-2', 'sentinel-3', 'pgbouncer']);
      await stop(['redis-2', 'postgres-replica']);
      await stop(['redis-1', 'postgres-primary']);
      for (const fd of appLogs.values()) closeSync(fd);
      appLogs.clear();
      await removeState(dataDir);
    })());

  try {
    const direct = postgresUrls(ports, secrets);
    await mkdir(paths.postgres, { recursive: true });
    const runtime = await postgresRuntime(paths);
    const startPostgres = async () => {
      await bootstrapPostgres(paths, ports, secrets, log);
      const primary = add(
        postgresServer({
          name: 'postgres-primary',
          dataDir: paths.postgresPrimary,
          port: ports.postgresPrimary,
          standby: false,
          adminUrl: direct.primaryAdmin,
          runtime,
          logFile: logFile('postgres-primary'),
        }),
      );
      const replica = add(
        postgresServer({
          name: 'postgres-replica',
          dataDir: paths.postgresReplica,
          port: ports.postgresReplica,
          standby: true,
          adminUrl: direct.replicaAdmin,
          runtime,
          logFile: logFile('postgres-replica'),
        }),
      );
      log('starting the Postgres primary and its streaming replica');
      await primary.start(opts.signal);
      await replica.start(opts.signal);
      await waitUntil(
        'the replica streaming from the primary',
        async () => (await replicationState(direct.primaryAdmin)) === 'streaming',
        { signal: opts.signal },
      );
      log('migrating and seeding the primary (directly, not through PgBouncer)');
      await prepareDatabase(direct.primary);
      if (monitoring) await ensureMonitorRole(direct.primaryAdmin, secrets.monitorPassword);
    };
    const startRedis = async () => {
      await writeRedisConfigs(paths.redis, ports);
      log('starting Redis (primary + replica) and three Sentinels');
      const nodes = ports.redis.map((port, index) =>
        add(
          redisNode({
            index,
            binary: redisBin!,
            dir: paths.redis,
            port,
            logFile: logFile(`redis-${index + 1}`),
          }),
        ),
      );
      await Promise.all(nodes.map((n) => n.start(opts.signal)));
      const sentinels = ports.sentinels.map((port, index) =>
        add(
          sentinel({
            index,
            binary: sentinelBin!,
            dir: paths.redis,
            port,
            logFile: logFile(`sentinel-${index + 1}`),
          }),
        ),
      );
      await Promise.all(sentinels.map((s) => s.start(opts.signal)));
      await waitUntil(
        'the Sentinels to agree on the primary and see its replica',
        () => redisSettled(ports),
        {
          signal: opts.signal,
        },
      );
    };
    const build = async () => {
      await buildWebIfStale(log, opts.signal);
      await bundleIfStale(['api', 'worker'], log);
    };
    const results = await Promise.allSettled([startPostgres(), startRedis(), build()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const pgbouncerIni = await writePgbouncerConfig(paths.pgbouncer, ports, secrets, runtime.runAs);
    const pooled = pgbouncerUrls(ports, secrets);
    log('starting PgBouncer (transaction pooling)');
    await add(
      pgbouncerServer({
        binary: pgbouncerBin!,
        ini: pgbouncerIni,
        adminUrl: pooled.admin,
        runAs: runtime.runAs,
        logFile: logFile('pgbouncer'),
      }),
    ).start(opts.signal);

    log(`starting ${topology.workers} worker(s) and ${topology.apis} api(s)`);
    stack = createStack({
      apis: topology.apis,
      workers: topology.workers,
      apiPorts: ports.apis,
      apiMetricsPorts: ports.apiMetrics,
      workerMetricsPorts: ports.workerMetrics,
      env: {
        DATABASE_URL: pooled.primary,
        DATABASE_REPLICA_URL: pooled.replica,
        REDIS_SENTINELS: endpoints.redis.sentinels.join(','),
        REDIS_MASTER_NAME: MASTER_NAME,
        // Not the caller's: with Sentinels a REDIS_URL would still pick the password and db.
        REDIS_URL: undefined,
        REDIS_PREFIX: undefined,
        VOTER_COOKIE_SECRET: secrets.voterCookieSecret,
      },
      appEnv: {
        api: {
          // The address nginx connects from: only its X-Forwarded-For is believed.
          TRUST_PROXY: proxyBind,
          // A vote is acknowledged once the Redis replica has it too (WAIT 1).
          VOTE_ACK_REPLICAS: '1',
          DATABASE_POOL_MAX: '10',
          // nginx serves the SPA.
          WEB_DIST: undefined,
          // The admin page links to the cluster's Prometheus (it runs no Grafana).
          PROMETHEUS_URL: endpoints.prometheus ?? undefined,
          ...opts.env,
        },
        worker: {
          DATABASE_POOL_MAX: '4',
          // A batch goes to Postgres only once the Redis replica holds it too.
          FLUSH_AFTER_REPLICAS: '1',
          // The cluster's own: the workers' retention prunes only this cluster's backups.
          BACKUP_DIR: paths.backups,
          PARTITION_ARCHIVE_DIR: paths.archive,
          ...opts.env,
        },
      },
      stdout: (name) => appLog(appLogs, name, logFile(name)),
      stderr: (name) => appLog(appLogs, name, logFile(name)),
      onExit: (proc: AppProcess, exit) => onExit(proc.name, exit),
      signal: opts.signal,
      log,
    });
    for (let i = 0; i < topology.workers; i++) await stack.addWorker();
    for (let i = 0; i < topology.apis; i++) await stack.addApi();
    await stack.waitReady(opts.signal);

    log('starting nginx');
    await add(
      new EdgePart({
        prefix: paths.nginx,
        nginxPath: nginxBin,
        config: {
          ...opts.edge,
          listen: `127.0.0.1:${ports.edge}`,
          webRoot: webDist(),
          apiServers: ports.apis.map((p) => `127.0.0.1:${p}`),
          proxyBind,
          ...(monitoring ? { statusListen: `127.0.0.1:${ports.monitoring.nginxStatus}` } : {}),
        },
      }),
    ).start(opts.signal);

    if (monitoring) {
      log('starting the exporters, Alertmanager and Prometheus');
      const { servers: parts } = await monitoringServers({
        ports,
        paths,
        secrets,
        basePort: topology.basePort,
        options: monitoring,
        logFile,
      });
      for (const part of parts) monitored.push(add(part).name);
      await Promise.all(parts.map((p) => p.start(opts.signal)));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  return controlCluster({
    topology,
    ports,
    endpoints,
    paths,
    secrets,
    servers,
    stack,
    stop: stopAll,
  });
}

/** One log file per app process, kept open across its restarts. */
function appLog(open: Map<string, number>, name: string, file: string): number {
  let fd = open.get(name);
  if (fd === undefined) {
    fd = openSync(file, 'a');
    open.set(name, fd);
  }
  return fd;
}
