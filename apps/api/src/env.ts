import { parseEnv } from '@llmpt/shared';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }),
  /** Prefix of every Redis key this deployment owns. */
  REDIS_PREFIX: z.string().max(64).default(''),
  VOTE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  /** HMAC key of voter cookies and IP hashes; rotate it and every voter gets a new identity. */
  VOTER_COOKIE_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** 'auto': Secure cookies when the request came over TLS (directly or per X-Forwarded-Proto). */
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Trust X-Forwarded-* from a proxy (nginx): true, false, or a hop count. */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v, ctx) => {
      if (v === 'true' || v === 'false') return v === 'true';
      const hops = Number(v);
      if (Number.isInteger(hops) && hops >= 0) return hops;
      ctx.addIssue({ code: 'custom', message: 'must be true, false or a hop count' });
      return z.NEVER;
    }),
  /** Folder of the built SPA to serve at / (single-machine mode); unset behind nginx. */
  WEB_DIST: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Votes per minute per voter (the seed's 60/min). */
  VOTE_RATE_LIMIT: z.coerce.number().int().min(1).default(60),
  /** Votes per minute per client IP. */
  VOTE_RATE_LIMIT_IP: z.coerce.number().int().min(1).default(60),
  METRICS_ENABLED: bool.default(true),
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
  /** Processes of the api on one machine (node:cluster); each holds at most ~20,000 sockets here. */
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
});

export type Env = z.infer<typeof schema>;

/** Validates the environment once; a bad variable stops the process with one clear message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return parseEnv(schema, source, 'apps/api');
}
