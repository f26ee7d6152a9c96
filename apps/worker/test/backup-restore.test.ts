import { execFile } from 'node:child_process';
import {
  mkdtemp,
  readdir,
  rm,
  truncate,
  writeFile,
  copyFile,
  mkdir,
  utimes,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { type Database, createDb, postgresRebuildSource, sql } from '@llmpt/db';
import { createTestDatabase, databaseUrl, testKeyPrefix } from '@llmpt/devstack';
import { rankBoard } from '@llmpt/shared';
import { OutboxReader, VoteStore, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { runRestoreCli } from '../src/cli/restore-cli.ts';
import {
  listBackups,
  pruneBackups,
  readManifest,
  runBackup,
} from '../src/jobs/backup.processor.ts';
import { flushPartition } from '../src/jobs/flush.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { type Fixture, createFixture } from './helpers.ts';

let f: Fixture;
let backupDir: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  backupDir = await mkdtemp(path.join(tmpdir(), 'llmpt-backup-'));
  f = await createFixture({ BACKUP_DIR: backupDir });
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await f?.cleanup();
  await rm(backupDir, { recursive: true, force: true });
});

type Board = Array<{ id: string; rank: number | null; up: number; down: number }>;

/** The leaderboard as the product ranks it (rankBoard), from llm_vote_counts. */
async function board(db: pg.Client | Kysely<Database>): Promise<Board> {
  const query = `SELECT l.id, l.name, coalesce(c.upvotes, 0)::int AS up, coalesce(c.downvotes, 0)::int AS down
                 FROM llms l LEFT JOIN llm_vote_counts c ON c.llm_id = l.id WHERE l.status = 'active'`;
  const rows =
    db instanceof pg.Client
      ? (await db.query<{ id: string; name: string; up: number; down: number }>(query)).rows
      : (
          await sql<{
            id: string;
            name: string;
            up: number;
            down: number;
          }>`${sql.raw(query)}`.execute(db)
        ).rows;
  return rankBoard(rows, 'score').map((r) => ({
    id: r.item.id,
    rank: r.rank,
    up: r.item.up,
    down: r.item.down,
  }));
}

async function restoreTarget(): Promise<string> {
  const target = await createTestDatabase(inject('pgServerUrl'));
  cleanups.push(() => target.drop());
  return target.url;
}

function cli(argv: string[], extra: Record<string, string> = {}) {
  const lines: string[] = [];
  return runRestoreCli(
    argv,
    { REDIS_URL: inject('redisUrl'), VOTE_PARTITIONS: String(f.env.VOTE_PARTITIONS), ...extra },
    (l) => lines.push(l),
  ).then((code) => ({ code, lines }));
}

