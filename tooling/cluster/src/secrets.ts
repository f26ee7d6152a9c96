import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

/** Generated once per cluster data directory (secrets.json, mode 0600) and kept with it. */
export interface ClusterSecrets {
  /** The apps' VOTER_COOKIE_SECRET: stable, so voters keep their identity across restarts. */
  voterCookieSecret: string;
  /** Password of `llmpt`, the role the apps (and migrations) use; it owns the database. */
  appPassword: string;
  /** Password of `replicator`, the role the streaming replica connects as. */
  replicationPassword: string;
  /** Password of `pgbouncer`, the admin of PgBouncer's console (SHOW POOLS, RELOAD, PAUSE…). */
  pgbouncerAdminPassword: string;
}

/** The superuser embedded Postgres is created with (@llmpt/devstack's fixed credentials). */
export const SUPERUSER = { user: 'postgres', password: 'password' } as const;

const secret = () => randomBytes(24).toString('base64url');

/** Reads the cluster's secrets, generating the file the first time. */
export async function loadSecrets(file: string): Promise<ClusterSecrets> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as ClusterSecrets;
  const secrets: ClusterSecrets = {
    voterCookieSecret: randomBytes(32).toString('base64url'),
    appPassword: secret(),
    replicationPassword: secret(),
    pgbouncerAdminPassword: secret(),
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return secrets;
}
