import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { Databases, registerPoolMetrics } from '@llmpt/db';
import { type MetricsServer, serveMetrics } from '@llmpt/shared/metrics-server';
import {
  ConfigChannel,
  IntegrityStore,
  OpsSampler,
  OutboxReader,
  VoteStore,
  createRedis,
  outboxAgesMs,
  redisTargetOf,
} from '@llmpt/vote-store';
import { type Job, Queue, Worker } from 'bullmq';
import { pino } from 'pino';

import type { Env } from './env.ts';
import { listBackups, runBackup } from './jobs/backup.processor.ts';
import { thresholdsOf } from './integrity/config.ts';
import { integrityApply, integritySweep } from './integrity/sweep.ts';
import { flushPartition } from './jobs/flush.processor.ts';
import {
  type MaintenanceDeps,
  maintainPartitions,
  refreshSummary,
  rollHistory,
  syncRedis,
} from './jobs/maintenance.processor.ts';
import { removeDeadConsumers } from './jobs/outbox.processor.ts';
import { runPublicDumps } from './jobs/public-dump.processor.ts';
import { reconcile } from './jobs/reconcile.processor.ts';
import {
  type BackgroundJob,
  type MaintenanceJob,
  QUEUE_BACKGROUND,
  QUEUE_FLUSH,
  QUEUE_MAINTENANCE,
  PUBLIC_DUMP_CATCH_UP_JOB_ID,
  upsertSchedules,
} from './jobs/schedules.ts';
import { QUEUE_JOB_STATES, createMetrics } from './metrics.ts';
import { Ranker } from './ranker/ranker.ts';

const CLOSE_TIMEOUT_MS = 15_000;

export interface WorkerApp {
  metricsPort: number | null;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * Aborting it stops the start-up (the cold start may wait on other workers for long): the
   * connections opened so far are closed and startWorker rejects with the abort reason.
   */
  signal?: AbortSignal;
}

/**
 * One worker process: restores Redis from Postgres if it is cold, declares the job schedulers,
 * then runs the flush and maintenance queues until closed. /metrics and /healthz listen from the
 * start (a taken port fails at once, not after the cold start); /healthz answers 503 until the
 * cold start is over and the queues run, then 200.
 */
