import type { IncomingMessage } from 'node:http';

import fastifyCookie, { signerFactory } from '@fastify/cookie';
import proxyAddr from '@fastify/proxy-addr';
import type { Database, Databases } from '@llmpt/db';
import type { OpsSampler, ReplicaAcks, VoteStore } from '@llmpt/vote-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';

import type { Env } from './env.ts';
import { appError } from './errors.ts';
import type { ResponseCache } from './http/response-cache.ts';
import {
  VOTER_COOKIE,
  VOTER_ID,
  type VoterIdentity,
  dropVoterCookie,
  readVoter,
  setVoterCookie,
} from './http/voter-cookie.ts';
import type { Metrics } from './metrics.ts';
import type { RankingsFeed } from './realtime/rankings-feed.ts';
import type { VoteToDiffTracker } from './realtime/vote-to-diff.ts';
import type { Catalogue } from './services/catalogue.ts';
import type { KeyedHash } from './services/client-network.ts';
import type { RankingsService } from './services/rankings.ts';
import type { TrendsCache } from './services/trends.ts';
import type { VoteLimiter } from './services/vote-limiter.ts';
import type { VoterSessions } from './services/voter-sessions.ts';

/** Long-lived collaborators, built once per process in `index.ts` (or per test). */
export interface Deps {
  env: Env;
  log: Logger;
  /** The primary: writes, and reads that must see them. */
  db: Kysely<Database>;
  /** Primary and replica, with the rule of which serves a read. */
  dbs: Databases;
  /** Where lag-tolerant reads go: the replica while it is fresh, else the primary. */
  reads: () => Kysely<Database>;
  /** Waits for a vote to reach the replica before it is acknowledged (VOTE_ACK_REPLICAS > 0). */
  replicaAcks: ReplicaAcks | null;
  redis: Redis;
  voteStore: VoteStore;
  catalogue: Catalogue;
  rankings: RankingsService;
  trends: TrendsCache;
  limiter: VoteLimiter;
  sessions: VoterSessions;
  /** Keyed hash of addresses, networks and user agents (never stored in the clear). */
  hash: KeyedHash;
  /** Keyed hash of a client address's network (/24, /64), remembered per address. */
  networkHash: (ip: string) => string;
  metrics: Metrics;
  /** Writes this process's metrics to Redis every OPS_SAMPLE_MS for the admins' overview. */
  ops: OpsSampler;
  feed: RankingsFeed;
  voteToDiff: VoteToDiffTracker;
  /** Encoded answers of cacheable public reads, shared by HTTP and WebSocket. */
  responses: ResponseCache;
  /**
   * Which peers are proxies whose X-Forwarded-For is believed (TRUST_PROXY, by address). It is
   * also fastify's `trustProxy`, so HTTP and WebSocket agree on every client's address.
   */
  trustProxy: (addr: string, hop: number) => boolean;
}

export interface Context {
  deps: Deps;
  /** The caller as a voter (cookie read on first call; a new visitor's cookie is set then). */
  voter(): VoterIdentity;
  /** Removes a forged voter cookie. */
  dropVoterCookie(): void;
  /** Client IP: the peer, or X-Forwarded-For's last hop added by a TRUST_PROXY address. */
  ip: string;
  userAgent: string;
}

export function createContext(deps: Deps, req: FastifyRequest, reply: FastifyReply): Context {
  let voter: VoterIdentity | undefined;
  return {
    deps,
    voter: () => {
      if (voter) return voter;
      voter = readVoter(req);
      if (voter.status === 'new') setVoterCookie(deps.env, req, reply, voter.id);
      return voter;
    },
    dropVoterCookie: () => dropVoterCookie(reply),
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
    dropVoterCookie: () => undefined,
    ip: proxyAddr(req, deps.trustProxy),
    userAgent: req.headers['user-agent'] ?? '',
  };
}
