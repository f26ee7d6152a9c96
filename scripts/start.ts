/**
 * `npm start`: the whole product on one machine. Uses DATABASE_URL / REDIS_URL when given,
 * otherwise an embedded Postgres and a local redis-server with data under .data/. Migrates and
 * seeds (idempotent), builds the web app when its sources changed, then runs the worker and the
 * api (which serves the web app) at http://localhost:$PORT. Ctrl-C stops everything cleanly.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { createDb, migrateToLatest, seedLlms } from '@llmpt/db';
import {
  type LocalService,
  createDatabase,
  databaseUrl,
  startEmbeddedPostgres,
  startRedisServer,
} from '@llmpt/devstack';

const root = resolve(import.meta.dirname, '..');
const dataDir = join(root, '.data');
const services: LocalService[] = [];
const children: ChildProcess[] = [];
let stopping = false;

function say(msg: string): void {
  console.log(`\x1b[36m[start]\x1b[0m ${msg}`);
}

async function main(): Promise<void> {
  if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));
  mkdirSync(dataDir, { recursive: true });
  const port = process.env.PORT ?? '3000';

  let dbUrl = process.env.DATABASE_URL;
  if (!dbUrl) {
    say('DATABASE_URL not set: starting embedded Postgres (data in .data/postgres)');
    const pg = await startEmbeddedPostgres({
      dataDir: join(dataDir, 'postgres'),
      port: 54329,
      persistent: true,
    });
    services.push(pg);
    dbUrl = await createDatabase(pg.url, 'llmpt').catch((err: unknown) => {
      if (err instanceof Error && /already exists/.test(err.message))
        return databaseUrl(pg.url, 'llmpt');
      throw err;
    });
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    say('REDIS_URL not set: starting redis-server (AOF on, data in .data/redis)');
    const redis = await startRedisServer({
      dataDir: join(dataDir, 'redis'),
      port: 63790,
      appendOnly: true,
    });
    services.push(redis);
    redisUrl = redis.url;
  }

  const db = createDb(dbUrl);
  try {
    await migrateToLatest(db);
    const seeded = await seedLlms(db);
    say(`database ready (${JSON.stringify(seeded)})`);
  } finally {
    await db.destroy();
  }

  buildWebIfStale();

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl,
    VOTER_COOKIE_SECRET: process.env.VOTER_COOKIE_SECRET ?? localSecret(),
    WEB_DIST: process.env.WEB_DIST ?? join(root, 'apps/web/dist'),
    HOST: process.env.HOST ?? 'localhost',
    PORT: port,
  };
  run('worker', ['--import', 'tsx', join(root, 'apps/worker/src/index.ts')], env);
  run('api', ['--import', 'tsx', join(root, 'apps/api/src/index.ts')], env);
  say(`LLM Popularity Tracker: http://localhost:${port}  (Ctrl-C to stop)`);
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv): void {
  // detached: Ctrl-C reaches only this launcher, which then stops the children in order.
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit', detached: true });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited (${signal ?? code}); stopping everything`);
    void shutdown(1);
  });
}

function buildWebIfStale(): void {
  const web = join(root, 'apps/web');
  const built = join(web, 'dist/index.html');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  if (
    existsSync(built) &&
    statSync(built).mtimeMs >=
      Math.max(newest(join(web, 'src')), statSync(join(web, 'index.html')).mtimeMs)
  ) {
    return;
  }
  say('building the web app');
  const result = spawnSyncInherit('npm', ['run', 'build', '-w', '@llmpt/web']);
  if (result !== 0) throw new Error('web build failed');
}

function spawnSyncInherit(cmd: string, args: string[]): number | null {
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status;
}

/** A stable secret for this checkout, so voters keep their identity across restarts. */
function localSecret(): string {
  const file = join(dataDir, 'voter-cookie-secret');
  if (!existsSync(file))
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  for (const s of services.reverse())
    await s.stop().catch((err: unknown) => say(`stop failed: ${String(err)}`));
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err: unknown) => {
  console.error(`\n[start] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
});
