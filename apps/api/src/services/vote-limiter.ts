import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface VoteLimiterOptions {
  prefix: string;
  perVoterPerMin: number;
  perIpPerMin: number;
  /** First votes of fresh voter ids per client network (IPv4 /24, IPv6 /64) per hour. */
  newVotersPerNetworkHour: number;
}

export type LimitScope = 'voter' | 'ip' | 'new_voters';

export type LimitVerdict =
  { allowed: true } | { allowed: false; retryAfterSec: number; scope: LimitScope };

export interface LimitSubject {
  voterId: string;
  ip: string;
  /** Keyed hash of the client's network. */
  networkHash: string;
  /** A voter id minted for this request (no cookie yet): it spends the network's budget. */
  newVoter: boolean;
}

/**
 * The vote rate limits checked before the vote script, in Redis via rate-limiter-flexible
 * (atomic, well kept; fixed windows): per voter and per IP per minute (the limits nginx applies
 * at the edge), and per client network per hour for voter ids it has not seen: a script that
 * drops its cookie mints a new voter with every vote, and this is what bounds it. The checks of
 * one vote are issued in the same tick, so ioredis auto-pipelining sends them together.
 * The per-(network, model) limit lives in the vote script itself (it needs the previous ballot).
 */
export class VoteLimiter {
  private readonly voter: RateLimiterRedis;
  private readonly ip: RateLimiterRedis;
  private readonly newVoters: RateLimiterRedis;

  constructor(redis: Redis, opts: VoteLimiterOptions) {
    this.voter = new RateLimiterRedis({
      storeClient: redis,
      duration: 60,
      keyPrefix: `${opts.prefix}rl:vote:voter`,
      points: opts.perVoterPerMin,
    });
    this.ip = new RateLimiterRedis({
      storeClient: redis,
      duration: 60,
      keyPrefix: `${opts.prefix}rl:vote:ip`,
      points: opts.perIpPerMin,
    });
    this.newVoters = new RateLimiterRedis({
      storeClient: redis,
      duration: 3600,
      keyPrefix: `${opts.prefix}rl:vote:newvoters`,
      points: opts.newVotersPerNetworkHour,
    });
  }

  async check(subject: LimitSubject): Promise<LimitVerdict> {
    // A new voter's id is fresh for this request: a window per id would only be a Redis key per
    // cookieless request. The network's budget of new voters is what bounds them.
    const checks: Array<[LimitScope, Promise<RateLimiterRes>]> = [
      subject.newVoter
        ? ['new_voters', this.newVoters.consume(subject.networkHash)]
        : ['voter', this.voter.consume(subject.voterId)],
      ['ip', this.ip.consume(subject.ip)],
    ];
    const results = await Promise.allSettled(checks.map(([, p]) => p));
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      const reason: unknown = result.reason;
      if (reason instanceof RateLimiterRes) {
        return {
          allowed: false,
          scope: checks[i]![0],
          retryAfterSec: Math.max(1, Math.ceil(reason.msBeforeNext / 1000)),
        };
      }
      throw reason instanceof Error ? reason : new Error(String(reason));
    }
    return { allowed: true };
  }

  /**
   * Counts a new voter's accepted first vote in their own window (it was checked against the
   * network's budget instead), so the per-voter limit stays exact from the first vote on.
   */
  async countFirstVote(voterId: string): Promise<void> {
    await this.voter.penalty(voterId, 1);
  }
}
