import type { IncomingMessage } from 'node:http';

import fastifyCookie, { signerFactory } from '@fastify/cookie';
import type { Database } from '@llmpt/db';
import type { VoteStore } from '@llmpt/vote-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';

import type { Env } from './env.ts';
import { appError } from './errors.ts';
import { VOTER_COOKIE, VOTER_ID, type VoterIdentity, resolveVoter } from './http/voter-cookie.ts';
import type { Metrics } from './metrics.ts';
import type { RankingsFeed } from './realtime/rankings-feed.ts';
import type { VoteToDiffTracker } from './realtime/vote-to-diff.ts';
import type { Catalogue } from './services/catalogue.ts';
import type { RankingsService } from './services/rankings.ts';
import type { TrendsCache } from './services/trends.ts';
import type { VoteLimiter } from './services/vote-limiter.ts';
import type { VoterSessions } from './services/voter-sessions.ts';

/** Long-lived collaborators, built once per process in `index.ts` (or per test). */
export interface Deps {
  env: Env;
  db: Kysely<Database>;
  redis: Redis;
  voteStore: VoteStore;
  catalogue: Catalogue;
  rankings: RankingsService;
  trends: TrendsCache;
  limiter: VoteLimiter;
  sessions: VoterSessions;
  metrics: Metrics;
  feed: RankingsFeed;
  voteToDiff: VoteToDiffTracker;
}

export interface Context {
  deps: Deps;
  /** The caller as a voter (cookie read, or issued, on first call). */
  voter(): VoterIdentity;
  /** Client IP (from X-Forwarded-For only when TRUST_PROXY says so). */
  ip: string;
  userAgent: string;
}

export function createContext(deps: Deps, req: FastifyRequest, reply: FastifyReply): Context {
  let voter: VoterIdentity | undefined;
  return {
    deps,
    voter: () => (voter ??= resolveVoter(deps, req, reply)),
    ip: req.ip,
    userAgent: req.headers['user-agent'] ?? '',
  };
}

/**
 * Context of a WebSocket connection: the voter comes from the upgrade request's cookie. A socket
 * cannot set cookies, so a caller without a valid one is refused where a voter is needed.
 */
export function createWsContext(deps: Deps, req: IncomingMessage): Context {
  const signer = signerFactory(deps.env.VOTER_COOKIE_SECRET);
  let voter: VoterIdentity | undefined;
  return {
    deps,
    voter: () => {
      if (voter) return voter;
      const raw = fastifyCookie.parse(req.headers.cookie ?? '')[VOTER_COOKIE];
      const unsigned = raw === undefined ? null : signer.unsign(raw);
      if (!unsigned?.valid || !unsigned.value || !VOTER_ID.test(unsigned.value)) {
        throw appError(
          'INVALID_VOTER',
          'No valid voter cookie on this connection: vote over HTTP once to get one',
        );
      }
      return (voter = { id: unsigned.value, status: 'returning' });
    },
    ip: clientIp(req, deps.env.TRUST_PROXY),
    userAgent: req.headers['user-agent'] ?? '',
  };
}

/** The client address, trusting that many X-Forwarded-For hops (nginx appends the peer it saw). */
function clientIp(req: IncomingMessage, trust: boolean | number): string {
  const peer = req.socket.remoteAddress ?? '';
  const header = req.headers['x-forwarded-for'];
  if (!trust || typeof header !== 'string') return peer;
  const chain = [...header.split(',').map((s) => s.trim()), peer];
  const hops = trust === true ? chain.length - 1 : Math.min(trust, chain.length - 1);
  return chain[chain.length - 1 - hops] ?? peer;
}
