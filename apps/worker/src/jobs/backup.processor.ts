import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { dumpDatabase } from '@llmpt/db';
import type { VoteStore } from '@llmpt/vote-store';

import type { Env } from '../env.ts';
import type { Metrics } from '../metrics.ts';

const execFileAsync = promisify(execFile);

export const MANIFEST = 'manifest.json';
export const POSTGRES_DUMP = 'postgres.dump';
export const REDIS_RDB = 'redis.rdb';
/** Backup folders are named `llmpt-<UTC time>`; sorting the names sorts them by age. */
const NAME = /^llmpt-(\d{8}T\d{6}\d{3}Z)$/;

export interface BackupDeps {
  env: Pick<
    Env,
    | 'DATABASE_URL'
    | 'BACKUP_DIR'
    | 'BACKUP_KEEP'
    | 'BACKUP_MAX_AGE_HOURS'
    | 'BACKUP_REDIS'
    | 'BACKUP_REDIS_CLI'
  >;
  store: VoteStore;
  metrics: Metrics;
  log: (msg: string) => void;
  /** Passed to dumpDatabase (tests read Postgres in the dump's snapshot through it). */
  onSnapshot?: (snapshotId: string) => Promise<void>;
}

export interface Manifest {
  name: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  postgres: {
    file: string;
    bytes: number;
    takenAt: string;
    serverVersion: string;
    migrations: string[];
    rows: Record<string, number>;
  };
  redis: { file: string; bytes: number } | null;
  /**
   * Each outbox at the time of the dump: votes acknowledged in Redis but not yet in Postgres
   * (`length`), and the newest stream id. A restore without the Redis copy loses at most these.
   */
  outboxes: Array<{ partition: number; length: number; lastId: string }>;
}

/**
 * One backup: a folder `llmpt-<UTC time>` in BACKUP_DIR with the Postgres dump (one consistent
 * snapshot, see dumpDatabase), Redis's RDB (`redis-cli --rdb`, from the primary) and
 * manifest.json. Written under a temporary name and renamed when complete, so a folder with a
 * manifest is a whole backup; then older backups beyond BACKUP_KEEP or BACKUP_MAX_AGE_HOURS go.
 */
