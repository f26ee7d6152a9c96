import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { TestProject } from 'vitest/node';

import { startEmbeddedPostgres } from './postgres.ts';
import type {} from './provided-context.ts';
import { startRedisServer } from './redis.ts';

type Cleanup = () => Promise<void>;

/**
 * Vitest globalSetup: provides `pgServerUrl` and `redisUrl` to tests (read them with inject()).
 * DATABASE_URL / REDIS_URL are used when set; otherwise a throwaway embedded Postgres and
 * redis-server are started on free ports in temp directories and removed at teardown.
 */
export default async function setup(project: TestProject): Promise<Cleanup> {
  const cleanups: Cleanup[] = [];
  const teardown = async (): Promise<void> => {
    for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) await cleanup();
  };

  // Both servers start in parallel (initdb dominates); if one fails the other must still stop.
  // An empty variable counts as unset, as `DATABASE_URL= npm test` is the easy way to opt out.
  const [pg, redis] = await Promise.allSettled([
    process.env.DATABASE_URL || startThrowawayPostgres(cleanups),
    process.env.REDIS_URL || startThrowawayRedis(cleanups),
  ]);
  if (pg.status === 'rejected' || redis.status === 'rejected') {
    await teardown();
    throw pg.status === 'rejected' ? pg.reason : (redis as PromiseRejectedResult).reason;
  }

  project.provide('pgServerUrl', pg.value);
  project.provide('redisUrl', redis.value);
  return teardown;
}

async function startThrowawayPostgres(cleanups: Cleanup[]): Promise<string> {
  // The temp dir itself is the data dir: as root it gets chowned to `postgres`, whereas a
  // subfolder would sit in a root-only (0700) folder the server could not enter.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-test-pg-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const server = await startEmbeddedPostgres({ dataDir, persistent: false });
  cleanups.push(() => server.stop());
  return server.url;
}

async function startThrowawayRedis(cleanups: Cleanup[]): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-test-redis-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const server = await startRedisServer({ dataDir, appendOnly: false });
  cleanups.push(() => server.stop());
  return server.url;
}
