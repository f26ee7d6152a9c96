import { createHash } from 'node:crypto';

import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import { appError } from '../errors.ts';

export interface LockoutOptions {
  prefix: string;
  /** Consecutive failures of an account before it is locked; an address gets 4× this. */
  attempts: number;
  /** The first lockout; each further one within a day doubles, up to an hour. */
  baseSec: number;
}

export type LockoutScope = 'account' | 'address';

/** A reserved attempt: what `failed` / `succeeded` report back. */
export interface Attempt {
  account: string;
  address: string;
  accountFailures: number;
  addressFailures: number;
}

/** Failures are remembered this long after the first of a run (a success clears the account's). */
const FAILURE_WINDOW_SEC = 60 * 60;
/** Lockouts are counted over this long to double the next one. */
const LOCKOUT_HISTORY_SEC = 24 * 60 * 60;
const MAX_LOCKOUT_SEC = 60 * 60;

/**
 * Sign-in lockout with backoff, per account and per client address, on rate-limiter-flexible's
 * Redis limiter (its "login endpoint protection" pattern). Unlike that example, an attempt is
 * RESERVED (consumed) before the password is checked and given back on success: a check-then-
 * count would let a burst of parallel guesses all pass the check before any is counted. The
 * failure that reaches the limit blocks the key for baseSec × 2^(lockouts in the last day − 1),
 * at most an hour; while blocked, even the right password is refused (429, retryAfterSec).
 * Account keys are a hash of the name as typed (lowercased), so unknown names lock the same way
 * and nothing tells which accounts exist.
 */
export class AdminLockout {
  private readonly accountFails: RateLimiterRedis;
  private readonly addressFails: RateLimiterRedis;
  private readonly lockouts: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly opts: LockoutOptions,
  ) {
    const limiter = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${opts.prefix}rl:admin:${name}`,
        points,
        duration,
      });
    this.accountFails = limiter('account', opts.attempts, FAILURE_WINDOW_SEC);
    this.addressFails = limiter('address', opts.attempts * 4, FAILURE_WINDOW_SEC);
    this.lockouts = limiter('lockouts', 1_000_000, LOCKOUT_HISTORY_SEC);
  }

  /**
   * Reserves one attempt for the address, then the account.
   * @throws TRPCError TOO_MANY_REQUESTS (appCode RATE_LIMITED, retryAfterSec) while either is locked.
   */
  async begin(username: string, ip: string): Promise<Attempt> {
    const account = createHash('sha256').update(username.trim().toLowerCase()).digest('hex');
    const address = ip || 'unknown';
    const addressFailures = await reserve(this.addressFails, address);
    try {
      const accountFailures = await reserve(this.accountFails, account);
      return { account, address, accountFailures, addressFailures };
    } catch (err) {
      // Refused by the account's lockout: no password was checked, so the address's count
      // is given back (else retries at a locked account would lock the address for an hour).
      await this.addressFails.reward(address, 1);
      throw err;
    }
  }

  /** The password was right: the account's run of failures ends; the address gets its point back. */
  async succeeded(a: Attempt): Promise<void> {
    await Promise.all([
      this.accountFails.delete(a.account),
      this.addressFails.reward(a.address, 1),
    ]);
  }

  /**
   * The attempt failed (it stays counted). Returns the lockouts it started: the account's and/or
   * the address's, with their length.
   */
  async failed(a: Attempt): Promise<{ scope: LockoutScope; sec: number }[]> {
    const started: { scope: LockoutScope; sec: number }[] = [];
    if (a.addressFailures >= this.opts.attempts * 4) {
      started.push({
        scope: 'address',
        sec: await this.lock(this.addressFails, `ip:${a.address}`, a.address),
      });
    }
    if (a.accountFailures >= this.opts.attempts) {
      started.push({
        scope: 'account',
        sec: await this.lock(this.accountFails, `acct:${a.account}`, a.account),
      });
    }
    return started;
  }

  private async lock(limiter: RateLimiterRedis, historyKey: string, key: string): Promise<number> {
    const n = (await this.lockouts.consume(historyKey)).consumedPoints;
    const sec = Math.min(MAX_LOCKOUT_SEC, this.opts.baseSec * 2 ** Math.min(n - 1, 20));
    await limiter.block(key, sec);
    return sec;
  }
}

/** Consumes one point; a rejection (over the limit: blocked) becomes the 429 a client sees. */
async function reserve(limiter: RateLimiterRedis, key: string): Promise<number> {
  try {
    return (await limiter.consume(key)).consumedPoints;
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res;
    const retryAfterSec = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    throw appError(
      'RATE_LIMITED',
      `Too many failed sign-ins: try again in ${retryAfterSec} s`,
      retryAfterSec,
    );
  }
}
