import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  applyVoteEvents,
  readBallots,
  readTallies,
  type VoteEvent,
} from '../src/repositories/vote.repository.ts';
import { insertFixtureLlms, openTestDb, storedCounts, voteEvent, type TestDb } from './helpers.ts';

let t: TestDb;
let llmIds: string[];
beforeAll(async () => {
  t = await openTestDb();
  llmIds = await insertFixtureLlms(t.db, 5);
});
afterAll(() => t.close());

async function userVotesCount(): Promise<number> {
  const { n } = await t.db
    .selectFrom('user_votes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return n;
}

async function ballot(voterId: string, llmId: string) {
  return t.db
    .selectFrom('votes')
    .select(['value', 'event_seq'])
    .where('voter_id', '=', voterId)
    .where('llm_id', '=', llmId)
    .executeTakeFirst();
}

describe('applyVoteEvents', () => {
  it('stores each event at its exact millisecond, in the log and on the ballot', async () => {
    const [a] = llmIds as [string];
    // Millisecond parts that a float or a rounding step would shift, the epoch's own 0 included;
    // value 0, so the other tests' tallies stay as they expect.
    const times = [Date.UTC(2026, 11, 3, 10, 0, 0, 123), Date.UTC(2026, 11, 3, 23, 59, 59, 999), 0];
    const events = times.map((ms, i) =>
      voteEvent(`timed-${i}`, a, 0, { createdAt: new Date(ms), seq: i }),
    );
    await applyVoteEvents(t.db, events);
    const logged = await t.db
      .selectFrom('user_votes')
      .select(['voter_id', 'created_at'])
      .where('voter_id', 'like', 'timed-%')
      .orderBy('voter_id')
      .execute();
    const stored = await t.db
      .selectFrom('votes')
      .select(['voter_id', 'updated_at'])
      .where('voter_id', 'like', 'timed-%')
      .orderBy('voter_id')
      .execute();
    expect(logged.map((r) => new Date(r.created_at).getTime())).toEqual(times);
    expect(stored.map((r) => new Date(r.updated_at).getTime())).toEqual(times);
  });

  it('is idempotent: redelivering a batch changes nothing', async () => {
    const [a, b] = llmIds as [string, string];
    const batch = [
      voteEvent('alice', a, 1),
      voteEvent('bob', a, 1),
      voteEvent('carol', a, -1),
      voteEvent('alice', b, -1),
    ];
    expect(await applyVoteEvents(t.db, batch)).toEqual({ eventsInserted: 4, ballotsWritten: 4 });
    const counts = await storedCounts(t.db);
    const events = await userVotesCount();

    expect(await applyVoteEvents(t.db, batch)).toEqual({ eventsInserted: 0, ballotsWritten: 0 });
    // Also in another order and with the same event twice in one batch.
    expect(await applyVoteEvents(t.db, [...batch].reverse().concat(batch))).toEqual({
      eventsInserted: 0,
      ballotsWritten: 0,
    });
    expect(await storedCounts(t.db)).toEqual(counts);
    expect(await userVotesCount()).toBe(events);
    expect(counts.find((c) => c.llm_id === a)).toMatchObject({
      upvotes: 2,
      downvotes: 1,
      score: 1,
    });
  });

  it('is last-writer-wins: an older event arriving after a newer one changes nothing', async () => {
    const llm = llmIds[2]!;
    const now = Date.now();
    const newer = voteEvent('dave', llm, -1, { createdAt: new Date(now), seq: 0 });
    const older = voteEvent('dave', llm, 1, { createdAt: new Date(now - 1_000), seq: 5 });
    await applyVoteEvents(t.db, [newer]);
    expect(await applyVoteEvents(t.db, [older])).toEqual({ eventsInserted: 1, ballotsWritten: 0 });
    expect(await ballot('dave', llm)).toEqual({ value: -1, event_seq: 0 });

    // Same millisecond: the sequence number decides.
    const sameMsLater = voteEvent('dave', llm, 0, { createdAt: new Date(now), seq: 1 });
    expect(await applyVoteEvents(t.db, [sameMsLater])).toEqual({
      eventsInserted: 1,
      ballotsWritten: 1,
    });
    expect(await ballot('dave', llm)).toEqual({ value: 0, event_seq: 1 });
    const counts = await storedCounts(t.db);
    expect(counts.find((c) => c.llm_id === llm)).toMatchObject({ upvotes: 0, downvotes: 0 });
  });

  it('keeps the last of several events for one ballot in a batch, whatever their order', async () => {
    const llm = llmIds[3]!;
    const at = Date.now();
    const events: VoteEvent[] = [
      voteEvent('erin', llm, 1, { createdAt: new Date(at), seq: 0 }),
      voteEvent('erin', llm, 0, { createdAt: new Date(at), seq: 1 }),
      voteEvent('erin', llm, -1, { createdAt: new Date(at + 5), seq: 0 }),
      voteEvent('erin', llm, 1, { createdAt: new Date(at + 2), seq: 9 }),
    ];
    const shuffled = [events[2]!, events[0]!, events[3]!, events[1]!];
    expect(await applyVoteEvents(t.db, shuffled)).toEqual({ eventsInserted: 4, ballotsWritten: 1 });
    expect(await ballot('erin', llm)).toEqual({ value: -1, event_seq: 0 });
    const counts = await storedCounts(t.db);
    expect(counts.find((c) => c.llm_id === llm)).toMatchObject({ upvotes: 0, downvotes: 1 });
  });

  it('writes the new events of a batch that also holds committed ones (a redelivery after a crash)', async () => {
    const [, , c] = llmIds as [string, string, string];
    const committed = [voteEvent('hana', c, 1), voteEvent('ivan', c, 1)];
    await applyVoteEvents(t.db, committed);
    const fresh = [voteEvent('hana', c, -1, { prevValue: 1 }), voteEvent('jade', c, 1)];
    expect(await applyVoteEvents(t.db, [...committed, ...fresh])).toEqual({
      eventsInserted: 2,
      ballotsWritten: 2,
    });
    expect(await ballot('hana', c)).toMatchObject({ value: -1 });
    expect(await ballot('jade', c)).toMatchObject({ value: 1 });
    // Inside a caller's transaction the redelivered events are skipped too (no retry there).
    const again = [voteEvent('kurt', c, 1)];
    expect(
      await t.db
        .transaction()
        .execute((trx) => applyVoteEvents(trx, [...committed, ...fresh, ...again])),
    ).toEqual({ eventsInserted: 1, ballotsWritten: 1 });
    expect((await storedCounts(t.db)).find((row) => row.llm_id === c)).toMatchObject({
      upvotes: 3,
      downvotes: 1,
    });
  });

  it('rolls the whole batch back when one event names an unknown model', async () => {
    const before = await userVotesCount();
    await expect(
      applyVoteEvents(t.db, [voteEvent('frank', llmIds[0]!, 1), voteEvent('frank', 'nope', 1)]),
    ).rejects.toMatchObject({ code: '23503', llmIds: ['nope'] });
    expect(await userVotesCount()).toBe(before);
    expect(await ballot('frank', llmIds[0]!)).toBeUndefined();
  });

  it('joins the caller’s transaction', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await applyVoteEvents(trx, [voteEvent('gina', llmIds[0]!, 1)]);
        expect((await readBallots(trx, { voterId: 'gina', llmId: '' }, 10))[0]?.voterId).toBe(
          'gina',
        );
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await ballot('gina', llmIds[0]!)).toBeUndefined();
  });
});

