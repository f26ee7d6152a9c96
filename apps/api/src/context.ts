import type { Database } from '@llmpt/db';
import type { VoteStore } from '@llmpt/vote-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';

import type { Env } from './env.ts';
import type { VoterIdentity } from './http/voter-cookie.ts';
import { resolveVoter } from './http/voter-cookie.ts';
import type { Metrics } from './metrics.ts';
import type { Catalogue } from './services/catalogue.ts';
import type { RankingsService } from './services/rankings.ts';
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
  limiter: VoteLimiter;
  sessions: VoterSessions;
  metrics: Metrics;
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
