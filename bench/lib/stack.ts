import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { type Database, createDb, migrateToLatest, seedLlms } from '@llmpt/db';
import { createDatabase, dropDatabase, freePort } from '@llmpt/devstack';
import type { Kysely } from 'kysely';

import { stopChild } from './children.ts';
import type { BenchContext } from './types.ts';

/** Real api and worker processes on loopback, as `npm run start:api` / `start:worker` run them. */
export interface BenchStack {
  /** http://127.0.0.1:PORT of each api process. */
  apiUrls: string[];
  apis: ChildProcess[];
  workers: ChildProcess[];
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
 * processes. Resolves once every api answers /readyz and votes are accepted (partitions rebuilt).
 * Rate limits are raised: load generators come from one address.
 */
export async function startBenchStack(
  ctx: BenchContext,
  opts: { apis?: number; workers?: number; env?: Record<string, string> } = {},
): Promise<BenchStack> {
  const name = `llmpt_bench_${process.pid}_${++stackSeq}`;
  await dropDatabase(ctx.pgServerUrl, name).catch(() => undefined);
  const databaseUrl = await createDatabase(ctx.pgServerUrl, name);
  const db = createDb(databaseUrl);
  await migrateToLatest(db);
  await seedLlms(db);
  const prefix = `bench:${process.pid}:${stackSeq}:`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: ctx.redisUrl,
    REDIS_PREFIX: prefix,
    BULL_PREFIX: `${prefix}bull`,
    VOTER_COOKIE_SECRET: 'bench-secret-bench-secret-bench-secret',
    VOTE_RATE_LIMIT: '1000000',
    VOTE_RATE_LIMIT_IP: '100000000',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    METRICS_PORT: '-1',
    ...opts.env,
  };
  const children: ChildProcess[] = [];
  const profileDir = path.join(ctx.repoRoot, 'bench', 'results', 'profiles');
  if (ctx.opts.profile) await mkdir(profileDir, { recursive: true });
  const spawnApp = (entry: string, extra: Record<string, string>) => {
    // A profile is written when the process exits on SIGTERM (stop() below).
    // One folder per process: node names each thread's profile itself (tsx's loader runs in
    // a worker thread, whose profile would otherwise overwrite the main thread's).
    const profile = ctx.opts.profile
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${path.join(profileDir, `${entry.split('/')[1]}-${stackSeq}-${children.length}`)}`,
        ]
      : [];
    const child = spawn(
      process.execPath,
      [...profile, '--import', 'tsx', `${ctx.repoRoot}/${entry}`],
      {
        cwd: ctx.repoRoot,
        env: { ...process.env, ...env, ...extra },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
    return child;
  };

  const workers = Array.from({ length: opts.workers ?? 1 }, () =>
    spawnApp('apps/worker/src/index.ts', {}),
  );
  const apis: ChildProcess[] = [];
  const apiUrls: string[] = [];
  for (let i = 0; i < (opts.apis ?? 1); i++) {
    const port = await freePort();
    apis.push(spawnApp('apps/api/src/index.ts', { PORT: String(port) }));
    apiUrls.push(`http://127.0.0.1:${port}`);
  }
  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c, 10_000)));
    await db.destroy();
    await dropDatabase(ctx.pgServerUrl, name).catch(() => undefined);
  };
  try {
    for (const url of apiUrls) await waitUntil(async () => (await fetch(`${url}/readyz`)).ok);
    // With no api (`apis: 0`, e.g. the flush scenario) there is nothing to wait for.
    const firstApi = apiUrls[0];
    if (firstApi) {
      await waitUntil(async () => {
        const res = await fetch(`${firstApi}/trpc/vote.cast`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ llmId: 'no-such-model', value: 0 }),
        });
        return res.status === 404; // 503 while partitions are not rebuilt
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrls, apis, workers, db, databaseUrl, prefix, env, stop };
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
