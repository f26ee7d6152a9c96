import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { startEmbeddedPostgres, startRedisServer } from '@llmpt/devstack';
import { Redis } from 'ioredis';
import pg from 'pg';

import { assertLoopback } from './load.ts';

export interface Infra {
  pgServerUrl: string;
  redisUrl: string;
  /** What the figures ran on: versions, and whether the servers were ours or given. */
  describe: Record<string, string | boolean>;
  stop(): Promise<void>;
}

/**
 * Postgres and Redis for the run: DATABASE_URL / REDIS_URL when set (loopback only), else a
 * throwaway embedded Postgres and redis-server in temp directories, removed by stop().
 */
export async function startInfra(log: (msg: string) => void): Promise<Infra> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch(() => undefined);
  };
  try {
    const givenPg = process.env.DATABASE_URL || undefined;
    const givenRedis = process.env.REDIS_URL || undefined;
    for (const url of [givenPg, givenRedis]) if (url) assertLoopback(url);
    if (!givenPg || !givenRedis) log('starting a throwaway Postgres and/or Redis');
    const [pgUrl, redisUrl] = await Promise.all([
      givenPg ??
        throwaway('llmpt-bench-pg-', cleanups, (dataDir) =>
          startEmbeddedPostgres({ dataDir, persistent: false }),
        ),
      givenRedis ??
        throwaway('llmpt-bench-redis-', cleanups, (dataDir) =>
          startRedisServer({ dataDir, appendOnly: false }),
        ),
    ]);
    return {
      pgServerUrl: pgUrl,
      redisUrl,
      describe: {
        postgres: givenPg ? 'DATABASE_URL' : 'embedded (throwaway, fsync off)',
        redis: givenRedis ? 'REDIS_URL' : 'redis-server (throwaway, no AOF)',
        ...(await versions(pgUrl, redisUrl)),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function throwaway(
  prefix: string,
  cleanups: Array<() => Promise<unknown>>,
  start: (dataDir: string) => Promise<{ url: string; stop(): Promise<void> }>,
): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const server = await start(dataDir);
  cleanups.push(() => server.stop());
  return server.url;
}

async function versions(pgUrl: string, redisUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const setting = async (name: string) =>
      (await client.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).rows[0]!.v;
    const info = await redis.info('server');
    const persistence = await redis.info('persistence');
    return {
      postgresVersion: await setting('server_version'),
      postgresFsync: await setting('fsync'),
      postgresSynchronousCommit: await setting('synchronous_commit'),
      redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? '?',
      redisAof: /aof_enabled:(\d)/.exec(persistence)?.[1] === '1' ? 'on' : 'off',
    };
  } finally {
    await client.end();
    redis.disconnect();
  }
}
