import { SEED_LLMS } from '@llmpt/db';
import { VoteStore, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import { Redis } from 'ioredis';

import { figure, httpFigures, ratio } from '../lib/figures.ts';
import { deleteKeysWithPrefix } from '../lib/redis-keys.ts';
import { loadBareVoteServer } from '../lib/servers.ts';
import type { Scenario } from '../lib/types.ts';

const PARTITIONS = 16;

/**
 * The floor any vote path pays: the vote Lua script behind a bare node:http handler. `rps` runs
 * the script with its gate on (bans, rate limits, session: the Redis work the api's vote does,
 * since issue 14 folded them into the script), `ungatedRps` the bare ballot (what rawVote
 * measured before).
 */
export const scenario: Scenario = {
  name: 'rawVote',
  describe: 'cast-vote-7.lua behind a plain node:http POST handler (no framework), gated and bare',
  async run(ctx) {
    const prefix = `bench:${process.pid}:raw:`;
    const models = SEED_LLMS.map((m) => m.id);
    // Zero tallies and ready markers, as the worker's rebuild leaves a fresh deployment.
    const redis = new Redis(ctx.redisUrl);
    try {
      const store = new VoteStore(redis, { prefix, partitions: PARTITIONS });
      await rebuildUnreadyPartitions(store, {
        tallies: () => Promise.resolve(models.map((llmId) => ({ llmId, up: 0, down: 0 }))),
        ballots: () => [],
      });
    } finally {
      redis.disconnect();
    }
    const measure = (gate: '0' | '1') =>
      loadBareVoteServer(
        ctx,
        `rawVote (gate ${gate})`,
        'raw-vote-server.ts',
        {
          REDIS_URL: ctx.redisUrl,
          REDIS_PREFIX: prefix,
          VOTE_PARTITIONS: String(PARTITIONS),
          RAW_VOTE_GATE: gate,
        },
        models,
      );
    try {
      const gated = await measure('1');
      const bare = await measure('0');
      return {
        ...httpFigures(gated),
        ratioToCeiling: ratio(gated.rps, figure(ctx.results, 'ceiling', 'rps')),
        ungatedRps: bare.rps,
        ungatedP99Ms: bare.p99Ms,
      };
    } finally {
      await deleteKeysWithPrefix(ctx.redisUrl, prefix);
    }
  },
};
