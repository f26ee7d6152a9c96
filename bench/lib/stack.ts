import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { type Database, createDb } from '@llmpt/db';
import { createDatabase, dropDatabase } from '@llmpt/devstack';
import { type Stack, prepareDatabase, startStack } from '@llmpt/stack';
import { rankingsKeys } from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';

import type { BenchContext } from './types.ts';

/** Real api and worker processes on loopback, started as `npm start` starts them (@llmpt/stack). */
export interface BenchStack {
  /** http://127.0.0.1:PORT of each api process. */
  apiUrls: string[];
  /** http://127.0.0.1:PORT/metrics of each api process (its internal metrics listener). */
  apiMetricsUrls: string[];
  apis: ChildProcess[];
  workers: ChildProcess[];
  /** The processes themselves: more workers or apis can be added (not waited for). */
  processes: Stack;
  db: Kysely<Database>;
  databaseUrl: string;
  /** The Redis key prefix every process of this stack uses. */
  prefix: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

let stackSeq = 0;

/**
 * A fresh database (migrated, seeded) and Redis prefix, `apis` api processes and `workers` worker
 * processes. Resolves once every api answers /readyz, every worker /healthz, and votes are
 * accepted (partitions rebuilt). Rate and network limits are raised: load generators come from one
 * address.
 */
export async function startBenchStack(
  ctx: BenchContext,
  opts: { apis?: number; workers?: number; env?: Record<string, string> } = {},
): Promise<BenchStack> {
  const seq = ++stackSeq;
  const name = `llmpt_bench_${process.pid}_${seq}`;
  await dropDatabase(ctx.pgServerUrl, name).catch(() => undefined);
  const databaseUrl = await createDatabase(ctx.pgServerUrl, name);
  await prepareDatabase(databaseUrl);
  const db = createDb(databaseUrl);
  const prefix = `bench:${process.pid}:${seq}:`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: ctx.redisUrl,
    REDIS_PREFIX: prefix,
    BULL_PREFIX: `${prefix}bull`,
    VOTER_COOKIE_SECRET: 'bench-secret-bench-secret-bench-secret',
    VOTE_RATE_LIMIT: '1000000',
    VOTE_RATE_LIMIT_IP: '100000000',
    VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '100000000',
    VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '100000000',
    LOG_LEVEL: 'warn',
    // To the worker's integrity rules, many new voters from one network casting the same ballot
    // are an attack, and every voter here is 127.0.0.1: the rules run only where the caller
    // sets the sweep's pace (the integrity scenarios) or turns them on by name.
    INTEGRITY_RULES_ENABLED: opts.env?.INTEGRITY_SWEEP_MS === undefined ? 'false' : 'true',
    // The product ranks a model from its 20th vote (DEFAULT_RANK_MIN_VOTES); the bench's boards
    // start nearly empty and its figures were taken with every voted model ranked: 1 unless the
    // caller sets it.
    RANK_MIN_VOTES: '1',
    ...opts.env,
  };
  const profileDir = path.join(ctx.repoRoot, 'bench', 'results', 'profiles');
  if (ctx.opts.profile) await mkdir(profileDir, { recursive: true });
  const dropDb = async () => {
    await db.destroy();
    await dropDatabase(ctx.pgServerUrl, name).catch(() => undefined);
  };
  let processes: Stack;
  try {
    processes = await startStack({
      apis: opts.apis ?? 1,
      workers: opts.workers ?? 1,
      env,
      // A profile is written when the process exits on SIGTERM (stop() below). One folder per
      // process: node names each thread's profile itself.
      nodeArgs: (proc) =>
        ctx.opts.profile
          ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, `${proc}-${seq}`)}`]
          : [],
      stdout: 'ignore',
      stderr: 'inherit',
      log: (msg) => ctx.log(msg),
    });
  } catch (err) {
    await dropDb();
    throw err;
  }
  const stop = async () => {
    await processes.stop();
    await dropDb();
  };
  return {
    apiUrls: processes.apis.map((a) => a.url),
    apiMetricsUrls: processes.apis.map((a) => a.metricsUrl ?? ''),
    apis: processes.apis.map((a) => a.child),
    workers: processes.workers.map((w) => w.child),
    processes,
    db,
    databaseUrl,
    prefix,
    env,
    stop,
  };
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Until the worker's ranker has published the first board of a stack, plus 1 s for every api's
 * feed follower to take it in (milliseconds in practice): before that a read would see no board.
 */
export async function firstBoardPublished(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const snapshotKey = rankingsKeys(prefix).snapshot;
    await waitUntil(async () => (await redis.exists(snapshotKey)) === 1, 30_000);
  } finally {
    redis.disconnect();
  }
  await new Promise((r) => setTimeout(r, 1_000));
}
