import proxyAddr from '@fastify/proxy-addr';
import {
  databaseEnvShape,
  parseEnv,
  rankingEnvShape,
  redisEnvShape,
  requireRedisTarget,
} from '@llmpt/shared';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z
  .object({
    /** 'production' unless asked: error bodies then carry no stack traces or internal messages. */
    NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    ...databaseEnvShape,
    /** Postgres connections of this process's pool (PgBouncer multiplexes them in a deployment). */
    DATABASE_POOL_MAX: int(1, 200).default(10),
    ...redisEnvShape,
    ...rankingEnvShape,
    /**
     * Replicas that must hold a vote before it is acknowledged (Redis `WAIT`; 0: none). With 1, a
     * primary killed right after answering cannot take the vote with it; a vote the replica did
     * not confirm within VOTE_ACK_TIMEOUT_MS is answered 503 (retry-safe: ballots are idempotent).
     */
    VOTE_ACK_REPLICAS: int(0, 8).default(0),
    VOTE_ACK_TIMEOUT_MS: int(1, 10_000).default(200),
    /**
     * With VOTE_ACK_REPLICAS > 0 and no replica attached (after a failover, until the old primary
     * rejoins): 'accept' acknowledges on the primary's AOF alone, so voting stays up (losing such a
     * vote takes a second failure); 'refuse' answers 503 until a replica is back.
     */
    VOTE_ACK_WITHOUT_REPLICA: z.enum(['accept', 'refuse']).default('accept'),
    /** Prefix of every Redis key this deployment owns. */
    REDIS_PREFIX: z.string().max(64).default(''),
    VOTE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
    /** HMAC key of voter cookies and IP hashes; rotate it and every voter gets a new identity. */
    VOTER_COOKIE_SECRET: z.string().min(32, 'must be at least 32 characters'),
    /** 'auto': Secure cookies when the request came over TLS (directly or per X-Forwarded-Proto). */
    COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
    /**
     * Proxies whose X-Forwarded-For/-Proto are believed, by address: a comma-separated list of
     * addresses, CIDRs or the names loopback, linklocal, uniquelocal (e.g. "127.0.0.1" for nginx
     * on the same host). Empty: none (the peer address is the client). Hop counts and "true" are
     * refused: they trust whatever a direct client writes in the header.
     */
    TRUST_PROXY: z
      .string()
      .default('')
      .transform((v, ctx) => {
        const list = v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '' && s !== 'false');
        if (list.some((s) => s === 'true' || /^\d+$/.test(s))) {
          ctx.addIssue({
            code: 'custom',
            message:
              'hop counts and "true" trust any client that sends X-Forwarded-For: list the proxy addresses or CIDRs instead (e.g. 127.0.0.1)',
          });
          return z.NEVER;
        }
        try {
          proxyAddr.compile(list);
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            message: `must be addresses or CIDRs: ${err instanceof Error ? err.message : String(err)}`,
          });
          return z.NEVER;
        }
        return list;
      }),
    /** Folder of the built SPA to serve at / (single-machine mode); unset behind nginx. */
    WEB_DIST: z.string().optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** Votes per minute per voter (the seed's 60/min). */
    VOTE_RATE_LIMIT: z.coerce.number().int().min(1).default(60),
    /** Votes per minute per client IP. */
    VOTE_RATE_LIMIT_IP: z.coerce.number().int().min(1).default(60),
    /**
     * New voter ids (first votes of a fresh cookie) per client network per hour: an IPv4 /24 or an
     * IPv6 /64. A campus or office NAT shares one; a script that drops its cookie mints one per vote.
     */
    VOTE_NEW_VOTERS_PER_NETWORK_HOUR: z.coerce.number().int().min(1).default(300),
    /**
     * New ballots on ONE model per client network per hour (the /24 or /64 above): caps what one
     * network can add to a model's score however many voter ids it holds. Retracting or switching a
     * ballot is never limited by it.
     */
    VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: z.coerce.number().int().min(1).default(10),
    /** The internal listener of /metrics (Prometheus); -1 turns it off, 0 picks a free port. */
    METRICS_PORT: int(-1, 65535).default(9463),
    /** Interface of /metrics: loopback unless the scraper runs elsewhere. Never the public port. */
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /**
     * Every this many ms each process writes its metrics to Redis for the admins' overview (the
     * step of its charts). Keep it equal in api and worker: the overview reads the api's.
     */
    OPS_SAMPLE_MS: int(100, 60_000).default(5000),
    /** Time for a whole request (headers and body) to arrive; a stalled upload is answered 408. */
    REQUEST_TIMEOUT_MS: int(1000, 300_000).default(10_000),
    /** Idle time before an HTTP keep-alive connection is closed (above nginx's 60 s upstream default). */
    KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000).default(72_000),
    /**
     * 'on': a plain POST of vote.cast is answered before fastify and tRPC's middleware, with the
     * same answers (http/vote-fast.ts); 'off' leaves every vote to the tRPC route.
     */
    EARLY_VOTES: z.enum(['on', 'off']).default('on'),
    /**
     * Origins allowed to open a WebSocket (comma-separated, e.g. https://example.org). Empty: same
     * origin only (the Origin's host equals the Host header). Clients that send no Origin (not
     * browsers) are allowed: cross-site WebSocket hijacking needs a browser.
     */
    ALLOWED_ORIGINS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    /** Largest WebSocket message accepted from a client; bigger ones close that connection (1009). */
    WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(256).max(1_048_576).default(16_384),
    /** Live subscriptions one WebSocket may hold (a page needs one or two). Beyond: closed with 4008. */
    WS_MAX_SUBSCRIPTIONS: int(1, 1000).default(10),
    /** tRPC calls in one WebSocket message (a batch). Beyond: closed with 4008. */
    WS_MAX_CALLS_PER_MESSAGE: int(1, 1000).default(10),
    /** Messages per second one WebSocket may send on average, and in a burst. Beyond: closed with 4008. */
    WS_MESSAGES_PER_SEC: int(1, 10_000).default(10),
    WS_MESSAGE_BURST: int(1, 10_000).default(30),
    /**
     * Requests per minute one client address may make to the public REST API (/api/v1) and the
     * badges (/badge) together; beyond: 429 with Retry-After. Edge cache hits do not count.
     */
    PUBLIC_API_RATE_LIMIT: int(1, 1_000_000).default(120),
    /** An admin session ends after this many minutes without a request. */
    ADMIN_SESSION_IDLE_MINUTES: int(1, 24 * 60).default(30),
    /** …and after this many hours whatever happens (sign in again). */
    ADMIN_SESSION_MAX_HOURS: int(1, 7 * 24).default(12),
    /** Failed sign-ins per account (and, ×4, per address) before a lockout; each lockout doubles. */
    ADMIN_LOCKOUT_ATTEMPTS: int(1, 100).default(5),
    /** The first lockout, in seconds (then 2×, 4×, … up to an hour). */
    ADMIN_LOCKOUT_BASE_SEC: int(1, 3600).default(60),
    /** The worker's BullMQ key prefix (same default): the board at /admin/queues reads its queues. */
    BULL_PREFIX: z.string().min(1).max(64).default('{bull}'),
    /** Links on the admin page (unset: not shown). */
    GRAFANA_URL: z.url({ protocol: /^https?$/ }).optional(),
    PROMETHEUS_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Processes of the api on one machine (node:cluster); each holds at most ~20,000 sockets here. */
    WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  })
  .superRefine(requireRedisTarget);

export type Env = z.infer<typeof schema>;

/** Every variable this app reads (.env.example lists each one; a test checks). */
export const ENV_KEYS: readonly string[] = Object.keys(schema.shape);

/** Validates the environment once; a bad variable stops the process with one clear message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return parseEnv(schema, source, 'apps/api');
}
