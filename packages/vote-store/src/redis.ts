import { Redis, type RedisOptions } from 'ioredis';

/** The part of a structured logger (pino's shape) a Redis connection reports to. */
export interface RedisLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * What a connection is for; each role has its own options.
 * - `app`: commands on the request path: fail fast (2 retries) so a request errors instead of
 *   hanging while Redis is away; auto-pipelined (concurrent requests share one write).
 * - `subscriber`: a blocking reader (the rankings feed's XREAD): never times out a command.
 * - `bullmq`: BullMQ's connections: `maxRetriesPerRequest: null`, as BullMQ requires.
 * - `worker`: the worker's own commands: fail fast, no auto-pipelining.
 */
export type RedisRole = 'app' | 'subscriber' | 'bullmq' | 'worker';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  app: { enableAutoPipelining: true, maxRetriesPerRequest: 2 },
  subscriber: { maxRetriesPerRequest: null },
  bullmq: { maxRetriesPerRequest: null },
  worker: { maxRetriesPerRequest: 2 },
};

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
  url: string,
  role: RedisRole,
  log: RedisLogger,
  extra: RedisOptions = {},
): Redis {
  const redis = new Redis(url, {
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
