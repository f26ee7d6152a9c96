import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { applyVoteEvents, type VoteEvent } from '../src/repositories/vote.repository.ts';
import {
  freshAggregate,
  insertFixtureLlms,
  openTestDb,
  rng,
  storedCounts,
  voteEvent,
  type TestDb,
} from './helpers.ts';

let t: TestDb;
let llmIds: string[];
beforeAll(async () => {
  t = await openTestDb();
  llmIds = await insertFixtureLlms(t.db, 20);
});
afterAll(() => t.close());

const VALUES = [1, -1, 0] as const;

describe('llm_vote_counts triggers', () => {
  it('every model starts with a zero row', async () => {
    const counts = await storedCounts(t.db);
    expect(counts.map((c) => c.llm_id)).toEqual(llmIds);
    expect(counts.every((c) => c.upvotes === 0 && c.downvotes === 0 && c.score === 0)).toBe(true);
  });

  it('match a fresh aggregate after a 5,000-row batch of inserts, updates and retractions', async () => {
    const random = rng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const base = Date.now() - 60_000;

    // 2,000 existing ballots, so the big batch both inserts and updates.
    const seedBatch: VoteEvent[] = Array.from({ length: 2_000 }, (_, i) =>
      voteEvent(`v${i % 400}`, llmIds[Math.floor(i / 400) * 4 + (i % 4)]!, pick([1, -1] as const), {
        createdAt: new Date(base),
      }),
    );
    await applyVoteEvents(t.db, seedBatch);
    expect(await storedCounts(t.db)).toEqual(await freshAggregate(t.db));

    // 5,000 events over 800 voters x 20 models: new ballots, changes, retractions and several
    // events for the same ballot in one batch.
    const batch = Array.from({ length: 5_000 }, (_, i) =>
      voteEvent(`v${Math.floor(random() * 800)}`, pick(llmIds), pick(VALUES), {
        createdAt: new Date(base + 1_000 + i),
      }),
    );
    const result = await applyVoteEvents(t.db, batch);
    expect(result.eventsInserted).toBe(5_000);
    const counts = await storedCounts(t.db);
    expect(counts).toEqual(await freshAggregate(t.db));
    // The batch did change the tallies in all three directions.
    expect(counts.some((c) => c.upvotes > 0 && c.downvotes > 0)).toBe(true);
    const { retracted } = await t.db
      .selectFrom('votes')
      .select((eb) => eb.fn.countAll<number>().as('retracted'))
      .where('value', '=', 0)
      .executeTakeFirstOrThrow();
    expect(retracted).toBeGreaterThan(0);
  });

  it('follow plain UPDATE and DELETE statements', async () => {
    await sql`UPDATE votes SET value = -value WHERE voter_id LIKE 'v1%'`.execute(t.db);
    expect(await storedCounts(t.db)).toEqual(await freshAggregate(t.db));

    const deleted = await t.db
      .deleteFrom('votes')
      .where('voter_id', 'like', 'v2%')
      .executeTakeFirst();
    expect(deleted.numDeletedRows).toBeGreaterThan(0n);
    expect(await storedCounts(t.db)).toEqual(await freshAggregate(t.db));
  });

  it('reset to zero on TRUNCATE', async () => {
    await sql`TRUNCATE votes`.execute(t.db);
    const counts = await storedCounts(t.db);
    expect(counts).toEqual(await freshAggregate(t.db));
    expect(counts.every((c) => c.upvotes === 0 && c.downvotes === 0)).toBe(true);
  });

  it('return int8 columns as numbers', async () => {
    await applyVoteEvents(t.db, [voteEvent('int8-voter', llmIds[0]!, 1)]);
    const row = await t.db
      .selectFrom('llm_vote_counts')
      .selectAll()
      .where('llm_id', '=', llmIds[0]!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ upvotes: 1, downvotes: 0, score: 1 });
    expect(typeof row.upvotes).toBe('number');
    const { rows } = await sql<{ big: number; n: number }>`
      SELECT 9007199254740991::bigint AS big, 1.5::numeric AS n`.execute(t.db);
    expect(rows[0]).toEqual({ big: Number.MAX_SAFE_INTEGER, n: 1.5 });
    const { rows: more } = await sql`
      SELECT ARRAY[1, NULL, 3]::bigint[] AS ints, '2024-02-29'::date AS day`.execute(t.db);
    expect(more[0]).toEqual({ ints: [1, null, 3], day: '2024-02-29' });
    await expect(sql`SELECT 9007199254740993::bigint AS big`.execute(t.db)).rejects.toThrow(
      RangeError,
    );
  });
});
