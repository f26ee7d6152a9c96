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
        throwaway('llmpt-bench-pg-', cleanups, async (dataDir) => {
          // Started as a durable cluster (its settings from files, not the command line, so
          // naivePeer can turn durability on for its run), then made fast for everything else.
          const server = await startEmbeddedPostgres({ dataDir, persistent: true });
          await setPostgresDurability(server.url, false);
          return server;
        }),
      givenRedis ??
        throwaway('llmpt-bench-redis-', cleanups, (dataDir) =>
          startRedisServer({ dataDir, appendOnly: false }),
        ),
    ]);
    return {
      pgServerUrl: pgUrl,
      redisUrl,
      describe: {
        postgres: givenPg
          ? 'DATABASE_URL'
          : 'embedded (throwaway; fsync, synchronous_commit, full_page_writes off but for naivePeer)',
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

/** Whether the run's Postgres is its own throwaway server, whose settings the bench may change. */
export function ownsPostgres(): boolean {
  return !process.env.DATABASE_URL;
}

/** The settings that decide whether a commit survives a crash, as a new session sees them. */
export interface PostgresDurability {
  fsync: string;
  synchronousCommit: string;
  fullPageWrites: string;
}

/** `options`: a session's own settings (`-c name=value`), as a pool made with them gets. */
export async function postgresDurability(
  url: string,
  options?: string,
): Promise<PostgresDurability> {
  const client = new pg.Client({ connectionString: url, options });
  await client.connect();
  try {
    const { rows } = await client.query<PostgresDurability>(
      `SELECT current_setting('fsync') AS "fsync",
              current_setting('synchronous_commit') AS "synchronousCommit",
              current_setting('full_page_writes') AS "fullPageWrites"`,
    );
    return rows[0]!;
  } finally {
    await client.end();
  }
}

/**
 * Durable (PostgreSQL's defaults: every commit flushed to disk before it is acknowledged) or
 * fast (fsync, synchronous_commit and full_page_writes off, as the bench runs) for the whole
 * server: ALTER SYSTEM and a configuration reload, which sessions opened afterwards see. Only for
 * the bench's own server ({@link ownsPostgres}); resolves with the settings a new session sees.
 */
export async function setPostgresDurability(
  url: string,
  durable: boolean,
): Promise<PostgresDurability> {
  const value = durable ? 'on' : 'off';
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const name of ['fsync', 'synchronous_commit', 'full_page_writes'])
      await client.query(`ALTER SYSTEM SET ${name} = ${value}`);
    await client.query('SELECT pg_reload_conf()');
  } finally {
    await client.end();
  }
  // The postmaster rereads the files on SIGHUP, a moment after pg_reload_conf() returns.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = await postgresDurability(url);
    if (Object.values(now).every((v) => v === value)) return now;
    if (Date.now() > deadline)
      throw new Error(`Postgres did not apply durability ${value}: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 50));
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
