import type { Redis } from 'ioredis';

import type { KeyedHash } from './client-network.ts';

const SESSION_TTL_SEC = 24 * 60 * 60;
/** A voter's session is refreshed at most this often per process: two Redis commands saved per vote. */
const TOUCH_EVERY_MS = 5 * 60_000;
const MAX_TRACKED = 100_000;

/**
 * Voter sessions in Redis (`session:<voterId>`: first/last seen, keyed hashes of IP and user
 * agent for fraud rules), 24 h TTL, refreshed by activity. Written ONLY for a vote that was
 * accepted: Redis runs with `noeviction`, so a key per cookieless or forged request (answered
 * 401/404 or not) would let anyone fill it.
 */
export class VoterSessions {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly hash: KeyedHash,
  ) {}

  /**
   * Whether this voter has had a vote accepted (their session exists): a voter who has not is
   * new, and spends their network's budget of new voters. Recently seen voters are answered
   * from this process's memory, others with one EXISTS.
   */
  async known(voterId: string): Promise<boolean> {
    if (this.touched.has(voterId)) return true;
    return (await this.redis.exists(this.key(voterId))) === 1;
  }

  /**
   * Opens or refreshes the voter's session after an accepted vote. Plain commands, not MULTI:
   * they join the auto-pipelined write of concurrent requests, and a lost race between them only
   * shortens one session.
   */
  async touch(voterId: string, ip: string, userAgent: string): Promise<void> {
    const now = Date.now();
    const last = this.touched.get(voterId);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    if (this.touched.size >= MAX_TRACKED) this.touched.clear();
    this.touched.set(voterId, now);
    const key = this.key(voterId);
    const at = new Date(now).toISOString();
    await Promise.all([
      this.redis.hsetnx(key, 'firstSeen', at),
      this.redis.hset(key, {
        lastSeen: at,
        ipHash: this.hash(ip),
        uaHash: this.hash(userAgent),
      }),
      this.redis.expire(key, SESSION_TTL_SEC),
    ]);
  }

  key(voterId: string): string {
    return `${this.prefix}session:${voterId}`;
  }
}
