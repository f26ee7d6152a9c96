// The daily public dump (issue 15): a real worker writes it for the days it finds missing on
// start, from seeded events and history; the rows are checked against hand-computed ones.
import { applyVoteEvents, listPublicDumps, setLlmStatus, type VoteEvent } from '@llmpt/db';
import { PUBLIC_DATA_LICENCE, PUBLIC_DUMP_COLUMNS } from '@llmpt/shared';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runPublicDumps, utcDay } from '../src/jobs/public-dump.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { QUEUE_BACKGROUND } from '../src/jobs/schedules.ts';
import { type WorkerApp, startWorker } from '../src/worker-app.ts';
import { type Fixture, createFixture, waitFor } from './helpers.ts';

let f: Fixture;
let worker: WorkerApp | null = null;

beforeEach(async () => {
  f = await createFixture();
});
afterEach(async () => {
  await worker?.close();
  worker = null;
  await f?.cleanup();
});

const HEADER =
  'hour,llm_id,llm_name,votes_up,votes_down,retracted,voided,restored,up,down,score,rank';

describe('public dump', () => {
  it('a worker start writes the missing days of the last 7: exact rows, no voter ids; a second run changes nothing', async () => {
    const [a, b, c] = f.llmIds as [string, string, string];
    const bName = (
      await f.db.selectFrom('llms').select('name').where('id', '=', b).executeTakeFirstOrThrow()
    ).name;
    // A name to quote in CSV; c is hidden: left out of the dump.
    await f.db
      .updateTable('llms')
      .set({ name: 'Alpha, "the first"' })
      .where('id', '=', a)
      .execute();
    await setLlmStatus(f.db, c, 'hidden');

    const now = new Date();
    const y = utcDay(now, 1);
    const d3 = utcDay(now, 3);
    const d9 = utcDay(now, 9);
    let seq = 0;
    const at = (day: string, time: string) => new Date(`${day}T${time}Z`);
    const ev = (
      voterId: string,
      llmId: string,
      value: -1 | 0 | 1,
      prevValue: -1 | 0 | 1,
      createdAt: Date,
      extra: Partial<VoteEvent> = {},
    ): VoteEvent => ({
      eventId: `0:${++seq}`,
      voterId,
      llmId,
      value,
      prevValue,
      createdAt,
      seq,
      ...extra,
    });
    await applyVoteEvents(f.db, [
      // Yesterday 10h: a up by v1 and v2, down by v3, v2 retracts. c (hidden) up.
      ev('v1', a, 1, 0, at(y, '10:05:00')),
      ev('v2', a, 1, 0, at(y, '10:20:00')),
      ev('v3', a, -1, 0, at(y, '10:40:00')),
      ev('v2', a, 0, 1, at(y, '10:50:00')),
      ev('v1', c, 1, 0, at(y, '10:00:00')),
      // 11h: v3 switches a to up; v1 downvotes b.
      ev('v3', a, 1, -1, at(y, '11:10:00')),
      ev('v1', b, -1, 0, at(y, '11:30:00')),
      // 13h: the integrity review voids v1's upvote of a; 14h restores it.
      ev('v1', a, 0, 1, at(y, '13:00:00'), { kind: 'void', flagId: '7' }),
      ev('v1', a, 1, 0, at(y, '14:59:59.999'), { kind: 'restore', flagId: '7' }),
      // Three days ago, at midnight exactly: b up by v4. Nine days ago: too old to catch up.
      ev('v4', b, 1, 0, at(d3, '00:00:00')),
      ev('v5', b, 1, 0, at(d9, '12:00:00')),
    ]);
    // The history snapshots of those hours (as the roll stored them); none at 12h and 14h.
    const h = (
      llm: string,
      day: string,
      time: string,
      up: number,
      down: number,
      rank: number | null,
    ) => ({
      llm_id: llm,
      hour: at(day, time),
      upvotes: up,
      downvotes: down,
      score: up - down,
      rank,
    });
    await f.db
      .insertInto('llm_score_history')
      .values([
        h(a, y, '10:00:00', 1, 1, 1),
        h(b, y, '10:00:00', 0, 0, null),
        h(c, y, '10:00:00', 1, 0, 1),
        h(a, y, '11:00:00', 2, 0, 1),
        h(b, y, '11:00:00', 0, 1, 2),
        h(a, y, '13:00:00', 1, 0, 1),
        h(b, y, '13:00:00', 0, 1, 2),
      ])
      .execute();

    worker = await startWorker(f.env);
    const dumps = await waitFor(
      () => listPublicDumps(f.db, { limit: 30 }),
      (d) => d.length === 2,
    );
    await worker.close();
    worker = null;
    expect(dumps.map((d) => [d.day, d.rows])).toEqual([
      [y, 7],
      [d3, 1],
    ]);

    const csv = (
      await f.db
        .selectFrom('public_dumps')
        .select('csv')
        .where('day', '=', y)
        .executeTakeFirstOrThrow()
    ).csv;
    expect(csv).toBe(
      [
        HEADER,
        `${y}T10:00:00Z,${a},"Alpha, ""the first""",2,1,1,0,0,1,1,0,1`,
        `${y}T10:00:00Z,${b},${bName},0,0,0,0,0,0,0,0,`,
        `${y}T11:00:00Z,${a},"Alpha, ""the first""",1,0,0,0,0,2,0,2,1`,
        `${y}T11:00:00Z,${b},${bName},0,1,0,0,0,0,1,-1,2`,
        `${y}T13:00:00Z,${a},"Alpha, ""the first""",0,0,0,1,0,1,0,1,1`,
        `${y}T13:00:00Z,${b},${bName},0,0,0,0,0,0,1,-1,2`,
        `${y}T14:00:00Z,${a},"Alpha, ""the first""",0,0,0,0,1,,,,`,
        '',
      ].join('\n'),
    );
    const d3Csv = (
      await f.db
        .selectFrom('public_dumps')
        .select('csv')
        .where('day', '=', d3)
        .executeTakeFirstOrThrow()
    ).csv;
    expect(d3Csv).toBe(`${HEADER}\n${d3}T00:00:00Z,${b},${bName},1,0,0,0,0,,,,\n`);

    const stored = await f.db
      .selectFrom('public_dumps')
      .selectAll()
      .where('day', '=', y)
      .executeTakeFirstOrThrow();
    const json = JSON.parse(stored.json) as Record<string, unknown> & {
      rows: Record<string, unknown>[];
    };
    expect(Object.keys(json)).toEqual(['licence', 'day', 'generatedAt', 'columns', 'rows']);
    expect(json.licence).toEqual(PUBLIC_DATA_LICENCE);
    expect(json.day).toBe(y);
    expect(Date.parse(json.generatedAt as string)).toBeGreaterThan(now.getTime() - 1000);
    expect(json.columns).toEqual(PUBLIC_DUMP_COLUMNS);
    expect(json.rows).toHaveLength(7);
    expect(json.rows[0]).toEqual({
      hour: `${y}T10:00:00Z`,
      llm_id: a,
      llm_name: 'Alpha, "the first"',
      votes_up: 2,
      votes_down: 1,
      retracted: 1,
      voided: 0,
      restored: 0,
      up: 1,
      down: 1,
      score: 0,
      rank: 1,
    });
    expect(json.rows[6]).toMatchObject({ voided: 0, restored: 1, up: null, rank: null });
    // Nothing of a voter: no id, no signal.
    for (const body of [stored.csv, stored.json]) expect(body).not.toMatch(/\bv[1-5]\b|hash/);

    // The daily job again (same day): nothing is written, nothing changes.
    const before = await f.db.selectFrom('public_dumps').selectAll().orderBy('day').execute();
    const metrics = createMetrics();
    const again = await runPublicDumps({ db: f.db, log: () => {}, metrics }, new Date());
    expect(again.find((r) => r.day === y)).toEqual({ day: y, rows: 7, outcome: 'unchanged' });
    expect(again.filter((r) => r.outcome === 'written')).toEqual([]);
    expect(await f.db.selectFrom('public_dumps').selectAll().orderBy('day').execute()).toEqual(
      before,
    );
    const exported = await metrics.registry.metrics();
    expect(exported).toContain(
      `public_dump_newest_day_timestamp_seconds ${Date.parse(`${y}T00:00:00Z`) / 1000}`,
    );
    expect(exported).toMatch(/^public_dump_days_written_total 0$/m);

    // It is scheduled daily at 00:15 UTC on the background queue.
    const queue = new Queue(QUEUE_BACKGROUND, { connection: f.redis, prefix: f.env.BULL_PREFIX });
    const schedulers = await queue.getJobSchedulers();
    await queue.close();
    expect(schedulers.find((s) => s.key === 'public-dump')).toMatchObject({
      pattern: '0 15 0 * * *',
      tz: 'UTC',
    });
  });

  it('rewrites yesterday when its rows changed (a late vote), with the new rows', async () => {
    const [a] = f.llmIds as [string];
    const now = new Date();
    const y = utcDay(now, 1);
    const vote = (id: number, voter: string) => ({
      eventId: `0:${id}`,
      voterId: voter,
      llmId: a,
      value: 1 as const,
      prevValue: 0 as const,
      createdAt: new Date(`${y}T08:30:00Z`),
      seq: id,
    });
    await applyVoteEvents(f.db, [vote(1, 'w1')]);
    const deps = { db: f.db, log: () => {} };
    expect((await runPublicDumps(deps, now)).filter((r) => r.outcome === 'written')).toEqual([
      { day: y, rows: 1, outcome: 'written' },
    ]);
    await applyVoteEvents(f.db, [vote(2, 'w2')]);
    expect((await runPublicDumps(deps, now)).find((r) => r.day === y)?.outcome).toBe('written');
    const [dump] = await listPublicDumps(f.db, { limit: 1 });
    const csv = (await f.db.selectFrom('public_dumps').select('csv').executeTakeFirstOrThrow()).csv;
    expect(dump?.rows).toBe(1);
    expect(csv.split('\n')[1]).toMatch(new RegExp(`^${y}T08:00:00Z,${a},[^,]+,2,0,0,0,0,,,,$`));
  });
});
