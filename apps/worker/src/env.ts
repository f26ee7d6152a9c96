import path from 'node:path';

import {
  databaseEnvShape,
  parseEnv,
  rankingEnvShape,
  redisEnvShape,
  requireRedisTarget,
} from '@llmpt/shared';
import { z } from 'zod';

import { integrityEnvShape } from './integrity/config.ts';

const bool = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

/** A BullMQ repeat pattern: 5 fields, or 6 with seconds first (cron syntax, UTC). */
const cron = z
  .string()
  .trim()
  .regex(/^[\d*/,\-A-Za-z?LW#]+(\s+[\d*/,\-A-Za-z?LW#]+){4,5}$/, {
    error: 'must be a cron pattern of 5 or 6 fields, e.g. "0 30 2 * * *"',
  });
/** Each cron field's allowed numbers: seconds, minutes, hours, day of month, month, weekday. */
const CRON_RANGES: ReadonlyArray<[number, number]> = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/**
 * Why a cron pattern (5 fields, or 6 with seconds first) is not one, or null: each field is `*`,
 * `?` (day fields) or a comma list of numbers, ranges `a-b` and steps `x/n`, every number in the
 * field's range (month and weekday names are not accepted here: numbers only).
 */
export function cronProblem(pattern: string): string | null {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    return `has ${fields.length} fields, needs 5 or 6 (seconds first)`;
  const ranges = fields.length === 6 ? CRON_RANGES : CRON_RANGES.slice(1);
  const names = ['second', 'minute', 'hour', 'day of month', 'month', 'weekday'].slice(
    6 - fields.length,
  );
  for (const [i, field] of fields.entries()) {
    const [min, max] = ranges[i]!;
    for (const part of field.split(',')) {
      const m = /^(\*|\?|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      const nums = m ? [m[2], m[3]].filter((n) => n !== undefined).map(Number) : [];
      const step = m?.[4] === undefined ? 1 : Number(m[4]);
      const ok =
        m !== null &&
        (m[1] !== '?' || i >= fields.length - 3) &&
        nums.every((n) => n >= min && n <= max) &&
        (nums.length < 2 || nums[0]! <= nums[1]!) &&
        step >= 1 &&
        step <= max;
      if (!ok) return `${names[i]} field "${part}" is not valid (numbers ${min}-${max})`;
    }
  }
  return null;
}

/** A cron pattern checked field by field (cronProblem), e.g. "0 15 0 * * *". */
const strictCron = z
  .string()
  .trim()
  .superRefine((pattern, ctx) => {
    const problem = cronProblem(pattern);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        message: `must be a cron pattern of 5 or 6 fields, e.g. "0 15 0 * * *": ${problem}`,
      });
  });

