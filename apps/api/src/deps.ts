import proxyAddr from '@fastify/proxy-addr';
import { createDb } from '@llmpt/db';
import { VoteStore, createRedis, rankingsKeys } from '@llmpt/vote-store';
import { pino } from 'pino';

import type { Deps } from './context.ts';
import type { Env } from './env.ts';
import { ResponseCache } from './http/response-cache.ts';
import { createMetrics } from './metrics.ts';
import { RankingsFeed } from './realtime/rankings-feed.ts';
import { VoteToDiffTracker } from './realtime/vote-to-diff.ts';
import { Catalogue } from './services/catalogue.ts';
import { keyedHash, networkHasher } from './services/client-network.ts';
import { RankingsService } from './services/rankings.ts';
import { TrendsCache } from './services/trends.ts';
import { VoteLimiter } from './services/vote-limiter.ts';
import { VoterSessions } from './services/voter-sessions.ts';

/** Opens connections and builds the services of one api process. */
export function createDeps(env: Env): Deps {
  // One structured logger for the process: fastify's requests and everything else.
  const log = pino({ level: env.LOG_LEVEL, enabled: env.LOG_LEVEL !== 'silent' });
  const redis = createRedis(env.REDIS_URL, 'app', log);
  const db = createDb(env.DATABASE_URL, { max: 10, applicationName: 'llmpt-api' });
  const metrics = createMetrics();
  const voteStore = new VoteStore(redis, {
    prefix: env.REDIS_PREFIX,
    partitions: env.VOTE_PARTITIONS,
  });
  const catalogue = new Catalogue(db, metrics);
  const hash = keyedHash(env.VOTER_COOKIE_SECRET);
  const feed = new RankingsFeed(
    redis,
    createRedis(env.REDIS_URL, 'subscriber', log),
    rankingsKeys(env.REDIS_PREFIX),
    (err) => log.error({ err }, 'rankings feed'),
  );
  return {
    log,
    feed,
    responses: new ResponseCache(metrics),
    trustProxy: proxyAddr.compile(env.TRUST_PROXY),
    voteToDiff: new VoteToDiffTracker(feed, metrics),
    env,
    db,
    redis,
    voteStore,
    catalogue,
    metrics,
    rankings: new RankingsService(catalogue, voteStore, feed, metrics),
    trends: new TrendsCache(db, metrics),
    hash,
    networkHash: networkHasher(hash),
    sessions: new VoterSessions(redis, env.REDIS_PREFIX, hash),
    limiter: new VoteLimiter(redis, {
      prefix: env.REDIS_PREFIX,
      perVoterPerMin: env.VOTE_RATE_LIMIT,
      perIpPerMin: env.VOTE_RATE_LIMIT_IP,
      newVotersPerNetworkHour: env.VOTE_NEW_VOTERS_PER_NETWORK_HOUR,
    }),
  };
}

/** Starts what runs in the background: the rankings feed follower. */
export async function startDeps(deps: Deps): Promise<void> {
  await deps.feed.start();
}

export async function closeDeps(deps: Deps): Promise<void> {
  await deps.feed.stop();
  await Promise.allSettled([deps.redis.quit(), deps.db.destroy()]);
}
