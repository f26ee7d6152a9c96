import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

import fastifyCookie from '@fastify/cookie';
import proxyAddr from '@fastify/proxy-addr';
import type { Database, Databases } from '@llmpt/db';
import type {
  ConfigChannel,
  IntegrityStore,
  OpsSampler,
  ReplicaAcks,
  VoteStore,
} from '@llmpt/vote-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';

import { type AdminCookie, httpAdminCookie, wsAdminCookie } from './admin/cookie.ts';
import type { IntegrityJobs } from './admin/integrity-jobs.ts';
import type { AdminLockout } from './admin/lockout.ts';
import type { AdminSessions } from './admin/session.ts';
import type { Env } from './env.ts';
import { FINGERPRINT_COOKIE, setFingerprintCookie } from './flags/fingerprint.ts';
import type { FlagsService } from './flags/service.ts';
import { appError } from './errors.ts';
import type { ResponseCache } from './http/response-cache.ts';
import {
  VOTER_COOKIE,
  type VoterIdentity,
  dropVoterCookie,
  readVoter,
  setVoterCookie,
  verifiedVoterId,
} from './http/voter-cookie.ts';
import type { Metrics } from './metrics.ts';
import type { RankingsFeed } from './realtime/rankings-feed.ts';
import type { VoteToDiffTracker } from './realtime/vote-to-diff.ts';
import type { Catalogue } from './services/catalogue.ts';
import type { KeyedHash } from './services/client-network.ts';
import type { HistoryBoards } from './services/history-boards.ts';
import type { RankingsService } from './services/rankings.ts';
import type { TrendsCache } from './services/trends.ts';
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
  /** Versions of what admins change at run time, and how a change reaches every process. */
  config: ConfigChannel;
  catalogue: Catalogue;
  /** Feature flags (OpenFeature, Postgres-backed, reloaded on a config change). */
  flags: FlagsService;
  rankings: RankingsService;
  trends: TrendsCache;
  /** Boards "as of" a past hour and the movers, from the stored hourly history. */
  history: HistoryBoards;
  sessions: VoterSessions;
  /** Keyed hash of addresses, networks and user agents (never stored in the clear). */
  hash: KeyedHash;
  /** Keyed hash of a client address's network (/24, /64), remembered per address. */
  networkHash: (ip: string) => string;
  /** `hash`, remembered per value: the vote path's signals (address, user agent, fingerprint). */
  signalHash: KeyedHash;
  /**
   * Ranking integrity's Redis side (issue 13): bans checked on the vote path, flag statuses
   * read by vote.mine. Postgres holds the truth (integrity_flags, integrity_bans).
   */
  integrity: IntegrityStore;
  /** Nudges the worker to run the flags' transitions now (after an admin's dismissal). */
  integrityJobs: IntegrityJobs;
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
  /** Admin sessions in Redis (token hash → admin, epoch, CSRF token). */
  adminSessions: AdminSessions;
  /** Sign-in lockout with backoff, per account and per address. */
  adminLockout: AdminLockout;
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
  /** 'http': the lean route, batches and SSE; 'ws': calls over a WebSocket. */
  transport: 'http' | 'ws';
  /** The request's headers (over ws: the upgrade request's): Origin, Host, the CSRF header. */
  headers: IncomingHttpHeaders;
  /** The admin session cookie: as sent; set and cleared over HTTP only. */
  adminCookie: AdminCookie;
  /**
   * The caller's read-variant fingerprint cookie (`llmpt_fv`, see ProcedureMeta.variant): as
   * the request sent it ('' when absent), and a setter ('' clears it; a no-op over WebSocket).
   * `identified`: the caller's next request will carry a voter cookie (it sent one, or was just
   * given one). Absent for in-process callers (tests' createCaller).
   */
  flagFingerprint?: { sent: string; set(value: string): void; identified(): boolean };
}