/** A directory; relative paths are taken from the working directory (the repository root). */
const dir = z
  .string()
  .min(1)
  .transform((d) => path.resolve(d));

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
    ...databaseEnvShape,
    /** Postgres connections of this process's pool (PgBouncer multiplexes them in a deployment). */
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(4),
    ...redisEnvShape,
    ...rankingEnvShape,
    REDIS_PREFIX: z.string().max(64).default(''),
    /**
     * BullMQ's own key prefix (queues, schedulers). In braces, a Redis Cluster hash tag: BullMQ's
     * scripts touch several keys of one queue, which must share a slot.
     */
    BULL_PREFIX: z.string().min(1).max(64).default('{bull}'),
    VOTE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
    /** Outbox entries per flush transaction. */
    FLUSH_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(5000),
    FLUSH_EVERY_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** A flush job keeps draining its partition for up to this long when there is a backlog. */
    FLUSH_BUDGET_MS: z.coerce.number().int().min(10).max(60_000).default(900),
    /**
     * Replicas that must hold an outbox batch before the flush writes it to Postgres (0: don't
     * wait): Postgres then never holds a vote a Redis failover could take back. The cluster sets
     * 1. With no replica online (after a failover) the flush goes on; metric
     * flush_events_without_replica_total.
     */
    FLUSH_AFTER_REPLICAS: z.coerce.number().int().min(0).max(8).default(0),
    FLUSH_REPLICA_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /** Pending outbox entries idle this long belong to a dead consumer and are reclaimed. */
    FLUSH_CLAIM_IDLE_MS: z.coerce.number().int().min(1).default(30_000),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    /** Port of /metrics and /healthz; 0 picks a free one, -1 disables. */
    METRICS_PORT: z.coerce.number().int().min(-1).max(65535).default(9464),
    METRICS_HOST: z.string().default('127.0.0.1'),
    /** Every this many ms the worker writes its metrics to Redis for the admins' overview (= the api's). */
    OPS_SAMPLE_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    /** Run the rankings ranker here (one leader among the workers that do). */
    RANKER_ENABLED: bool.default(true),
    /** Ranker period: at most one rankings diff per tick, whatever the vote rate. */
    RANKER_TICK_MS: z.coerce.number().int().min(50).max(60_000).default(250),
    /**
     * Diff entries per second the ranker paces itself to (0: off). After a diff of N entries the
     * next tick waits N / this seconds, up to RANKER_MAX_TICK_MS: every subscriber receives every
     * entry, so this bounds fan-out bytes when heavy, uniform voting changes every model per tick.
     */
    RANKER_MAX_ENTRIES_PER_SEC: z.coerce.number().int().min(0).max(1_000_000).default(150),
    /** The longest a paced tick may wait (at least RANKER_TICK_MS). */
    RANKER_MAX_TICK_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** Lease of the ranker leader lock: a dead leader is replaced within about this long. */
    RANKER_LOCK_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(3000),
    /** Rankings diffs kept (approximately) for clients that reconnect and resume. */
    RANKINGS_STREAM_MAXLEN: z.coerce.number().int().min(100).max(1_000_000).default(2000),
    /**
     * Scheduled backups (pg logical dump + Redis RDB) into BACKUP_DIR. Default: on when
     * NODE_ENV=production.
     */
    BACKUP_ENABLED: bool.optional(),
    /** When backups run (UTC). Default: every 6 hours at minute 17. */
    BACKUP_CRON: cron.default('0 17 */6 * * *'),
    BACKUP_DIR: dir.default('.data/backups'),
    /**
     * When the daily public dump (open data, issue 15) of the previous UTC day is written (UTC;
     * default 00:15). Each run also writes any missing day of the last 7, as does a worker start.
     */
    PUBLIC_DUMP_CRON: strictCron.default('0 15 0 * * *'),
    /** Backups kept: at most this many, the newest... */
    BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(8),
    /** ...and none older than this (the newest successful one is always kept). */
    BACKUP_MAX_AGE_HOURS: z.coerce
      .number()
      .min(1)
      .max(24 * 3650)
      .default(7 * 24),
    /** Also copy Redis's RDB (redis-cli --rdb) into each backup. */
    BACKUP_REDIS: bool.default(true),
    /** The redis-cli program that copies the RDB (Debian: package redis-tools). */
    BACKUP_REDIS_CLI: z.string().min(1).default('redis-cli'),
    /**
     * Monthly user_votes partitions older than this many whole months are detached (0: keep
     * all). The current month and the ones ahead are never touched.
     */
    PARTITION_RETENTION_MONTHS: z.coerce.number().int().min(0).max(1200).default(0),
    /**
     * What happens to a detached partition: 'file' writes it as gzipped CSV into
     * PARTITION_ARCHIVE_DIR then drops it, 'table' moves it to the schema `archive`, 'drop'
     * drops it.
     */
    PARTITION_ARCHIVE: z.enum(['file', 'table', 'drop']).default('file'),
    PARTITION_ARCHIVE_DIR: dir.default('.data/archive'),
    /**
     * Days the signals kept with a vote event (address, network, user-agent and fingerprint
     * hashes, automation and new-voter marks) are kept; older events keep only the vote itself.
     */
    INTEGRITY_SIGNAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /** The integrity sweep and its rules' thresholds (see integrity/config.ts). */
    ...integrityEnvShape,
    /** Outbox consumers idle this long with nothing pending are removed (dead workers). */
    OUTBOX_CONSUMER_IDLE_MS: z.coerce.number().int().min(60_000).default(3_600_000),
    /** Compare Redis with Postgres and repair Redis this often (0: never). */
    RECONCILE_EVERY_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .default(3_600_000),
    /** Repair the drift the reconciliation finds (false: only report it). */
    RECONCILE_REPAIR: bool.default(true),
    /**
     * Test-only fault injection: 'after-commit' kills the process (SIGKILL) right after a flush
     * transaction commits and before XACK, to prove redelivery is harmless.
     */
    FLUSH_FAILPOINT: z.enum(['none', 'after-commit']).default('none'),
    /**
     * Test-only: 'mid-voiding' kills the process (SIGKILL) after part of a flag's ballots are
     * voided in Redis and before Postgres records it, to prove the transitions resume cleanly.
     */
    INTEGRITY_FAILPOINT: z.enum(['none', 'mid-voiding']).default('none'),
  })
  .superRefine(requireRedisTarget)
  .transform((env) => ({
    ...env,
    BACKUP_ENABLED: env.BACKUP_ENABLED ?? env.NODE_ENV === 'production',
  }));

export type Env = z.infer<typeof schema>;

/** Every variable this app reads (.env.example lists each one; a test checks). */
export const ENV_KEYS: readonly string[] = Object.keys(schema.in.shape);

/** Validates the environment once; a bad variable stops the process with one clear message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return parseEnv(schema, source, 'apps/worker');
}
