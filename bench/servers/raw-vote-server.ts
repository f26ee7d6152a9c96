/**
 * The floor of any vote path: the same Lua vote script (cast-vote-7.lua through @llmpt/vote-store,
 * same key layout) behind a bare node:http POST handler. No framework, no cookie signature, no
 * keyed hashes: the voter id is the unsigned `vid` cookie. With RAW_VOTE_GATE=1 the script runs
 * its gate as the api's does (bans, the three rate limits at the bench's limits, the session:
 * the same Redis work per vote); with 0, the bare ballot.
 *   REDIS_URL=... REDIS_PREFIX=... RAW_VOTE_GATE=1 PORT=0 node --import tsx bench/servers/raw-vote-server.ts
 */
import { createServer } from 'node:http';

import { type VoteGate, VoteStore } from '@llmpt/vote-store';
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

const gated = process.env.RAW_VOTE_GATE === '1';
/** The limits the bench's api runs with (bench/lib/stack.ts): never reached, always counted. */
const LIMIT = 100_000_000;
const NETWORK = { networkHash: 'raw-network', max: LIMIT, windowSec: 3600 };

function gateFor(ip: string): VoteGate {
  return {
    ip,
    cookieless: false,
    knownVoter: false,
    perVoterPerMin: LIMIT,
    perIpPerMin: LIMIT,
    newVotersPerNetworkHour: LIMIT,
    session: { refresh: false, ipHash: 'raw-ip', uaHash: 'raw-ua', ttlSec: 86_400 },
  };
}

const server = createServer((req, res) => {
  readVote(req)
    .then(async (vote) => {
      if (!vote) return res.writeHead(400).end();
      const r = gated
        ? await store.cast(
            vote.voterId,
            vote.llmId,
            vote.value,
            NETWORK,
            undefined,
            gateFor(req.socket.remoteAddress ?? ''),
          )
        : await store.cast(vote.voterId, vote.llmId, vote.value);
      if (r.status === 'not_ready') return res.writeHead(503).end();
      if (r.status === 'unknown_model') return res.writeHead(404).end();
      if (r.status === 'network_limited') return res.writeHead(429).end();
      if (r.status === 'voided') return res.writeHead(409).end();
      if (r.status === 'banned') return res.writeHead(403).end();
      if (r.status === 'rate_limited') return res.writeHead(429).end();
      const data = { llmId: vote.llmId, up: r.up, down: r.down, score: r.up - r.down };
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ result: { data: { ...data, myVote: vote.value } } }));
    })
    .catch((err: unknown) => res.writeHead(500).end(String(err)));
});
listenAndAnnounce(server, () => redis.quit());
