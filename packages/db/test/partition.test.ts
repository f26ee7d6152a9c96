import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ensureMonthlyPartitions,
  listVotePartitions,
} from '../src/repositories/maintenance.repository.ts';
import { detachOldPartitions, partitionHealth } from '../src/repositories/partition.repository.ts';
import { applyVoteEvents } from '../src/repositories/vote.repository.ts';
import { type TestDb, insertFixtureLlms, openTestDb, voteEvent } from './helpers.ts';

let t: TestDb;
let archiveDir: string;
let llm: string;
const NOW = new Date('2026-12-15T12:00:00Z');
const month = (offset: number) => new Date(Date.UTC(2026, 11 + offset, 10));

beforeAll(async () => {
  t = await openTestDb();
  archiveDir = await mkdtemp(path.join(tmpdir(), 'llmpt-archive-'));
  [llm] = (await insertFixtureLlms(t.db, 1)) as [string];
  // Six months back through three ahead, a few events in each past month.
  await ensureMonthlyPartitions(t.db, month(-6), 9);
  for (let m = -6; m <= 0; m++)
    await applyVoteEvents(
      t.db,
      Array.from({ length: 3 }, (_, i) => voteEvent(`v${m}-${i}`, llm, 1, { createdAt: month(m) })),
    );
});
afterAll(async () => {
  await t.close();
  await rm(archiveDir, { recursive: true, force: true });
});

const partitionsOf = async () =>
  (await listVotePartitions(t.db)).filter((n) => n >= 'user_votes_p202606');

describe('partition retention', () => {
  it('keeps everything with retention 0', async () => {
    expect(await detachOldPartitions(t.db, { keepMonths: 0, archive: 'drop', now: NOW })).toEqual(
      [],
    );
  });

  it('detaches months older than the retention into gzipped CSV files, and ANALYZEs', async () => {
    const countsBefore = await t.db.selectFrom('llm_vote_counts').selectAll().execute();
    const detached = await detachOldPartitions(t.db, {
      keepMonths: 4,
      archive: 'file',
      archiveDir,
      databaseUrl: t.url,
      now: NOW,
    });
    // December 2026 minus 4 whole months: August is kept, June and July go.
    expect(detached.map((d) => d.name)).toEqual(['user_votes_p202606', 'user_votes_p202607']);
    expect((await partitionsOf())[0]).toBe('user_votes_p202608');
    const csv = gunzipSync(
      await readFile(path.join(archiveDir, 'user_votes_p202606.csv.gz')),
    ).toString();
    const lines = csv.trim().split('\n');
    // Every column of the event goes to the archive, the signals and kind of issue 13 too.
    expect(lines[0]).toBe(
      'event_id,created_at,voter_id,llm_id,value,prev_value,ip_hash,net_hash,ua_hash,fp_hash,new_voter,automated,kind,flag_id',
    );
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[2])
        .sort(),
    ).toEqual(['v-6-0', 'v-6-1', 'v-6-2']);
    // History went; the ballots and the counts did not.
    expect(await t.db.selectFrom('llm_vote_counts').selectAll().execute()).toEqual(countsBefore);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_class WHERE relname = 'user_votes_p202606'`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
    const analyzed = await sql<{ reltuples: number }>`
      SELECT reltuples FROM pg_class WHERE relname = 'user_votes_p202609'`.execute(t.db);
    expect(analyzed.rows[0]!.reltuples).toBe(3);
  });

  it("moves a partition to the schema archive with 'table', never the current month", async () => {
    const detached = await detachOldPartitions(t.db, { keepMonths: 3, archive: 'table', now: NOW });
    expect(detached).toEqual([
      { name: 'user_votes_p202608', archivedTo: 'archive.user_votes_p202608' },
    ]);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM archive.user_votes_p202608`.execute(t.db);
    expect(rows[0]!.n).toBe(3);
    const all = await detachOldPartitions(t.db, { keepMonths: 1, archive: 'drop', now: NOW });
    expect(all.map((d) => d.name)).toEqual(['user_votes_p202609', 'user_votes_p202610']);
    expect((await partitionsOf())[0]).toBe('user_votes_p202611');
    expect(await partitionsOf()).toContain('user_votes_p202612');
  });
});

describe('partition health', () => {
  it('counts rows in the default partition and the months ahead', async () => {
    expect(await partitionHealth(t.db, NOW)).toEqual({ defaultRows: 0, monthsAhead: 3 });
    await applyVoteEvents(t.db, [
      voteEvent('far', llm, 1, { createdAt: new Date('2031-01-05T00:00:00Z') }),
    ]);
    expect(await partitionHealth(t.db, NOW)).toEqual({ defaultRows: 1, monthsAhead: 3 });
    expect(await partitionHealth(t.db, new Date('2027-03-01T00:00:00Z'))).toEqual({
      defaultRows: 1,
      monthsAhead: 0,
    });
  });
});
