import { createHash, randomBytes } from 'node:crypto';

import type { Redis } from 'ioredis';

/** The admin session cookie: a random token; the server keeps only its SHA-256. */
export const ADMIN_COOKIE = 'llmpt_admin';
/** 32 random bytes, base64url: 43 characters. Anything else is not looked up. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What Redis holds for one session (under the token's hash, never the token). */
export interface AdminSessionData {
  adminId: number;
  username: string;
  /** admin_users.session_epoch when it was made: a bump ends it. */
  epoch: number;
  /** Sent back by the page in `x-csrf-token` on every admin mutation. */
  csrfToken: string;
  /** ms since epoch; the session ends ADMIN_SESSION_MAX_HOURS after this whatever happens. */
  createdAt: number;
  ip: string;
  userAgent: string;
}

export interface AdminSession extends AdminSessionData {
  /** sha256(token), hex: the Redis key's suffix and the session's id in the audit log. */
  id: string;
  /** ms since epoch when it ends regardless of activity. */
  expiresAt: number;
}

export interface SessionTimeouts {
  idleMs: number;
  maxMs: number;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

function keys(prefix: string) {
  return {
    session: (id: string) => `${prefix}admin:session:${id}`,
    /** Per admin: the ids of their sessions, for "sign out everywhere" and disabling. */
    index: (adminId: number) => `${prefix}admin:sessions:${adminId}`,
  };
}

/**
 * Admin sessions in Redis: `admin:session:<sha256(token)>` holds the session as JSON, with a
 * TTL of the idle timeout that each request slides (never past the absolute end), and
 * `admin:sessions:<adminId>` indexes an admin's sessions. Plain commands, no MULTI: the keys of
 * one admin may sit in different Cluster slots, and an index entry that outlives its session
 * only costs a DEL of nothing.
 */
export class AdminSessions {
  private readonly k: ReturnType<typeof keys>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly timeouts: SessionTimeouts,
  ) {
    this.k = keys(prefix);
  }

  /** A new session and its token (for the cookie; it is not stored). */
  async create(
    data: Omit<AdminSessionData, 'csrfToken' | 'createdAt'>,
  ): Promise<{ token: string; session: AdminSession }> {
    const token = randomBytes(32).toString('base64url');
    const id = sha256(token);
    const stored: AdminSessionData = {
      ...data,
      userAgent: data.userAgent.slice(0, 512),
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: Date.now(),
    };
    const index = this.k.index(data.adminId);
    await Promise.all([
      this.redis.set(this.k.session(id), JSON.stringify(stored), 'PX', this.timeouts.idleMs),
      this.redis.sadd(index, id),
      this.redis.pexpire(index, this.timeouts.maxMs),
    ]);
    return { token, session: { ...stored, id, expiresAt: stored.createdAt + this.timeouts.maxMs } };
  }

  /**
   * The live session of a cookie's token, its idle timeout slid forward; null when the token is
   * malformed, unknown, idle too long (its key expired) or past its absolute end (then removed).
   * Whether its admin still may use it (disabled, epoch) is the guard's check.
   */
  async read(token: string | undefined): Promise<AdminSession | null> {
    if (token === undefined || !TOKEN.test(token)) return null;
    const id = sha256(token);
    const raw = await this.redis.get(this.k.session(id));
    if (raw === null) return null;
    const data = parse(raw);
    if (!data) {
      await this.redis.del(this.k.session(id));
      return null;
    }
    const expiresAt = data.createdAt + this.timeouts.maxMs;
    const left = expiresAt - Date.now();
    if (left <= 0) {
      await this.destroy(id, data.adminId);
      return null;
    }
    await this.redis.pexpire(this.k.session(id), Math.min(this.timeouts.idleMs, left));
    return { ...data, id, expiresAt };
  }

  async destroy(id: string, adminId: number): Promise<void> {
    await Promise.all([
      this.redis.del(this.k.session(id)),
      this.redis.srem(this.k.index(adminId), id),
    ]);
  }

  /** Ends every session of an admin (sign out everywhere, disabling). Returns how many lived. */
  destroyAll(adminId: number): Promise<number> {
    return destroyAdminSessions(this.redis, this.prefix, adminId);
  }

  /** The session's Redis key (tests shorten its TTL to prove the idle timeout). */
  keyOf(id: string): string {
    return this.k.session(id);
  }

  /** The id a token is stored under. */
  static idOf(token: string): string {
    return sha256(token);
  }
}

/**
 * Deletes every session of `adminId` under `prefix` (also used by the CLI's admin:disable).
 * @returns how many sessions were still alive.
 */
export async function destroyAdminSessions(
  redis: Redis,
  prefix: string,
  adminId: number,
): Promise<number> {
  const k = keys(prefix);
  const ids = await redis.smembers(k.index(adminId));
  const deleted = await Promise.all(ids.map((id) => redis.del(k.session(id))));
  await redis.del(k.index(adminId));
  return deleted.reduce((a, b) => a + b, 0);
}

function parse(raw: string): AdminSessionData | null {
  try {
    const v = JSON.parse(raw) as Partial<AdminSessionData>;
    if (
      typeof v.adminId !== 'number' ||
      typeof v.username !== 'string' ||
      typeof v.epoch !== 'number' ||
      typeof v.csrfToken !== 'string' ||
      typeof v.createdAt !== 'number'
    ) {
      return null;
    }
    return {
      adminId: v.adminId,
      username: v.username,
      epoch: v.epoch,
      csrfToken: v.csrfToken,
      createdAt: v.createdAt,
      ip: typeof v.ip === 'string' ? v.ip : '',
      userAgent: typeof v.userAgent === 'string' ? v.userAgent : '',
    };
  } catch {
    return null;
  }
}
