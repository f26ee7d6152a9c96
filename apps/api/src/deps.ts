import proxyAddr from '@fastify/proxy-addr';
import { Databases, registerPoolMetrics } from '@llmpt/db';
import {
  ConfigChannel,
  IntegrityStore,
  OpsSampler,
  ReplicaAcks,
  VoteStore,
  createRedis,
  rankingsKeys,
  redisTargetOf,
} from '@llmpt/vote-store';
import { pino } from 'pino';

import { IntegrityJobs } from './admin/integrity-jobs.ts';
import { AdminLockout } from './admin/lockout.ts';
import { AdminSessions } from './admin/session.ts';
import type { Deps } from './context.ts';
import type { Env } from './env.ts';
import { ResponseCache } from './http/response-cache.ts';
import { FlagsService } from './flags/service.ts';
import { createMetrics } from './metrics.ts';
import { RankingsFeed } from './realtime/rankings-feed.ts';
import { VoteToDiffTracker } from './realtime/vote-to-diff.ts';
import { Catalogue } from './services/catalogue.ts';
import { keyedHash, networkHasher, rememberedHash } from './services/client-network.ts';
import { HistoryBoards } from './services/history-boards.ts';
import { RankingsService } from './services/rankings.ts';
import { TrendsCache } from './services/trends.ts';
import { VoterSessions } from './services/voter-sessions.ts';

/** Opens connections and builds the services of one api process. */
export function createDeps(env: Env): Deps {
  // One structured logger for the process: fastify's requests and everything else.
  const log = pino({ level: env.LOG_LEVEL, enabled: env.LOG_LEVEL !== 'silent' });
  const metrics = createMetrics();
  const target = redisTargetOf(env);
  const redis = createRedis(target, 'app', log);
  // Votes that wait for the replica run on a connection of their own (WAIT holds the rest).
  const votes = env.VOTE_ACK_REPLICAS > 0 ? createRedis(target, 'votes', log) : redis;
  const dbs = new Databases(env.DATABASE_URL, {
    max: env.DATABASE_POOL_MAX,
    applicationName: 'llmpt-api',
    replicaUrl: env.DATABASE_REPLICA_URL,
    maxLagMs: env.DATABASE_REPLICA_MAX_LAG_MS,
    onLag: (lag) => (lag === null ? metrics.replicaLag.set(-1) : metrics.replicaLag.set(lag)),
    onError: (err) => log.warn({ err: err.message }, 'idle Postgres connection failed'),
  });
  registerPoolMetrics(metrics.registry, dbs);
  const reads = () => dbs.replicaOrPrimary();
  const voteStore = new VoteStore(redis, {
    prefix: env.REDIS_PREFIX,
    partitions: env.VOTE_PARTITIONS,
    writer: votes,
  });
  // Admin changes (catalogue, flags) from any process, heard on a subscriber connection of its own.
  const config = new ConfigChannel(
    redis,
    createRedis(target, 'subscriber', log),
    env.REDIS_PREFIX,
    (err) => log.error({ err }, 'config channel'),
  );
  const catalogue = new Catalogue(() => dbs.db, metrics, { config, log });
  const hash = keyedHash(env.VOTER_COOKIE_SECRET);
  const feed = new RankingsFeed(
    redis,
    createRedis(target, 'subscriber', log),
    rankingsKeys(env.REDIS_PREFIX),
    (err) => log.error({ err }, 'rankings feed'),
  );
  return {
    log,
    feed,
    responses: new ResponseCache(metrics),
    trustProxy: proxyAddr.compile(env.TRUST_PROXY),
    adminSessions: new AdminSessions(redis, env.REDIS_PREFIX, {
      idleMs: env.ADMIN_SESSION_IDLE_MINUTES * 60_000,
      maxMs: env.ADMIN_SESSION_MAX_HOURS * 3_600_000,
    }),
    adminLockout: new AdminLockout(redis, {
      prefix: env.REDIS_PREFIX,
      attempts: env.ADMIN_LOCKOUT_ATTEMPTS,
      baseSec: env.ADMIN_LOCKOUT_BASE_SEC,
    }),
    voteToDiff: new VoteToDiffTracker(feed, metrics),
    env,
    db: dbs.db,
    dbs,
    reads,
    redis,
    replicaAcks:
      env.VOTE_ACK_REPLICAS > 0
        ? new ReplicaAcks(votes, env.VOTE_ACK_REPLICAS, env.VOTE_ACK_TIMEOUT_MS, {
            degraded: env.VOTE_ACK_WITHOUT_REPLICA,
            info: redis,
          })
        : null,
    voteStore,
    config,
    // Flags are reloaded from the primary: a replica could still hold the row before the change.
    flags: new FlagsService(() => dbs.db, config, redis, env.REDIS_PREFIX, metrics, log),
    catalogue,
    metrics,
    ops: new OpsSampler({
      redis,
      prefix: env.REDIS_PREFIX,
      role: 'api',
      stepMs: env.OPS_SAMPLE_MS,
      registry: metrics.registry,
      onError: (err) => log.warn({ err }, 'ops sample failed'),
    }),
    rankings: new RankingsService(catalogue, voteStore, feed, metrics, {
      minVotes: env.RANK_MIN_VOTES,
    }),
    trends: new TrendsCache(reads, metrics),
    history: new HistoryBoards(reads, metrics, {
      minVotes: env.RANK_MIN_VOTES,
      trendingHalfLifeHours: env.TRENDING_HALF_LIFE_HOURS,
    }),
    hash,
    networkHash: networkHasher(hash),
    signalHash: rememberedHash(hash),
    integrity: new IntegrityStore(redis, env.REDIS_PREFIX),
    integrityJobs: new IntegrityJobs(env, log),
    sessions: new VoterSessions(),
  };
}

/** Starts what runs in the background: the rankings feed follower and the config channel. */
export async function startDeps(deps: Deps): Promise<void> {
  await Promise.all([deps.feed.start(), deps.dbs.start(), deps.config.start()]);
  // After the config channel: the flags' version is read before they are loaded.
  await deps.flags.start();
  deps.ops.start();
}

export async function closeDeps(deps: Deps): Promise<void> {
  await deps.ops.stop();
  await deps.feed.stop();
  await deps.config.stop();
  await deps.flags.close();
  await deps.integrityJobs.close();
  const votes = deps.voteStore.writer;
  await Promise.allSettled([
    deps.redis.quit(),
    votes === deps.redis ? null : votes.quit(),
    deps.dbs.destroy(),
  ]);
}
