import { z } from 'zod';

/**
 * Validates an app's environment against its schema. A bad or missing variable throws ONE
 * error naming every problem, so a process never starts half-configured.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined>,
  app: string,
): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const key = i.path.join('.');
    return `  ${key}: ${source[key] === undefined ? 'is not set' : i.message}`;
  });
  throw new Error(`Invalid environment for ${app}:\n${lines.join('\n')}`);
}

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/**
 * Where the apps find Redis, shared by api and worker: one server (`REDIS_URL`), or a primary
 * watched by Sentinels (`REDIS_SENTINELS`, `REDIS_MASTER_NAME`), whose failover the clients
 * follow without a restart. With both, the Sentinels win and `REDIS_URL` supplies only the
 * password and database number. Check with `requireRedisTarget`.
 */
export const redisEnvShape = {
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).optional(),
  /** Comma-separated host:port of the Sentinels. */
  REDIS_SENTINELS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const list = (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((s) => !hostPort.test(s));
      if (bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be host:port,host:port (not ${bad.join(', ')})`,
        });
        return z.NEVER;
      }
      return list;
    }),
  /** The name the Sentinels monitor the primary under. */
  REDIS_MASTER_NAME: z.string().min(1).max(64).default('llmpt'),
};

/** An env with `redisEnvShape` must name a Redis: a URL or Sentinels. */
export function requireRedisTarget(
  env: { REDIS_URL?: string | undefined; REDIS_SENTINELS: string[] },
  ctx: z.RefinementCtx,
): void {
  if (!env.REDIS_URL && env.REDIS_SENTINELS.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message: 'is not set (set REDIS_URL, or REDIS_SENTINELS and REDIS_MASTER_NAME)',
    });
  }
}

/**
 * Postgres, shared by api and worker: the primary (`DATABASE_URL`, through PgBouncer in a
 * deployment) and, optionally, a streaming replica for reads that may lag.
 */
export const databaseEnvShape = {
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
  /** A streaming replica for lag-tolerant reads (history, trends, catalogue reloads). */
  DATABASE_REPLICA_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .optional(),
  /** Past this replication lag (or with the replica down) those reads go to the primary. */
  DATABASE_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
};

/**
 * How boards are ranked, shared by api and worker (they must agree: the ranker ranks, the api
 * ranks the same way before the ranker's first publication and for past hours).
 */
export const rankingEnvShape = {
  /** Votes a model needs to be ranked; below it a voted model is listed as "provisional". */
  RANK_MIN_VOTES: z.coerce.number().int().min(1).max(1_000_000).default(20),
  /** Half-life of the trending score, in hours (votes count half after this long). */
  TRENDING_HALF_LIFE_HOURS: z.coerce.number().min(0.25).max(24 * 90).default(6),
};