describe('readBallots / readTallies', () => {
  it('pages through the non-zero ballots in key order', async () => {
    const llm = llmIds[4]!;
    const voters = Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    await applyVoteEvents(
      t.db,
      voters.map((v, i) => voteEvent(v, llm, i % 5 === 0 ? 0 : i % 2 ? 1 : -1)),
    );
    const all = [];
    let after: { voterId: string; llmId: string } | null = null;
    for (;;) {
      const page = await readBallots(t.db, after, 7);
      all.push(...page);
      if (page.length < 7) break;
      const last = page[page.length - 1]!;
      after = { voterId: last.voterId, llmId: last.llmId };
    }
    const keys = all.map((b) => `${b.voterId}/${b.llmId}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    expect(all.every((b) => b.value !== 0)).toBe(true);
    const mine = all.filter((b) => b.llmId === llm);
    expect(mine).toHaveLength(20);
    expect(mine.find((b) => b.voterId === 'page-01')).toEqual({
      voterId: 'page-01',
      llmId: llm,
      value: 1,
    });
  });

  it('reads every model’s tally, 0 when it has no counts row', async () => {
    await t.db.deleteFrom('llm_vote_counts').where('llm_id', '=', llmIds[1]!).execute();
    const tallies = await readTallies(t.db);
    expect(tallies.map((x) => x.llmId)).toEqual(llmIds);
    expect(tallies.find((x) => x.llmId === llmIds[1])).toEqual({
      llmId: llmIds[1],
      up: 0,
      down: 0,
    });
    expect(tallies.find((x) => x.llmId === llmIds[0])).toEqual({
      llmId: llmIds[0],
      up: 2,
      down: 1,
    });
  });
});
