import { chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { PosixIds } from '@llmpt/devstack';

import type { Ports } from './layout.ts';
import { APP_DATABASE, APP_ROLE } from './postgres.ts';
import { pgQuery } from './probes.ts';
import type { ClusterSecrets } from './secrets.ts';
import { ServerProcess } from './server-process.ts';

/** PgBouncer's alias of the replica: the apps' DATABASE_REPLICA_URL names it. */
export const REPLICA_ALIAS = 'llmpt_replica';
export const PGBOUNCER_ADMIN = 'pgbouncer';

/**
 * Pool sizes, per database alias (one for the primary, one for the replica), whatever the number
 * of api and worker processes: each process keeps a client pool of DATABASE_POOL_MAX (api 10,
 * worker 4) towards PgBouncer, which multiplexes them over at most `maxDbConnections` server
 * connections per server. 8 apis + 2 workers hold up to 88 client connections per alias; Postgres
 * sees at most 25 from PgBouncer on each server (the guide's bound: < 500).
 */
export const POOL = {
  /** Server connections per (database, user) pair, used by transactions in turn. */
  defaultPoolSize: 20,
  /** Extra connections for a pool whose clients waited `reserveTimeoutSec`. */
  reservePoolSize: 5,
  reserveTimeoutSec: 3,
  /** The hard cap per database, reserve included. */
  maxDbConnections: 25,
  /** Client connections PgBouncer accepts in all (the guide's 10,000). */
  maxClientConn: 10_000,
} as const;

/** URLs through PgBouncer: the apps' primary and replica, and the admin console. */
export function pgbouncerUrls(ports: Ports, secrets: ClusterSecrets) {
  const base = `127.0.0.1:${ports.pgbouncer}`;
  const app = `${APP_ROLE}:${encodeURIComponent(secrets.appPassword)}`;
  return {
    primary: `postgres://${app}@${base}/${APP_DATABASE}`,
    replica: `postgres://${app}@${base}/${REPLICA_ALIAS}`,
    admin: `postgres://${PGBOUNCER_ADMIN}:${encodeURIComponent(secrets.pgbouncerAdminPassword)}@${base}/pgbouncer`,
  };
}

/**
 * Writes pgbouncer.ini and its auth file. Transaction pooling: a server connection belongs to a
 * client for one transaction only, so the apps keep no session state (no SET, no session
 * advisory locks, no LISTEN) and no named prepared statements (node-postgres's parameterized
 * queries use the unnamed statement, which PgBouncer 1.18 passes through).
 */
export async function writePgbouncerConfig(
  dir: string,
  ports: Ports,
  secrets: ClusterSecrets,
  runAs: PosixIds | undefined,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const ini = path.join(dir, 'pgbouncer.ini');
  const users = path.join(dir, 'userlist.txt');
  const server = (port: number) => `host=127.0.0.1 port=${port} dbname=${APP_DATABASE}`;
  await writeFile(
    ini,
    [
      '; Written by @llmpt/cluster at every start; edit tooling/cluster/src/pgbouncer.ts instead.',
      '[databases]',
      `${APP_DATABASE} = ${server(ports.postgresPrimary)}`,
      `${REPLICA_ALIAS} = ${server(ports.postgresReplica)}`,
      '',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${ports.pgbouncer}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${users}`,
      `admin_users = ${PGBOUNCER_ADMIN}`,
      'pool_mode = transaction',
      `max_client_conn = ${POOL.maxClientConn}`,
      `default_pool_size = ${POOL.defaultPoolSize}`,
      `reserve_pool_size = ${POOL.reservePoolSize}`,
      `reserve_pool_timeout = ${POOL.reserveTimeoutSec}`,
      `max_db_connections = ${POOL.maxDbConnections}`,
      // A client waiting this long for a server connection gets an error instead of hanging.
      'query_wait_timeout = 30',
      // DISCARD ALL is for session pooling; in transaction mode there is no session to reset.
      'server_reset_query =',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  // Plain passwords: PgBouncer then does SCRAM both with the clients and with Postgres.
  await writeFile(
    users,
    `"${APP_ROLE}" "${secrets.appPassword}"\n"${PGBOUNCER_ADMIN}" "${secrets.pgbouncerAdminPassword}"\n`,
    { mode: 0o600 },
  );
  if (runAs) for (const f of [dir, ini, users]) await chown(f, runAs.uid, runAs.gid);
  return ini;
}

/** PgBouncer as a part of the cluster; ready once its admin console answers. */
export function pgbouncerServer(opts: {
  binary: string;
  ini: string;
  adminUrl: string;
  runAs: PosixIds | undefined;
  logFile: string;
}): ServerProcess {
  return new ServerProcess({
    name: 'pgbouncer',
    command: opts.binary,
    // Foreground; it logs to stderr (our log file). As root it runs as the postgres user: it
    // refuses root.
    args: [opts.ini],
    runAs: opts.runAs,
    logFile: opts.logFile,
    // SIGINT: safe shutdown (waits for transactions in flight to finish).
    stopSignal: 'SIGINT',
    graceMs: 10_000,
    ready: async () => (await pgQuery(opts.adminUrl, 'SHOW VERSION')).length > 0,
  });
}

/** One row of SHOW POOLS (the counts are strings as the console sends them). */
export interface PoolRow {
  database: string;
  user: string;
  cl_active: string;
  cl_waiting: string;
  sv_active: string;
  sv_idle: string;
  sv_used: string;
  sv_tested: string;
  sv_login: string;
  pool_mode: string;
}

/** SHOW POOLS on the admin console. */
export function showPools(adminUrl: string): Promise<PoolRow[]> {
  return pgQuery<PoolRow>(adminUrl, 'SHOW POOLS');
}
