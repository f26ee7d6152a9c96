import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';

import { listBackups } from '../src/jobs/backup.processor.ts';
import { type WorkerApp, startWorker } from '../src/worker-app.ts';
import {
  type Fixture,
  countEvents,
  createFixture,
  outboxTotal,
  pgCounts,
  waitFor,
} from './helpers.ts';

let f: Fixture | undefined;
let worker: WorkerApp | undefined;

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await f?.cleanup();
  f = undefined;
});

describe('worker process', () => {
  it('rebuilds a cold Redis from Postgres before votes are accepted', async () => {
    f = await createFixture();
    const [a, b] = f.llmIds as [string, string];
    // Postgres holds ballots from an earlier life; this Redis prefix has never seen them.
    await sql`insert into votes (voter_id, llm_id, value, updated_at, event_seq) values
      ('v1', ${a}, 1, now(), 0), ('v2', ${a}, 1, now(), 0), ('v3', ${a}, -1, now(), 0),
      ('v1', ${b}, -1, now(), 0), ('v2', ${b}, 0, now(), 0)`.execute(f.db);
    expect(await f.store.cast('v9', a, 1)).toEqual({ status: 'not_ready' });

    worker = await startWorker(f.env);
    expect(await f.store.unreadyPartitions()).toEqual([]);
    const tallies = await f.store.tallies([a, b]);
    expect(tallies.get(a)).toMatchObject({ up: 2, down: 1 });
    expect(tallies.get(b)).toMatchObject({ up: 0, down: 1 });
    expect(await f.store.ballotsOf('v1')).toEqual({ [a]: 1, [b]: -1 });
    expect(await f.store.ballotsOf('v2')).toEqual({ [a]: 1 });
    // Every catalogue model has a tally, so any of them can be voted on.
    expect((await f.store.tallies(f.llmIds)).size).toBe(f.llmIds.length);

    // v1 changes its mind: Redis and, after the scheduled flush, Postgres agree.
    expect(await f.store.cast('v1', a, -1)).toMatchObject({
      status: 'changed',
      up: 1,
      down: 2,
      prev: 1,
    });
    await waitFor(
      () => outboxTotal(f!),
      (n) => n === 0,
    );
    expect((await pgCounts(f.db)).get(a)).toEqual({ up: 1, down: 2 });
  });

  it('flushes on its schedule and closes gracefully with nothing left behind', async () => {
    f = await createFixture({ FLUSH_EVERY_MS: '200', FLUSH_BATCH_SIZE: '50' });
    worker = await startWorker(f.env);
    let changed = 0;
    for (let i = 0; i < 400; i++) {
      const r = await f.store.cast(`voter-${i % 40}`, f.llmIds[i % 7]!, i % 3 === 0 ? -1 : 1);
      if (r.status === 'changed') changed++;
    }
    await waitFor(
      () => countEvents(f!.db),
      (n) => n === changed,
    );
    await worker.close();
    worker = undefined;
    expect(await outboxTotal(f)).toBe(0);
    const redis = await f.store.tallies(f.llmIds);
    const pg = await pgCounts(f.db);
    for (const id of f.llmIds)
      expect(pg.get(id) ?? { up: 0, down: 0 }).toEqual({
        up: redis.get(id)!.up,
        down: redis.get(id)!.down,
      });
  });

  it('keeps partitions ahead and serves metrics', async () => {
    // A backup taken before this start: the alert must not see "none" after a restart.
    const backups = await mkdtemp(path.join(tmpdir(), 'llmpt-worker-backups-'));
    await mkdir(path.join(backups, 'llmpt-20261201T061700000Z'));
    await writeFile(path.join(backups, 'llmpt-20261201T061700000Z', 'manifest.json'), '{}');
    f = await createFixture({ BACKUP_DIR: backups });
    worker = await startWorker(f.env);
    const { rows } = await sql<{ name: string }>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent where p.relname = 'user_votes'`.execute(f.db);
    const names = rows.map((r) => r.name);
    const month = (d: Date) =>
      `user_votes_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    const now = new Date();
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    expect(names).toContain(month(now));
    expect(names).toContain(month(next));
    expect(names).toContain('user_votes_default');

    const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/# TYPE flush_batch_size histogram/);
    expect(metrics).toMatch(/# TYPE outbox_lag_seconds gauge/);
    // The start-up's partition pass exported what the alerts watch.
    expect(metrics).toMatch(/^votes_default_partition_rows 0$/m);
    expect(metrics).toMatch(/^votes_partitions_ahead_months 3$/m);
    // The outbox's age is read at the scrape, partition by partition.
    expect(metrics).toMatch(/^outbox_lag_seconds\{partition="3"\} 0$/m);
    expect(metrics).toMatch(/^backup_enabled 1$/m); // production by default
    expect(metrics).toMatch(/^db_pool_max_connections\{pool="primary"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^db_pool_connections\{pool="primary",state="in_use"\} \d+$/m);
    expect(metrics).toContain(
      `backup_last_success_timestamp_seconds ${Date.parse('2026-12-01T06:17:00Z') / 1000}`,
    );
    await rm(backups, { recursive: true, force: true });
  });

  it('runs backups and reconciliations on their schedules, keeping BACKUP_KEEP backups', async () => {
    const backups = await mkdtemp(path.join(tmpdir(), 'llmpt-scheduled-'));
    try {
      f = await createFixture({
        BACKUP_DIR: backups,
        BACKUP_CRON: '*/2 * * * * *', // every 2 s
        BACKUP_KEEP: '2',
        RECONCILE_EVERY_MS: '1000',
      });
      worker = await startWorker(f.env);
      await f.store.cast('v1', f.llmIds[0]!, 1);
      const url = `http://127.0.0.1:${worker.metricsPort}/metrics`;
      const metrics = await waitFor(
        async () => (await fetch(url)).text(),
        (m) => /^backup_runs_total\{outcome="success"\} [3-9]/m.test(m),
        30_000,
      );
      expect(metrics).toMatch(/^reconcile_last_run_timestamp_seconds [1-9]/m);
      expect(metrics).toMatch(/^reconcile_drift\{kind="tally"\} 0$/m);
      // Three runs or more, two kept (a run may be between its rename and its pruning).
      expect((await listBackups(backups)).length).toBeLessThanOrEqual(3);
      await worker.close();
      worker = undefined;
      expect((await listBackups(backups)).length).toBe(2);
    } finally {
      await rm(backups, { recursive: true, force: true });
    }
  });
});