export async function runBackup(deps: BackupDeps, now = new Date()): Promise<Manifest> {
  const started = Date.now();
  const name = `llmpt-${now.toISOString().replace(/[-:.]/g, '')}`;
  const dir = path.join(deps.env.BACKUP_DIR, name);
  const tmp = path.join(deps.env.BACKUP_DIR, `.tmp-${name}-${process.pid}`);
  try {
    await mkdir(tmp, { recursive: true });
    const outboxes = await outboxPositions(deps.store);
    const dump = await dumpDatabase({
      databaseUrl: deps.env.DATABASE_URL,
      file: path.join(tmp, POSTGRES_DUMP),
      onSnapshot: deps.onSnapshot,
    });
    const redis = deps.env.BACKUP_REDIS
      ? await copyRdb(deps.store, deps.env.BACKUP_REDIS_CLI, path.join(tmp, REDIS_RDB))
      : null;
    const manifest: Manifest = {
      name,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      postgres: {
        file: POSTGRES_DUMP,
        bytes: dump.bytes,
        takenAt: dump.header.takenAt,
        serverVersion: dump.header.serverVersion,
        migrations: dump.header.migrations,
        rows: dump.rows,
      },
      redis: redis === null ? null : { file: REDIS_RDB, bytes: redis },
      outboxes,
    };
    await writeFile(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp, dir);
    deps.metrics.backupRuns.inc({ outcome: 'success' });
    deps.metrics.backupLastSuccess.set(Date.now() / 1000);
    deps.metrics.backupDuration.set(manifest.durationMs / 1000);
    deps.metrics.backupBytes.set({ part: 'postgres' }, dump.bytes);
    deps.metrics.backupBytes.set({ part: 'redis' }, redis ?? 0);
    const removed = await pruneBackups(deps.env, new Date());
    deps.log(
      `backup ${dir}: postgres ${dump.bytes} B, redis ${redis ?? 0} B, ${manifest.durationMs} ms` +
        (removed.length > 0 ? `; removed ${removed.join(', ')}` : ''),
    );
    return manifest;
  } catch (err) {
    deps.metrics.backupRuns.inc({ outcome: 'failure' });
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Complete backups in `dir` (those with a manifest), newest first. */
export async function listBackups(dir: string): Promise<Array<{ name: string; at: Date }>> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const out: Array<{ name: string; at: Date }> = [];
  for (const name of entries) {
    const m = NAME.exec(name);
    if (!m) continue;
    const ok = await stat(path.join(dir, name, MANIFEST)).then(
      () => true,
      () => false,
    );
    const t = m[1]!;
    const at = new Date(
      `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.${t.slice(15, 18)}Z`,
    );
    if (ok) out.push({ name, at });
  }
  return out.sort((a, b) => b.at.getTime() - a.at.getTime());
}

/**
 * Keeps the newest BACKUP_KEEP backups that are younger than BACKUP_MAX_AGE_HOURS; the newest one
 * always stays, whatever its age (an old backup beats none). Leftover temporary folders of
 * crashed runs older than a day go too.
 */
export async function pruneBackups(
  env: Pick<Env, 'BACKUP_DIR' | 'BACKUP_KEEP' | 'BACKUP_MAX_AGE_HOURS'>,
  now: Date,
): Promise<string[]> {
  const backups = await listBackups(env.BACKUP_DIR);
  const maxAgeMs = env.BACKUP_MAX_AGE_HOURS * 3_600_000;
  const removed: string[] = [];
  for (const [i, b] of backups.entries()) {
    if (i === 0) continue;
    if (i < env.BACKUP_KEEP && now.getTime() - b.at.getTime() <= maxAgeMs) continue;
    await rm(path.join(env.BACKUP_DIR, b.name), { recursive: true, force: true });
    removed.push(b.name);
  }
  for (const name of await readdir(env.BACKUP_DIR)) {
    if (!name.startsWith('.tmp-llmpt-')) continue;
    const s = await stat(path.join(env.BACKUP_DIR, name));
    if (now.getTime() - s.mtimeMs > 86_400_000)
      await rm(path.join(env.BACKUP_DIR, name), { recursive: true, force: true });
  }
  return removed;
}

export async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
}

async function outboxPositions(store: VoteStore): Promise<Manifest['outboxes']> {
  const pipe = store.redis.pipeline();
  for (let p = 0; p < store.partitions; p++) {
    const key = store.keysOf(p).outbox;
    pipe.xlen(key).xrevrange(key, '+', '-', 'COUNT', 1);
  }
  const replies = (await pipe.exec()) ?? [];
  return Array.from({ length: store.partitions }, (_, p) => {
    const [e1, length] = replies[2 * p] ?? [];
    const [e2, last] = replies[2 * p + 1] ?? [];
    if (e1 || e2) throw (e1 ?? e2) as Error;
    return {
      partition: p,
      length: Number(length ?? 0),
      lastId: (last as [string, string[]][] | undefined)?.[0]?.[0] ?? '0-0',
    };
  });
}

/**
 * Redis's RDB, as a replica would receive it (`redis-cli --rdb`), from the node this process
 * is connected to: the primary, as Sentinels named it. Returns its size.
 */
async function copyRdb(store: VoteStore, redisCli: string, file: string): Promise<number> {
  const redis = store.redis;
  if (redis.status !== 'ready') await redis.ping();
  const host = redis.stream.remoteAddress;
  const port = redis.stream.remotePort;
  if (!host || !port) throw new Error('cannot tell which Redis node to copy the RDB from');
  const args = ['-h', host, '-p', String(port), '--rdb', file];
  if (redis.options.username) args.unshift('--user', redis.options.username);
  await execFileAsync(redisCli, args, {
    // The password through the environment, never on a command line others can list.
    env: {
      PATH: process.env.PATH,
      ...(redis.options.password ? { REDISCLI_AUTH: redis.options.password } : {}),
    },
    timeout: 10 * 60_000,
  });
  return (await stat(file)).size;
}