export async function startWorker(env: Env, opts: StartOptions = {}): Promise<WorkerApp> {
  const { signal } = opts;
  // Structured logs (one JSON line each), like the api's; jobs report through `log`.
  const logger = pino({ level: env.LOG_LEVEL, base: { app: 'worker', pid: process.pid } });
  const log = (msg: string) => logger.info(msg);
  // BullMQ's blocking connections must retry forever; the app's own connection fails fast.
  const target = redisTargetOf(env);
  const bullConnection = createRedis(target, 'bullmq', logger);
  const redis = createRedis(target, 'worker', logger);
  const partitionList = Array.from({ length: env.VOTE_PARTITIONS }, (_, p) => p);
  const store = new VoteStore(redis, { prefix: env.REDIS_PREFIX, partitions: env.VOTE_PARTITIONS });
  // The queues exist after the cold start; until then there is nothing to count.
  let queues: Queue[] = [];
  const metrics = createMetrics({
    outboxAgesMs: () => outboxAgesMs(store, partitionList),
    queueJobs: async () =>
      Object.fromEntries(
        await Promise.all(
          queues.map(async (q) => [q.name, await q.getJobCounts(...QUEUE_JOB_STATES)] as const),
        ),
      ),
  });
  // Everything the worker reads must see what it wrote (flush, rebuild, history inputs), except
  // the ranker's catalogue reloads, which may come from the replica.
  const dbs = new Databases(env.DATABASE_URL, {
    max: env.DATABASE_POOL_MAX,
    applicationName: 'llmpt-worker',
    replicaUrl: env.DATABASE_REPLICA_URL,
    maxLagMs: env.DATABASE_REPLICA_MAX_LAG_MS,
    onError: (err) => logger.warn({ err: err.message }, 'idle Postgres connection failed'),
  });
  registerPoolMetrics(metrics.registry, dbs);
  const db = dbs.db;
  const reader = new OutboxReader(store, `${hostname()}:${process.pid}`);
  const mdeps: MaintenanceDeps = { db, store, metrics, log, env };
  let running = false;
  let server: MetricsServer | null = null;
  const closeConnections = async () => {
    await server?.close();
    await Promise.allSettled([redis.quit(), bullConnection.quit(), dbs.destroy()]);
  };

  try {
    if (env.METRICS_PORT >= 0) {
      server = await serveMetrics(metrics.registry, {
        host: env.METRICS_HOST,
        port: env.METRICS_PORT,
        ready: () => running,
      });
      logger.info({ url: server.url }, 'metrics listening');
    }
    // Cold start: no vote is accepted until every partition is restored (others may race us).
    for (;;) {
      signal?.throwIfAborted();
      const { busy } = await syncRedis(mdeps);
      if (!busy && (await store.unreadyPartitions()).length === 0) break;
      await sleep(250, undefined, { signal });
    }
    for (let p = 0; p < env.VOTE_PARTITIONS; p++) await reader.ensureGroup(p);
    await maintainPartitions(mdeps);
    metrics.backupEnabled.set(env.BACKUP_ENABLED ? 1 : 0);
    if (env.BACKUP_ENABLED) {
      // A restart must not look like "no backup for hours": the newest backup on disk counts.
      const [newest] = await listBackups(env.BACKUP_DIR);
      if (newest) metrics.backupLastSuccess.set(newest.at.getTime() / 1000);
    }
    signal?.throwIfAborted();
  } catch (err) {
    await closeConnections();
    throw err;
  }

  const queueOpts = { connection: bullConnection, prefix: env.BULL_PREFIX };
  const flushQueue = new Queue(QUEUE_FLUSH, queueOpts);
  const maintenanceQueue = new Queue(QUEUE_MAINTENANCE, queueOpts);
  const backgroundQueue = new Queue(QUEUE_BACKGROUND, queueOpts);
  queues = [flushQueue, maintenanceQueue, backgroundQueue];
  for (const q of queues)
    q.on('error', (err) => logger.warn({ err: err.message, queue: q.name }, 'queue error'));
  await upsertSchedules(env, flushQueue, maintenanceQueue, backgroundQueue);
  // A worker that was down at the dump's time catches up now (missing days of the last 7).
  await backgroundQueue.add(
    'public-dump',
    {},
    { jobId: PUBLIC_DUMP_CATCH_UP_JOB_ID, removeOnComplete: true, removeOnFail: true, attempts: 1 },
  );

  // The admins' overview: this process's metrics, queue depths and ranker lease, every step;
  // the first sample before any job runs, so everything the jobs count shows as a change.
  const ops = new OpsSampler({
    redis,
    prefix: env.REDIS_PREFIX,
    role: 'worker',
    stepMs: env.OPS_SAMPLE_MS,
    registry: metrics.registry,
    onError: (err) => logger.warn({ err }, 'ops sample failed'),
  });
  ops.start();

  const warn = (msg: string) => logger.warn(msg);
  // Created before the jobs: the integrity transitions announce their changes on it.
  const config = new ConfigChannel(
    redis,
    createRedis(target, 'subscriber', logger),
    env.REDIS_PREFIX,
    (err) => logger.warn({ err }, 'config channel'),
  );
  const integrityDeps = {
    db,
    store,
    integrity: new IntegrityStore(redis, env.REDIS_PREFIX),
    bump: () => config.bump('integrity'),
    metrics,
    log,
    warn,
    thresholds: thresholdsOf(env),
    maxEvents: env.INTEGRITY_SWEEP_MAX_EVENTS,
    rulesEnabled: env.INTEGRITY_RULES_ENABLED,
    failpoint: env.INTEGRITY_FAILPOINT,
  };
  const flushDeps = { env, db, reader, metrics, redis, log: warn };
  const flushWorker = new Worker<{ partition: number }>(
    QUEUE_FLUSH,
    (job) => flushPartition(flushDeps, job.data.partition),
    { ...queueOpts, concurrency: env.WORKER_CONCURRENCY },
  );
  const maintenanceWorker = new Worker(
    QUEUE_MAINTENANCE,
    async (job: Job) => {
      const handlers: Record<MaintenanceJob, () => Promise<unknown>> = {
        'sync-redis': () => syncRedis(mdeps),
        'refresh-summary': () => refreshSummary(mdeps),
        'roll-history': () => rollHistory(mdeps),
        'outbox-consumers': () => removeDeadConsumers({ env, store, reader, metrics, log }),
        'integrity-sweep': () => integritySweep(integrityDeps),
        'integrity-apply': () => integrityApply(integrityDeps),
      };
      const handler = handlers[job.name as MaintenanceJob] as (() => Promise<unknown>) | undefined;
      if (!handler) throw new Error(`unknown maintenance job "${job.name}"`);
      return handler();
    },
    { ...queueOpts, concurrency: 1 },
  );
  const backgroundWorker = new Worker(
    QUEUE_BACKGROUND,
    async (job: Job) => {
      const handlers: Record<BackgroundJob, () => Promise<unknown>> = {
        partitions: () => maintainPartitions(mdeps),
        backup: () => runBackup({ env, store, metrics, log }),
        reconcile: () => reconcile({ db, store, metrics, log: warn }, env.RECONCILE_REPAIR),
        'public-dump': () => runPublicDumps({ db, log, metrics }),
      };
      const handler = handlers[job.name as BackgroundJob] as (() => Promise<unknown>) | undefined;
      if (!handler) throw new Error(`unknown background job "${job.name}"`);
      return handler();
    },
    // A backup may take minutes: BullMQ must not take the job for stalled meanwhile.
    { ...queueOpts, concurrency: 1, lockDuration: 5 * 60_000 },
  );
  for (const w of [flushWorker, maintenanceWorker, backgroundWorker]) {
    w.on('error', (err) => logger.warn({ err: err.message, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) => {
      metrics.jobs.inc({ name: job?.name ?? 'unknown', outcome: 'failed' });
      logger.warn({ job: job?.name, err: err.message }, 'job failed');
    });
    w.on('completed', (job) => metrics.jobs.inc({ name: job.name, outcome: 'completed' }));
  }

  // After the cold start: ranking a half-restored Redis would publish wrong standings.
  const ranker = env.RANKER_ENABLED
    ? new Ranker(
        { redis, store, db, metrics, log },
        {
          tickMs: env.RANKER_TICK_MS,
          maxEntriesPerSec: env.RANKER_MAX_ENTRIES_PER_SEC,
          maxTickMs: Math.max(env.RANKER_TICK_MS, env.RANKER_MAX_TICK_MS),
          lockTtlMs: env.RANKER_LOCK_TTL_MS,
          streamMaxLen: env.RANKINGS_STREAM_MAXLEN,
          minVotes: env.RANK_MIN_VOTES,
          trendingHalfLifeHours: env.TRENDING_HALF_LIFE_HOURS,
        },
      )
    : null;

  // Admins' changes (ConfigChannel): a catalogue edit reaches the ranker within milliseconds.
  config.onChange((_versions, changed) => {
    if (changed.includes('catalogue')) ranker?.catalogueChanged();
  });
  await config.start();

  const address = server?.server.address();
  ranker?.start();
  running = true;
  log(`running: ${env.VOTE_PARTITIONS} partitions, flush every ${env.FLUSH_EVERY_MS} ms`);

  return {
    metricsPort: address && typeof address === 'object' ? address.port : null,
    async close() {
      running = false;
      await ops.stop();
      // First, so another worker takes over the rankings while this one drains its jobs.
      await ranker?.close();
      await config.stop();
      const timer = setTimeout(() => {
        log('close timed out; forcing');
        void flushWorker.close(true);
        void maintenanceWorker.close(true);
        void backgroundWorker.close(true);
      }, CLOSE_TIMEOUT_MS);
      // Worker.close() waits for the jobs in hand: a batch being flushed completes and is acked.
      await Promise.all([flushWorker.close(), maintenanceWorker.close(), backgroundWorker.close()]);
      clearTimeout(timer);
      await Promise.all([flushQueue.close(), maintenanceQueue.close(), backgroundQueue.close()]);
      await closeConnections();
    },
  };
}
