import { Redis, type RedisOptions } from 'ioredis';

/** The part of a structured logger (pino's shape) a Redis connection reports to. */
export interface RedisLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * What a connection is for; each role has its own options.
 * - `votes`: the vote script and, when votes wait for a replica, its WAIT: a connection of its
 *   own, since WAIT holds every later command of its connection until the replica answers.
 * - `app`: commands on the request path: fail fast (2 retries) so a request errors instead of
 *   hanging while Redis is away; auto-pipelined (concurrent requests share one write).
 * - `subscriber`: a blocking reader (the rankings feed's XREAD): never times out a command.
 * - `bullmq`: BullMQ's connections: `maxRetriesPerRequest: null`, as BullMQ requires.
 * - `worker`: the worker's own commands: fail fast, no auto-pipelining.
 */
export type RedisRole = 'app' | 'votes' | 'subscriber' | 'bullmq' | 'worker';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  app: { enableAutoPipelining: true, maxRetriesPerRequest: 2 },
  votes: { enableAutoPipelining: true, maxRetriesPerRequest: 2 },
  subscriber: { maxRetriesPerRequest: null },
  bullmq: { maxRetriesPerRequest: null },
  worker: { maxRetriesPerRequest: 2 },
};

/**
 * Where Redis is: one server by URL, or a primary found through Sentinels (ioredis asks them
 * for the current primary on every (re)connect and follows a failover). With Sentinels, `url`
 * (if any) supplies only the password and database number.
 */
export type RedisTarget =
  string | { url?: string | undefined; sentinels: readonly string[]; masterName: string };

/** The target an app's validated env names (see @llmpt/shared's redisEnvShape). */
export function redisTargetOf(env: {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS: readonly string[];
  REDIS_MASTER_NAME: string;
}): RedisTarget {
  if (env.REDIS_SENTINELS.length === 0) {
    if (!env.REDIS_URL) throw new Error('REDIS_URL or REDIS_SENTINELS must be set');
    return env.REDIS_URL;
  }
  return { url: env.REDIS_URL, sentinels: env.REDIS_SENTINELS, masterName: env.REDIS_MASTER_NAME };
}

/** A short description for logs and status lines (no password). */
export function describeRedisTarget(target: RedisTarget): string {
  if (typeof target === 'string') return target.replace(/\/\/[^@/]*@/, '//');
  return `sentinels ${target.sentinels.join(',')} (${target.masterName})`;
}

function connectionOptions(target: RedisTarget): RedisOptions {
  const url = typeof target === 'string' ? target : target.url;
  const fromUrl: RedisOptions = {};
  if (url) {
    const u = new URL(url);
    if (u.password) fromUrl.password = decodeURIComponent(u.password);
    if (u.username) fromUrl.username = decodeURIComponent(u.username);
    const db = Number(u.pathname.slice(1) || 0);
    if (Number.isInteger(db) && db > 0) fromUrl.db = db;
    if (u.protocol === 'rediss:') fromUrl.tls = {};
    if (typeof target === 'string') {
      fromUrl.host = u.hostname.replace(/^\[|\]$/g, '');
      fromUrl.port = Number(u.port || 6379);
    }
  }
  if (typeof target === 'string') return fromUrl;
  return {
    ...fromUrl,
    name: target.masterName,
    sentinels: target.sentinels.map((hp) => {
      const i = hp.lastIndexOf(':');
      return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
    }),
    // Subscribes to the Sentinels' +switch-master: reconnects at a failover's announcement
    // instead of when the old primary's socket finally errors.
    failoverDetector: true,
  };
}

/** While Redis stays down, one line per connection per this period, not one per retry. */
const ERROR_LOG_EVERY_MS = 10_000;

/**
 * Every Redis connection of the product is made here: options by role, and an `error` listener
 * that logs through the process's structured logger. Without a listener ioredis prints an
 * "Unhandled error event" stack trace on every reconnect attempt (31 per api process seen
 * during one Redis restart); with one, an outage is one warning, a count of repeats every
 * 10 s, and one "reconnected" line.
 */
export function createRedis(
  target: RedisTarget,
  role: RedisRole,
  log: RedisLogger,
  extra: RedisOptions = {},
): Redis {
  const redis = new Redis({
    ...connectionOptions(target),
    ...ROLE_OPTIONS[role],
    connectionName: `llmpt-${role}`,
    ...extra,
  });
  let failing = false;
  let lastLoggedAt = 0;
  let suppressed = 0;
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (failing && now - lastLoggedAt < ERROR_LOG_EVERY_MS) {
      suppressed++;
      return;
    }
    log.warn(
      { role, err: { message: err.message, code: (err as { code?: unknown }).code }, suppressed },
      'redis connection error',
    );
    failing = true;
    lastLoggedAt = now;
    suppressed = 0;
  });
  redis.on('ready', () => {
    if (!failing) return;
    failing = false;
    log.info({ role, suppressed }, 'redis reconnected');
    suppressed = 0;
  });
  return redis;
}
