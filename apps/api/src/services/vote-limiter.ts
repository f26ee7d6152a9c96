import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface VoteLimiterOptions {
  prefix: string;
  perVoterPerMin: number;
  perIpPerMin: number;
}

export type LimitVerdict =
  { allowed: true } | { allowed: false; retryAfterSec: number; scope: 'voter' | 'ip' };

/**
 * Vote rate limits per voter and per IP (fixed one-minute windows in Redis, via
 * rate-limiter-flexible: atomic, well kept, the same limits nginx applies at the edge).
 * Both checks are issued in the same tick, so ioredis auto-pipelining sends them together.
 */
export class VoteLimiter {
  private readonly voter: RateLimiterRedis;
  private readonly ip: RateLimiterRedis;

  constructor(redis: Redis, opts: VoteLimiterOptions) {
    const common = { storeClient: redis, duration: 60 };
    this.voter = new RateLimiterRedis({
      ...common,
      keyPrefix: `${opts.prefix}rl:vote:voter`,
      points: opts.perVoterPerMin,
    });
    this.ip = new RateLimiterRedis({
      ...common,
      keyPrefix: `${opts.prefix}rl:vote:ip`,
      points: opts.perIpPerMin,
    });
  }

  async check(voterId: string, ip: string): Promise<LimitVerdict> {
    const [byVoter, byIp] = await Promise.allSettled([
      this.voter.consume(voterId),
      this.ip.consume(ip),
    ]);
    for (const [scope, result] of [
      ['voter', byVoter],
      ['ip', byIp],
    ] as const) {
      if (result.status === 'fulfilled') continue;
      const reason: unknown = result.reason;
      if (reason instanceof RateLimiterRes) {
        return {
          allowed: false,
          scope,
          retryAfterSec: Math.max(1, Math.ceil(reason.msBeforeNext / 1000)),
        };
      }
      throw reason instanceof Error ? reason : new Error(String(reason));
    }
    return { allowed: true };
  }
}
