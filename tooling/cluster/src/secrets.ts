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
  /** Password of `llmpt_monitor` (pg_monitor), the role the Postgres exporters connect as. */
  monitorPassword: string;
}

/** The superuser embedded Postgres is created with (@llmpt/devstack's fixed credentials). */
export const SUPERUSER = { user: 'postgres', password: 'password' } as const;

const secret = () => randomBytes(24).toString('base64url');

/**
 * Reads the cluster's secrets, generating the file the first time; a secret added since the file
 * was written (a cluster made by an older version) is generated and saved, the others are kept.
 */
export async function loadSecrets(file: string): Promise<ClusterSecrets> {
  const saved = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as Partial<ClusterSecrets>)
    : null;
  const secrets: ClusterSecrets = {
    voterCookieSecret: randomBytes(32).toString('base64url'),
    appPassword: secret(),
    replicationPassword: secret(),
    pgbouncerAdminPassword: secret(),
    monitorPassword: secret(),
    ...saved,
  };
  if (saved && Object.keys(secrets).every((k) => k in saved)) return secrets;
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, {
    mode: 0o600,
    flag: saved ? 'w' : 'wx',
  });
  return secrets;
}