describe('backup and restore drill', () => {
  it('backs up under voting; the restored ranking equals Postgres at the backup point', async () => {
    const metrics = createMetrics();
    const reader = new OutboxReader(f.store, 'drill');
    const flushDeps = {
      env: {
        FLUSH_BATCH_SIZE: 200,
        FLUSH_BUDGET_MS: 200,
        FLUSH_CLAIM_IDLE_MS: 30_000,
        FLUSH_FAILPOINT: 'none' as const,
        FLUSH_AFTER_REPLICAS: 0,
        FLUSH_REPLICA_TIMEOUT_MS: 5_000,
      },
      db: f.db,
      reader,
      metrics,
      redis: f.redis,
    };
    let voting = true;
    let cast = 0;
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const voters = Array.from({ length: 4 }, async (_, w) => {
      while (voting) {
        const llmId = f.llmIds[next() % 12]!;
        const value = ([1, 1, -1, 0] as const)[next() % 4]!;
        await f.store.cast(`voter-${w}-${next() % 60}`, llmId, value);
        cast++;
      }
    });
    const flusher = (async () => {
      while (voting)
        for (let p = 0; p < f.store.partitions; p++) await flushPartition(flushDeps, p);
    })();
    const waitCast = async (n: number) => {
      while (cast < n) await new Promise((r) => setTimeout(r, 20));
    };
    await waitCast(400);

    // Postgres at the backup point: read in the dump's own snapshot, from another connection.
    let atBackup: Board | null = null;
    const manifest = await runBackup({
      env: { ...f.env, BACKUP_DIR: backupDir },
      store: f.store,
      metrics,
      log: () => {},
      onSnapshot: async (snapshotId) => {
        const client = new pg.Client({ connectionString: f.env.DATABASE_URL });
        await client.connect();
        try {
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          await client.query(`SET TRANSACTION SNAPSHOT '${snapshotId}'`);
          atBackup = await board(client);
          await client.query('COMMIT');
        } finally {
          await client.end();
        }
        // Votes keep landing in Postgres while the dump is read.
        await waitCast(cast + 200);
      },
    });
    await waitCast(cast + 200);
    voting = false;
    await Promise.all([...voters, flusher]);
    for (let p = 0; p < f.store.partitions; p++) await flushPartition(flushDeps, p);

    expect(atBackup).not.toBeNull();
    const live = await board(f.db);
    const votes = (b: Board) => b.reduce((n, e) => n + e.up + e.down, 0);
    // The drill means something only if Postgres moved on after the snapshot.
    expect(live).not.toEqual(atBackup);
    expect(votes(atBackup!)).toBeGreaterThan(0);

    const dir = path.join(backupDir, manifest.name);
    expect((await listBackups(backupDir)).map((b) => b.name)).toEqual([manifest.name]);
    expect(manifest.postgres.rows.votes).toBeGreaterThan(0);
    expect(manifest.redis?.bytes).toBeGreaterThan(0);
    expect(manifest.outboxes).toHaveLength(f.env.VOTE_PARTITIONS);
    expect(await readManifest(dir)).toEqual(manifest);
    expect(await metrics.registry.getSingleMetricAsString('backup_runs_total')).toContain(
      'backup_runs_total{outcome="success"} 1',
    );

    // Restore into a fresh database, then rebuild a Redis (its own prefix) from it.
    const target = await restoreTarget();
    const prefix = testKeyPrefix();
    const { code, lines } = await cli([dir, '--target', target, '--redis'], {
      REDIS_PREFIX: prefix,
    });
    expect(lines.join('\n')).toContain('Redis rebuilt');
    expect(code).toBe(0);
    const restored = createDb(target, { max: 2 });
    cleanups.push(() => restored.destroy());
    expect(await board(restored)).toEqual(atBackup);

    const store = new VoteStore(f.redis, { prefix, partitions: f.env.VOTE_PARTITIONS });
    cleanups.push(async () => {
      const keys = await f.redis.keys(`${prefix}*`);
      if (keys.length) await f.redis.del(...keys);
    });
    const tallies = await store.tallies(f.llmIds);
    const fromRedis = rankBoard(
      atBackup!.map((e) => ({ id: e.id, name: e.id, ...tallies.get(e.id)! })),
      'score',
    ).map((r) => ({ id: r.item.id, rank: r.rank, up: r.item.up, down: r.item.down }));
    expect(new Map(fromRedis.map((e) => [e.id, e]))).toEqual(
      new Map(atBackup!.map((e) => [e.id, e])),
    );
    expect(await store.unreadyPartitions()).toEqual([]);

    // The restored database is the source's schema: events, ballots and history all there.
    const count = async (db: Kysely<Database>, table: string) =>
      Number(
        (await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db))
          .rows[0]!.n,
      );
    expect(await count(restored, 'user_votes')).toBe(manifest.postgres.rows.user_votes);
    expect(await count(restored, 'votes')).toBe(manifest.postgres.rows.votes);
  });

  it('refuses a non-empty target unless --force, and a bad file or flag, changing nothing', async () => {
    const [backup] = await listBackups(backupDir);
    const dir = path.join(backupDir, backup!.name);
    const target = await restoreTarget();
    expect((await cli([dir, '--target', target])).code).toBe(0);

    const again = await cli([dir, '--target', target]);
    expect(again.code).toBe(2);
    const forced = await cli([dir, '--target', target, '--force']);
    expect(forced.code).toBe(0);

    const bad = path.join(backupDir, 'garbage.dump');
    await writeFile(bad, 'not a dump');
    const truncated = path.join(backupDir, 'truncated.dump');
    await copyFile(path.join(dir, 'postgres.dump'), truncated);
    await truncate(truncated, 200);
    const fresh = databaseUrl(inject('pgServerUrl'), `t_restore_${process.pid}_never`);
    for (const [argv, message] of [
      [[bad, '--target', fresh], /not an llmpt dump \(not gzip\)/],
      [[truncated, '--target', fresh], /ends early|unexpected end/],
      [[path.join(backupDir, 'missing'), '--target', fresh], /no such file/],
      [[dir, '--target', fresh, '--bogus'], /Unknown option '--bogus'/],
      [[dir, '--target', 'mysql://x'], /postgres:\/\//],
      [[], /exactly one backup/],
    ] as const) {
      const errors: string[] = [];
      const orig = console.error;
      console.error = (m: string) => errors.push(m);
      try {
        expect((await cli([...argv])).code).toBe(2);
      } finally {
        console.error = orig;
      }
      expect(errors.join('\n')).toMatch(message);
    }
    // None of those created the target database.
    const admin = new pg.Client({ connectionString: inject('pgServerUrl') });
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      `t_restore_${process.pid}_never`,
    ]);
    await admin.end();
    expect(rowCount).toBe(0);
  });

  it('keeps the newest backups by count and age, never the last one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'llmpt-prune-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const now = new Date('2026-06-10T12:00:00Z');
    const names = [0, 1, 2, 3, 30].map((daysAgo) => {
      const t = new Date(now.getTime() - daysAgo * 86_400_000);
      return `llmpt-${t.toISOString().replace(/[-:.]/g, '')}`;
    });
    for (const n of names) {
      await mkdir(path.join(dir, n));
      await writeFile(path.join(dir, n, 'manifest.json'), '{}');
    }
    await mkdir(path.join(dir, `.tmp-${names[0]}-1`)); // a crashed run's leftover, 2 days old
    await utimes(
      path.join(dir, `.tmp-${names[0]}-1`),
      now.getTime() / 1000 - 2 * 86_400,
      now.getTime() / 1000 - 2 * 86_400,
    );
    await mkdir(path.join(dir, 'llmpt-20260610T000000000Z')); // no manifest: not a backup
    const removed = await pruneBackups(
      { BACKUP_DIR: dir, BACKUP_KEEP: 3, BACKUP_MAX_AGE_HOURS: 24 * 7 },
      now,
    );
    expect(removed.sort()).toEqual([names[3], names[4]].sort());
    expect((await readdir(dir)).sort()).toEqual(
      [names[0], names[1], names[2], 'llmpt-20260610T000000000Z'].sort(),
    );
    // Old as it is, the only backup left is kept.
    const only = await pruneBackups(
      { BACKUP_DIR: dir, BACKUP_KEEP: 1, BACKUP_MAX_AGE_HOURS: 1 },
      new Date(now.getTime() + 365 * 86_400_000),
    );
    expect(only.sort()).toEqual([names[1], names[2]].sort());
  });

  it('npm run db:backup takes one now with the worker environment, or names the bad variable', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'llmpt-cli-backup-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const entry = fileURLToPath(new URL('../src/cli/backup.ts', import.meta.url));
    const run = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', entry], {
        env: { PATH: process.env.PATH, ...env },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const env = {
      DATABASE_URL: f.env.DATABASE_URL,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: f.env.REDIS_PREFIX,
      VOTE_PARTITIONS: String(f.env.VOTE_PARTITIONS),
      BACKUP_DIR: dir,
    };
    const ok = await run(env);
    expect(ok.code).toBe(0);
    const manifest = JSON.parse(ok.stdout) as {
      name: string;
      postgres: { rows: { llms: number } };
    };
    expect(manifest.postgres.rows.llms).toBe(f.llmIds.length);
    expect((await listBackups(dir)).map((b) => b.name)).toEqual([manifest.name]);

    const bad = await run({ ...env, BACKUP_KEEP: 'none' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('BACKUP_KEEP');
    expect((await listBackups(dir)).length).toBe(1);
  });

  it('backs up and restores integrity flags with their votes, bans, signals and voided ballots', async () => {
    const llm = f.llmIds[3]!;
    const signals = {
      ip: 'ip-h',
      net: 'net-h',
      ua: 'ua-h',
      fp: '',
      newVoter: true,
      automated: true,
    };
    await f.store.cast('int-voter', llm, 1, undefined, signals);
    const { id: flagId } = await f.db
      .insertInto('integrity_flags')
      .values({
        rule: 'prefix-new-voters',
        status: 'confirmed',
        subject: 'net-h',
        explanation: 'backup test',
        evidence: JSON.stringify({ counts: { voters: 1 }, windowSec: 60, prefixHash: 'net-h' }),
        reviewed_at: new Date(),
        reviewed_by: 'admin',
        ban_prefix: true,
        ban_until: new Date(Date.now() + 86_400_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await f.db
      .insertInto('integrity_flag_votes')
      .values({
        flag_id: String(flagId),
        voter_id: 'int-voter',
        llm_id: llm,
        value: 1,
        state: 'voided',
        voted_at: new Date(),
      })
      .execute();
    await f.db
      .insertInto('integrity_bans')
      .values({
        kind: 'prefix',
        subject: 'net-h',
        until: new Date(Date.now() + 86_400_000),
        flag_id: String(flagId),
        created_by: 'admin',
      })
      .execute();
    await f.store.voidBallot('int-voter', llm, 'void', String(flagId));
    const reader = new OutboxReader(f.store, 'integrity-backup');
    const flushDeps = {
      env: {
        FLUSH_BATCH_SIZE: 500,
        FLUSH_BUDGET_MS: 60_000,
        FLUSH_CLAIM_IDLE_MS: 30_000,
        FLUSH_FAILPOINT: 'none' as const,
        FLUSH_AFTER_REPLICAS: 0,
        FLUSH_REPLICA_TIMEOUT_MS: 5_000,
      },
      db: f.db,
      reader,
      metrics: createMetrics(),
      redis: f.redis,
    };
    for (let p = 0; p < f.store.partitions; p++) await flushPartition(flushDeps, p);

    const dir = await mkdtemp(path.join(tmpdir(), 'llmpt-integrity-backup-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const manifest = await runBackup({
      env: { ...f.env, BACKUP_DIR: dir },
      store: f.store,
      metrics: createMetrics(),
      log: () => {},
    });
    expect(manifest.postgres.rows).toMatchObject({
      integrity_flags: 1,
      integrity_flag_votes: 1,
      integrity_bans: 1,
    });
    const target = await restoreTarget();
    const prefix = testKeyPrefix();
    cleanups.push(async () => {
      const keys = await f.redis.keys(`${prefix}*`);
      if (keys.length) await f.redis.del(...keys);
    });
    const { code } = await cli([path.join(dir, manifest.name), '--target', target, '--redis'], {
      REDIS_PREFIX: prefix,
    });
    expect(code).toBe(0);
    const restored = createDb(target, { max: 2 });
    cleanups.push(() => restored.destroy());

    const tables = async (db: Kysely<Database>) => ({
      flags: await db.selectFrom('integrity_flags').selectAll().orderBy('id').execute(),
      flagVotes: await db.selectFrom('integrity_flag_votes').selectAll().execute(),
      bans: await db.selectFrom('integrity_bans').selectAll().execute(),
      events: await db
        .selectFrom('user_votes')
        .select([
          'event_id',
          'ip_hash',
          'net_hash',
          'ua_hash',
          'fp_hash',
          'new_voter',
          'automated',
          'kind',
          'flag_id',
        ])
        .where('voter_id', '=', 'int-voter')
        .orderBy('event_id')
        .execute(),
      ballot: await db
        .selectFrom('votes')
        .select(['value', 'voided_by'])
        .where('voter_id', '=', 'int-voter')
        .execute(),
    });
    const source = await tables(f.db);
    expect(source.events.map((e) => [e.kind, e.ip_hash, e.automated])).toEqual([
      ['vote', 'ip-h', true],
      ['void', null, null],
    ]);
    expect(source.ballot).toEqual([{ value: 0, voided_by: flagId }]);
    expect(await tables(restored)).toEqual(source);

    // The identity continues after the restored flags: a new flag does not collide.
    const { id: next } = await restored
      .insertInto('integrity_flags')
      .values({
        rule: 'model-burst',
        status: 'open',
        subject: llm,
        explanation: 'after restore',
        evidence: JSON.stringify({ counts: {}, windowSec: 60 }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(Number(next)).toBeGreaterThan(Number(flagId));

    // The Redis rebuilt from the restored database keeps the ballot voided.
    const store = new VoteStore(f.redis, { prefix, partitions: f.env.VOTE_PARTITIONS });
    expect(await store.cast('int-voter', llm, -1)).toEqual({
      status: 'voided',
      flagId: String(flagId),
    });
  });
});
