import { createHmac } from 'node:crypto';

import type { Redis } from 'ioredis';

const SESSION_TTL_SEC = 24 * 60 * 60;
/** A voter's session is refreshed at most this often per process: two Redis commands saved per vote. */
const TOUCH_EVERY_MS = 5 * 60_000;
const MAX_TRACKED = 100_000;

/**
 * Voter sessions in Redis (`session:<voterId>`: first/last seen, keyed hashes of IP and user
 * agent for fraud rules), 24 h TTL, refreshed by activity.
 */
export class VoterSessions {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly secret: string,
  ) {}

  async create(voterId: string, ip: string, userAgent: string): Promise<void> {
    const key = this.key(voterId);
    const now = new Date().toISOString();
    this.touched.set(voterId, Date.now());
    await Promise.all([
      this.redis.hset(key, {
        firstSeen: now,
        lastSeen: now,
        ipHash: this.hash(ip),
        uaHash: this.hash(userAgent),
      }),
      this.redis.expire(key, SESSION_TTL_SEC),
    ]);
  }

  /**
   * Refreshes lastSeen and the TTL. Plain commands, not MULTI: they join the auto-pipelined
   * write of the rate-limit checks, and a lost race between them only shortens one session.
   */
  async touch(voterId: string): Promise<void> {
    const now = Date.now();
    const last = this.touched.get(voterId);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    if (this.touched.size >= MAX_TRACKED) this.touched.clear();
    this.touched.set(voterId, now);
    const key = this.key(voterId);
    await Promise.all([
      this.redis.hset(key, 'lastSeen', new Date(now).toISOString()),
      this.redis.expire(key, SESSION_TTL_SEC),
    ]);
  }

  /** Keyed hash: lets fraud rules compare IPs and user agents without storing them. */
  hash(value: string): string {
    return createHmac('sha256', this.secret).update(value).digest('base64url').slice(0, 16);
  }

  key(voterId: string): string {
    return `${this.prefix}session:${voterId}`;
  }
}