export function createContext(deps: Deps, req: FastifyRequest, reply: FastifyReply): Context {
  let voter: VoterIdentity | undefined;
  return {
    deps,
    voter: () => {
      if (voter) return voter;
      voter = readVoter(deps.env, req);
      if (voter.status === 'new') setVoterCookie(deps.env, req, reply, voter.id);
      return voter;
    },
    dropVoterCookie: () => dropVoterCookie(reply),
    ip: req.ip,
    userAgent: req.headers['user-agent'] ?? '',
    transport: 'http',
    headers: req.headers,
    adminCookie: httpAdminCookie(deps.env, req, reply),
    flagFingerprint: {
      sent: req.cookies[FINGERPRINT_COOKIE] ?? '',
      set: (value) => setFingerprintCookie(deps.env, req, reply, value),
      identified: () => req.cookies[VOTER_COOKIE] !== undefined || voter?.status === 'new',
    },
  };
}

/**
 * Context of a WebSocket connection: the voter comes from the upgrade request's cookie. A socket
 * cannot set cookies, so a caller without a valid one is refused where a voter is needed.
 */
export function createWsContext(deps: Deps, req: IncomingMessage): Context {
  let voter: VoterIdentity | undefined;
  return {
    deps,
    voter: () => {
      if (voter) return voter;
      const raw = fastifyCookie.parse(req.headers.cookie ?? '')[VOTER_COOKIE];
      const id = raw === undefined ? null : verifiedVoterId(deps.env.VOTER_COOKIE_SECRET, raw);
      if (id === null) {
        throw appError(
          'INVALID_VOTER',
          'No valid voter cookie on this connection: vote over HTTP once to get one',
        );
      }
      return (voter = { id, status: 'returning' });
    },
    dropVoterCookie: () => undefined,
    ip: proxyAddr(req, deps.trustProxy),
    userAgent: req.headers['user-agent'] ?? '',
    transport: 'ws',
    headers: req.headers,
    adminCookie: wsAdminCookie(req),
    flagFingerprint: {
      sent: fastifyCookie.parse(req.headers.cookie ?? '')[FINGERPRINT_COOKIE] ?? '',
      set: () => undefined,
      identified: () => true,
    },
  };
}

/**
 * Context of a read answered before fastify sees the request (http/cached-reads.ts), which can
 * only answer from the cache: it names a returning voter from the cookie, and anything that
 * would have to write to the answer (a new visitor's voter cookie, a fingerprint cookie to
 * correct) or that a read should not meet (a forged cookie) sets `handOver`: the request is then
 * left to fastify, whose route does it all. A class, not a literal of closures and getters: one
 * allocation on the hottest path there is.
 */
export class EarlyContext implements Context {
  readonly transport = 'http';
  /** Something needs the full route: the early answer is abandoned. */
  handOver = false;
  private cookies: Record<string, string | undefined> | undefined;
  readonly flagFingerprint = new EarlyFingerprint(this);

  constructor(
    readonly deps: Deps,
    private readonly req: IncomingMessage,
  ) {}

  voter(): VoterIdentity {
    const raw = this.cookie(VOTER_COOKIE);
    const id = raw === undefined ? null : verifiedVoterId(this.deps.env.VOTER_COOKIE_SECRET, raw);
    if (id !== null) return { id, status: 'returning' };
    this.handOver = true;
    return { id: '', status: raw === undefined ? 'new' : 'forged' };
  }

  dropVoterCookie(): void {
    this.handOver = true;
  }

  get ip(): string {
    return proxyAddr(this.req, this.deps.trustProxy);
  }

  get userAgent(): string {
    return this.req.headers['user-agent'] ?? '';
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get adminCookie(): AdminCookie {
    return wsAdminCookie(this.req);
  }

  cookie(name: string): string | undefined {
    const header = this.req.headers.cookie;
    if (header === undefined) return undefined;
    return (this.cookies ??= fastifyCookie.parse(header))[name];
  }
}

/** The fingerprint cookie of an early read: read only; correcting it hands the request over. */
class EarlyFingerprint implements NonNullable<Context['flagFingerprint']> {
  constructor(private readonly early: EarlyContext) {}

  get sent(): string {
    return this.early.cookie(FINGERPRINT_COOKIE) ?? '';
  }

  set(): void {
    this.early.handOver = true;
  }

  identified(): boolean {
    return this.early.cookie(VOTER_COOKIE) !== undefined;
  }
}
