import { createDb } from '@llmpt/db';
import { VoteStore, rankingsKeys } from '@llmpt/vote-store';
import { Redis } from 'ioredis';

import type { Deps } from './context.ts';
import type { Env } from './env.ts';
import { createMetrics } from './metrics.ts';
import { RankingsFeed } from './realtime/rankings-feed.ts';
import { VoteToDiffTracker } from './realtime/vote-to-diff.ts';
import { Catalogue } from './services/catalogue.ts';
import { RankingsService } from './services/rankings.ts';
import { TrendsCache } from './services/trends.ts';
import { VoteLimiter } from './services/vote-limiter.ts';
import { VoterSessions } from './services/voter-sessions.ts';

/** Opens connections and builds the services of one api process. */
export function createDeps(env: Env): Deps {
  // Auto-pipelining: commands issued in the same tick by concurrent requests share one write.
  const redis = new Redis(env.REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  const db = createDb(env.DATABASE_URL, { max: 10, applicationName: 'llmpt-api' });
  const metrics = createMetrics();
  const voteStore = new VoteStore(redis, {
    prefix: env.REDIS_PREFIX,
    partitions: env.VOTE_PARTITIONS,
  });
  const catalogue = new Catalogue(db, metrics);
  const feed = new RankingsFeed(redis, redis.duplicate(), rankingsKeys(env.REDIS_PREFIX), (err) =>
    console.error('[api] rankings feed:', err),
  );
  return {
    feed,
    voteToDiff: new VoteToDiffTracker(feed, metrics),
    env,
    db,
    redis,
    voteStore,
    catalogue,
    metrics,
    rankings: new RankingsService(catalogue, voteStore, feed, metrics),
    trends: new TrendsCache(db, metrics),
    sessions: new VoterSessions(redis, env.REDIS_PREFIX, env.VOTER_COOKIE_SECRET),
    limiter: new VoteLimiter(redis, {
      prefix: env.REDIS_PREFIX,
      perVoterPerMin: env.VOTE_RATE_LIMIT,
      perIpPerMin: env.VOTE_RATE_LIMIT_IP,
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
