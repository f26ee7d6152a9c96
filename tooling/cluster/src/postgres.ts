import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  type PostgresServerRuntime,
  databaseUrl,
  postgresServerRuntime,
  startEmbeddedPostgres,
} from '@llmpt/devstack';

import type { ClusterPaths, Ports } from './layout.ts';
import { pgQuery } from './probes.ts';
import { type ClusterSecrets, SUPERUSER } from './secrets.ts';
import { ServerProcess } from './server-process.ts';

const execFileAsync = promisify(execFile);

/** The database the apps use, owned by the role of the same name. */
export const APP_DATABASE = 'llmpt';
export const APP_ROLE = 'llmpt';
export const REPLICATION_ROLE = 'replicator';
/** The replica's physical replication slot (the primary keeps WAL until the replica has it). */
export const REPLICA_SLOT = 'replica';
/** The replica's application_name, as pg_stat_replication shows it. */
export const REPLICA_NAME = 'replica';
/**
 * Connections each server accepts: PgBouncer opens at most max_db_connections (25) per server;
 * the rest is for migrations, probes and a psql. The same as npm start's Postgres (devstack),
 * which initialises the primary: a standby refuses to run with fewer than its primary.
 */
const MAX_CONNECTIONS = 200;

const url = (user: string, password: string, port: number, db: string) =>
  `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;

/** Direct URLs of the two servers, as superuser (probes) and as the app role (migrations). */
export function postgresUrls(ports: Ports, secrets: ClusterSecrets) {
  const su = (port: number) => url(SUPERUSER.user, SUPERUSER.password, port, 'postgres');
  const app = (port: number) => url(APP_ROLE, secrets.appPassword, port, APP_DATABASE);
  return {
    primaryAdmin: su(ports.postgresPrimary),
    replicaAdmin: su(ports.postgresReplica),
    primary: app(ports.postgresPrimary),
    replica: app(ports.postgresReplica),
  };
}

/**
 * Creates the primary and its replica once per data directory, without pg_basebackup (the
 * embedded binaries have none, and Debian's pg_basebackup 15 cannot copy a Postgres 18):
 * initdb the primary as `npm start` does (devstack's startEmbeddedPostgres), enable replication
 * (a replication role, a physical slot, hot_standby_feedback), create the app role and its
 * database, stop it cleanly, copy the stopped data directory, and make the copy a standby
 * (standby.signal, primary_conninfo, primary_slot_name). A copy of a cleanly stopped cluster is a
 * consistent base backup; the slot is created before the copy, so the primary keeps every WAL
 * segment the replica has yet to fetch. Interrupted half-way, it starts over on the next `up`.
 */
export async function bootstrapPostgres(
  paths: ClusterPaths,
  ports: Ports,
  secrets: ClusterSecrets,
  log: (msg: string) => void,
): Promise<void> {
  if (existsSync(paths.postgresReady)) return;
  await rm(paths.postgres, { recursive: true, force: true });
  await mkdir(paths.postgres, { recursive: true });
  log('creating the Postgres primary (initdb) and its replica');
  const server = await startEmbeddedPostgres({
    dataDir: paths.postgresPrimary,
    port: ports.postgresPrimary,
    persistent: true,
  });
  try {
    const admin = server.url;
    const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
    // ALTER SYSTEM refuses to run in a transaction block: one statement per query.
    for (const statement of [
      "ALTER SYSTEM SET wal_level = 'replica'",
      'ALTER SYSTEM SET max_wal_senders = 10',
      'ALTER SYSTEM SET max_replication_slots = 10',
      // Queries on the replica are not cancelled by the primary's vacuum.
      'ALTER SYSTEM SET hot_standby_feedback = on',
      // A replica gone for good must not fill the disk: past this the slot is invalidated.
      "ALTER SYSTEM SET max_slot_wal_keep_size = '4GB'",
      `CREATE ROLE ${APP_ROLE} LOGIN PASSWORD ${lit(secrets.appPassword)}`,
      `CREATE ROLE ${REPLICATION_ROLE} REPLICATION LOGIN PASSWORD ${lit(secrets.replicationPassword)}`,
      `CREATE DATABASE ${APP_DATABASE} OWNER ${APP_ROLE}`,
      `SELECT pg_create_physical_replication_slot(${lit(REPLICA_SLOT)})`,
    ])
      await pgQuery(admin, statement);
    // The extension is not trusted: only a superuser creates it, in the app's database, where
    // the migrations then build llmpt_slow_queries on it; the role may read every statement.
    for (const statement of [
      'CREATE EXTENSION IF NOT EXISTS pg_stat_statements',
      `GRANT pg_read_all_stats TO ${APP_ROLE}`,
    ])
      await pgQuery(databaseUrl(admin, APP_DATABASE), statement);
    await allowReplication(paths.postgresPrimary);
  } finally {
    await server.stop();
  }

  const runtime = await postgresServerRuntime([paths.postgres]);
  // cp -a keeps the owner (the postgres user, as root) and the 0700 modes Postgres insists on.
  await execFileAsync('cp', ['-a', paths.postgresPrimary, paths.postgresReplica]);
  const replica = paths.postgresReplica;
  // A base backup leaves out the primary's slots and its pid file.
  for (const slot of await readdir(path.join(replica, 'pg_replslot')))
    await rm(path.join(replica, 'pg_replslot', slot), { recursive: true, force: true });
  await rm(path.join(replica, 'postmaster.pid'), { force: true });
  await rm(path.join(replica, 'postmaster.opts'), { force: true });
  const conninfo =
    `host=127.0.0.1 port=${ports.postgresPrimary} user=${REPLICATION_ROLE} ` +
    `password=${secrets.replicationPassword} application_name=${REPLICA_NAME}`;
  await appendFile(
    path.join(replica, 'postgresql.auto.conf'),
    `primary_conninfo = '${conninfo}'\nprimary_slot_name = '${REPLICA_SLOT}'\n`,
  );
  await writeFile(path.join(replica, 'standby.signal'), '');
  if (runtime.runAs) {
    const { uid, gid } = runtime.runAs;
    await chown(path.join(replica, 'standby.signal'), uid, gid);
    await chown(path.join(replica, 'postgresql.auto.conf'), uid, gid);
  }
  await writeFile(paths.postgresReady, `${new Date().toISOString()}\n`);
}

/**
 * initdb's pg_hba.conf already admits replication connections from 127.0.0.1 with a password;
 * this makes sure of it, should a future initdb change its template.
 */
async function allowReplication(dataDir: string): Promise<void> {
  const hba = path.join(dataDir, 'pg_hba.conf');
  const text = await readFile(hba, 'utf8');
  if (/^host\s+replication\s+all\s+127\.0\.0\.1\/32\s+scram-sha-256/m.test(text)) return;
  await appendFile(hba, `host replication ${REPLICATION_ROLE} 127.0.0.1/32 scram-sha-256\n`);
}

/** The runtime the two servers share (the embedded binary, the user to run it as). */
export function postgresRuntime(paths: ClusterPaths): Promise<PostgresServerRuntime> {
  return postgresServerRuntime([paths.postgres]);
}

/** The primary (`standby` false) or the replica, as a part of the cluster. */
export function postgresServer(opts: {
  name: string;
  dataDir: string;
  port: number;
  standby: boolean;
  adminUrl: string;
  runtime: PostgresServerRuntime;
  logFile: string;
}): ServerProcess {
  return new ServerProcess({
    name: opts.name,
    command: opts.runtime.postgres,
    args: [
      ...['-D', opts.dataDir, '-p', String(opts.port)],
      ...['-c', 'listen_addresses=127.0.0.1'],
      // No Unix socket: its default directory may not be writable (as with npm start's).
      ...['-c', 'unix_socket_directories='],
      ...['-c', `max_connections=${MAX_CONNECTIONS}`],
      // The slow-query view (llmpt_slow_queries) reads it; it can only be loaded at start.
      ...['-c', 'shared_preload_libraries=pg_stat_statements'],
    ],
    runAs: opts.runtime.runAs,
    logFile: opts.logFile,
    // Fast shutdown; a crash recovery after kill -9 is the primary's own business.
    stopSignal: 'SIGINT',
    graceMs: 30_000,
    ready: async () => {
      const [row] = await pgQuery<{ standby: boolean }>(
        opts.adminUrl,
        'SELECT pg_is_in_recovery() AS standby',
      );
      return row?.standby === opts.standby;
    },
  });
}

/** The replica as the primary sees it ('streaming' once it follows), or null when absent. */
export async function replicationState(primaryAdminUrl: string): Promise<string | null> {
  const rows = await pgQuery<{ state: string }>(
    primaryAdminUrl,
    'SELECT state FROM pg_stat_replication WHERE application_name = $1',
    [REPLICA_NAME],
  );
  return rows[0]?.state ?? null;
}

/**
 * The replica's lag in seconds, measured on the replica as the apps measure it: 0 when it has
 * replayed all it received, else the age of the last transaction it replayed.
 */
export async function replicaLagSeconds(replicaAdminUrl: string): Promise<number> {
  const [row] = await pgQuery<{ lag: number | null }>(
    replicaAdminUrl,
    `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
            END AS lag`,
  );
  return Math.max(0, row?.lag ?? 0);
}
