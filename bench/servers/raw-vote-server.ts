/**
 * The floor of any vote path: the same Lua vote script (cast-vote-6.lua through @llmpt/vote-store,
 * same key layout) behind a bare node:http POST handler. No framework, no cookie signature, no
 * rate limit, no session: the voter id is the unsigned `vid` cookie.
 *   REDIS_URL=... REDIS_PREFIX=... PORT=0 node --import tsx bench/servers/raw-vote-server.ts
 */
import { createServer } from 'node:http';

import { VoteStore } from '@llmpt/vote-store';
import { Redis } from 'ioredis';

import { listenAndAnnounce } from './listen.ts';
import { readVote } from './read-vote.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true,
});
redis.on('error', (err) => console.error('[raw-vote] redis:', err.message));
const store = new VoteStore(redis, {
  prefix: process.env.REDIS_PREFIX ?? '',
  partitions: Number(process.env.VOTE_PARTITIONS ?? 16),
});

const server = createServer((req, res) => {
  readVote(req)
    .then(async (vote) => {
      if (!vote) return res.writeHead(400).end();
      const r = await store.cast(vote.voterId, vote.llmId, vote.value);
      if (r.status === 'not_ready') return res.writeHead(503).end();
      if (r.status === 'unknown_model') return res.writeHead(404).end();
      if (r.status === 'network_limited') return res.writeHead(429).end();
      if (r.status === 'voided') return res.writeHead(409).end();
      const data = { llmId: vote.llmId, up: r.up, down: r.down, score: r.up - r.down };
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ result: { data: { ...data, myVote: vote.value } } }));
    })
    .catch((err: unknown) => res.writeHead(500).end(String(err)));
});
listenAndAnnounce(server, () => redis.quit());
